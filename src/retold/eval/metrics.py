"""Threshold-free and thresholded binary metrics (numpy only)."""

from __future__ import annotations

import numpy as np


def auroc(labels: list[int] | np.ndarray, scores: list[float] | np.ndarray) -> float:
    """Area under the ROC curve via the rank statistic (ties get average ranks)."""
    y = np.asarray(labels, dtype=int)
    s = np.asarray(scores, dtype=float)
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=float)
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def balanced_accuracy(labels, scores, threshold: float) -> float:
    """Mean of recall on positives (score >= threshold) and on negatives."""
    y = np.asarray(labels, dtype=int)
    pred = np.asarray(scores, dtype=float) >= threshold
    tpr = (pred & (y == 1)).sum() / max(1, (y == 1).sum())
    tnr = (~pred & (y == 0)).sum() / max(1, (y == 0).sum())
    return float((tpr + tnr) / 2)


def best_threshold(labels, scores) -> float:
    """The threshold maximising balanced accuracy (chosen on a dev split, applied to test)."""
    s = np.unique(np.asarray(scores, dtype=float))
    if len(s) == 0:
        return 0.5
    if len(s) == 1:
        return float(s[0])
    candidates = np.concatenate([[s[0] - 1e-9], (s[:-1] + s[1:]) / 2, [s[-1] + 1e-9]])
    accs = [balanced_accuracy(labels, scores, t) for t in candidates]
    return float(candidates[int(np.argmax(accs))])
