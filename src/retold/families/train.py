"""Fit the pair model (``families/pair_model.json``) on the dev part of the families
evaluation corpus only: candidate pairs from the grouping run's own candidate step
(``candidates.propose``), labelled by gold family, features from ``verify.features``; an
L2-regularised logistic regression (the same Newton fit as the learned judge).
``scripts/train_family_pairs.py`` runs it. Each corpus (the dev part, the synthetic one) is
grouped on its own, with its own word rarities, as a ``retold families`` run over it
would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from retold.families.candidates import CandidateIndex, propose, unplaceable
from retold.families.signature import Signature
from retold.families.verify import FEATURES, DocFreq, PairModel, features
from retold.settings import Settings


def candidate_pairs(sigs: list[Signature], settings: Settings) -> list[tuple[int, int]]:
    """Every candidate pair (i < j) a grouping run over ``sigs`` would verify: the same
    ``candidates.propose`` as ``run.group`` (LSH, ANN, rare anchors) over the articles it
    would place."""
    by_id = dict(enumerate(sigs))
    left_out = unplaceable(list(by_id), by_id, settings)
    ok = [i for i in by_id if i not in left_out]
    if not ok:
        return []
    index = CandidateIndex(settings, len(sigs[ok[0]].embedding))
    index.add(
        np.asarray(ok, dtype=np.uint64),
        np.stack([sigs[i].minhash for i in ok]),
        np.stack([sigs[i].embedding for i in ok]),
    )
    return sorted(
        {
            (min(a, b), max(a, b))
            for _, cands in propose(ok, by_id, index, settings)
            for a, cs in cands.items()
            for b in cs
        }
    )


def labelled_pairs(
    corpora: list[tuple[list[Signature], list[str]]], settings: Settings
) -> tuple[np.ndarray, np.ndarray]:
    """Features and same-family labels of every candidate pair, corpus by corpus."""
    xs, ys = [], []
    for sigs, gold in corpora:
        df = DocFreq.of(sigs, settings)
        pairs = candidate_pairs(sigs, settings)
        xs += [features(sigs[a], sigs[b], df) for a, b in pairs]
        ys += [int(gold[a] == gold[b]) for a, b in pairs]
    return np.array(xs, dtype=float).reshape(-1, len(FEATURES)), np.array(ys, dtype=int)


def fit_pair_model(
    corpora: list[tuple[list[Signature], list[str]]], settings: Settings, l2: float = 1.0
) -> tuple[PairModel, dict[str, Any]]:
    from retold.judges.train import fit_logistic

    x, y = labelled_pairs(corpora, settings)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    w, b = fit_logistic((x - mean) / std, y, l2=l2)
    model = PairModel(mean, std, w, b)
    stats = {"pairs": len(y), "positives": int(y.sum())}
    stats["weights"] = dict(zip(FEATURES, [round(v, 3) for v in w.tolist()], strict=True))
    return model, stats


def write_model(model: PairModel, stats: dict[str, Any], path: Path) -> None:
    from retold.report.files import write_text_atomic

    data = model.to_dict() | {"trained_on": stats}
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")
