"""Train the learned judge (``retold train`` / ``make train``): reproducible, CPU only.

Positives: sentences of meaning-preserving LLM restylings ("objective", "neutral") of the
SheepDog PolitiFact *training* articles, judged against their original article. Negatives:
the same sentences perturbed the ways retellings go wrong — a number changed, a name swapped
for one from another article, a negation inserted, a clause from another article appended —
and sentences taken from other articles. No evaluation split is read. The model is an
L2-regularised logistic regression over ``judges.signals`` features, fitted with Newton's
method in numpy and saved as JSON (a few kB).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from retold.errors import RetoldError
from retold.eval.metrics import auroc, balanced_accuracy
from retold.settings import Settings


def build_examples(
    data: Path, settings: Settings, max_articles: int = 240, seed: int = 13, log: Any = print
) -> tuple[np.ndarray, np.ndarray, list[str], list[int]]:
    """Feature rows, labels (1 = supported), corruption kinds and article groups: the
    restyling examples of ``judges.synth``."""
    from retold.training.claim_synth import build

    examples = build(data, settings, 0, max_articles, seed, log)
    if not examples:
        raise RetoldError(f"train: no training examples could be built from {data}")
    X = np.vstack([e.x for e in examples])
    y = np.asarray([e.label for e in examples])
    return X, y, [e.kind for e in examples], [e.group for e in examples]


def fit_logistic(
    X: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method (X already standardised), with
    classes weighted to balance, so the 0.5 threshold means "as likely as not"."""
    n, d = X.shape
    sw = np.where(y == 1, n / (2 * max(1, y.sum())), n / (2 * max(1, n - y.sum())))
    Xb = np.hstack([X, np.ones((n, 1))])
    w = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0  # no penalty on the bias
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Xb @ w)))
        grad = Xb.T @ (sw * (p - y)) + reg * w
        hess = (Xb * (sw * p * (1 - p))[:, None]).T @ Xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def train(
    data: Path,
    out: Path,
    settings: Settings,
    max_articles: int = 240,
    seed: int = 13,
    log: Any = print,
) -> dict[str, Any]:
    from retold.judges.learned import FEATURE_NAMES, predict

    t0 = time.perf_counter()
    X, y, kinds, groups = build_examples(data, settings, max_articles, seed, log)
    g = np.asarray(groups)
    held = g % 5 == 0  # a fifth of the training articles held out to report generalisation
    mean, std = X[~held].mean(axis=0), X[~held].std(axis=0) + 1e-6
    w, b = fit_logistic((X[~held] - mean) / std, y[~held].astype(float))
    model = {"features": list(FEATURE_NAMES), "mean": mean, "std": std, "weights": w, "bias": b}
    p_held = predict(model, X[held])
    stats = {
        "examples": int(len(y)),
        "positives": int(y.sum()),
        "held_out_auroc": round(auroc(y[held], p_held), 4),
        "held_out_balanced_accuracy": round(balanced_accuracy(y[held], p_held, 0.5), 4),
        "kinds": {k: kinds.count(k) for k in sorted(set(kinds))},
    }
    # refit on every training article for the shipped model
    mean, std = X.mean(axis=0), X.std(axis=0) + 1e-6
    w, b = fit_logistic((X - mean) / std, y.astype(float))
    payload = {
        "features": list(FEATURE_NAMES),
        "mean": [round(float(v), 6) for v in mean],
        "std": [round(float(v), 6) for v in std],
        "weights": [round(float(v), 6) for v in w],
        "bias": round(b, 6),
        "trained_on": "SheepDog PolitiFact train restylings (objective, neutral) + synthetic "
        f"perturbations; {max_articles} articles, seed {seed}",
        "stats": stats,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    from retold.report.files import write_text_atomic

    write_text_atomic(out, json.dumps(payload, indent=1) + "\n")
    return payload
