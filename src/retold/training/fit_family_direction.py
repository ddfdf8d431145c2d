"""Fit the source-pick direction weights on the dev part of the families evaluation corpus.

    PYTHONPATH=src python retold.training.fit_family_direction [--data ../shared/data]

Per gold dev family with a source: each member's mean direction features against the other
members (as in ``family.source.direction_scores``); a logistic model without intercept
on (source - other member) differences. Prints the weights scaled to anchors = 1 (the
``families_direction_*`` settings) and, per "no clear source" margin, the share of dev
families whose source (or a copy of it) ranks first. The held-out part is never read.
The machine-text term is not among these: its model is fitted on this same dev part, so its
dev scores are training scores; ``retold.training.train_machine_text`` chooses its weight out of
fold.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np
from sklearn.linear_model import LogisticRegression

from retold.eval.data import find_data_dir
from retold.eval.families_data import load_corpus
from retold.family.signature import Signature, signatures
from retold.family.verify import coverage
from retold.settings import Settings

NAMES = ("anchors", "support", "quotes", "style", "machine")


def pair_features(a: Signature, b: Signature) -> list[float]:
    """Evidence that ``a`` is the source of ``b`` (the terms of ``direction_scores``)."""
    return [
        coverage(b.anchors, a.anchors) - coverage(a.anchors, b.anchors),
        coverage(a.words, b.words),
        coverage(b.quotes, a.quotes),
        b.style - a.style,
        b.machine - a.machine,
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--C", type=float, default=1.0, help="inverse L2 strength")
    args = ap.parse_args()
    items = [i for i in load_corpus(find_data_dir(args.data)) if i.dev]
    sigs = signatures([i.text for i in items], Settings())
    fams: dict[str, list[int]] = defaultdict(list)
    for k, it in enumerate(items):
        if sigs[k].ok:
            fams[it.family].append(k)
    feats: dict[str, dict[int, np.ndarray]] = {}
    for f, mem in fams.items():
        if len(mem) >= 2 and any(items[k].is_source for k in mem):
            feats[f] = {
                s: np.mean([pair_features(sigs[s], sigs[m]) for m in mem if m != s], axis=0)
                for s in mem
            }
    x, y = [], []
    for per in feats.values():
        src = next(k for k in per if items[k].is_source)
        for s in per:
            # another copy of the original is no "other member": same article, same features
            if not items[s].source_copy:
                d = per[src] - per[s]
                x += [d, -d]
                y += [1, 0]
    lr = LogisticRegression(C=args.C, fit_intercept=False, max_iter=1000)
    w = lr.fit(np.array(x), y).coef_[0]
    w = w / w[0]
    print(f"{len(feats)} dev families, {len(x) // 2} (source, member) pairs")
    for name, v in zip(NAMES, w, strict=True):
        print(f"families_direction_{name}: {v:.3f}")
    for margin in (0.0, 0.02, 0.04, 0.06):
        right = unclear = 0
        for per in feats.values():
            ranked = sorted(per, key=lambda s: -float(per[s] @ w))
            if float((per[ranked[0]] - per[ranked[1]]) @ w) < margin:
                unclear += 1
            else:
                right += items[ranked[0]].source_copy
        print(
            f"margin {margin:.2f}: source first {right / len(feats):.3f}, no clear source {unclear}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
