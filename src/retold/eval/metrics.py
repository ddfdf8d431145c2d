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


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of overlapping or touching character spans, sorted."""
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def span_overlap_prf(
    pred: list[list[tuple[int, int]]], gold: list[list[tuple[int, int]]]
) -> dict[str, float]:
    """SemEval-2020 Task 11 SI scoring, one list of spans per article: each predicted span s
    earns |s ∩ t| / |s| precision credit from every gold span t of its article, each gold span
    |s ∩ t| / |t| recall credit; precision and recall average over all predicted / gold spans.
    Overlapping spans on one side are merged first (the official gold is a union per article)."""
    p_sum = r_sum = 0.0
    n_pred = n_gold = 0
    for ps, gs in zip(pred, gold, strict=True):
        ps, gs = merge_spans(ps), merge_spans(gs)
        n_pred += len(ps)
        n_gold += len(gs)
        for a, b in ps:
            for c, d in gs:
                inter = min(b, d) - max(a, c)
                if inter > 0:
                    p_sum += inter / (b - a)
                    r_sum += inter / (d - c)
    p = p_sum / n_pred if n_pred else 0.0
    r = r_sum / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def binary_f1(labels, predictions) -> float:
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(predictions, dtype=bool)
    tp = float((y & p).sum())
    denom = 2 * tp + float((~y & p).sum()) + float((y & ~p).sum())
    return 2 * tp / denom if denom else 0.0
