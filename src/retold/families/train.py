"""Fit the pair model (``families/pair_model.json``) on the dev part of the families
evaluation corpus only: candidate pairs from the real LSH + ANN stage, labelled by gold
family, features from ``verify.features``; an L2-regularised logistic regression (the same
Newton fit as the learned judge). ``scripts/train_family_pairs.py`` runs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from retold.families.candidates import CandidateIndex
from retold.families.signature import Signature
from retold.families.verify import FEATURES, PairModel, features
from retold.settings import Settings


def candidate_pairs(sigs: list[Signature], settings: Settings) -> list[tuple[int, int]]:
    """Every candidate pair (i < j) the LSH + ANN stage proposes among ``sigs``."""
    ok = [i for i, s in enumerate(sigs) if s.ok]
    if not ok:
        return []
    ids = np.asarray(ok, dtype=np.uint64)
    mh = np.stack([sigs[i].minhash for i in ok])
    em = np.stack([sigs[i].embedding for i in ok])
    index = CandidateIndex(settings, em.shape[1])
    index.add(ids, mh, em)
    cands = index.query(ids, mh, em)
    return sorted({(min(a, b), max(a, b)) for a, cs in cands.items() for b in cs})


def fit_pair_model(
    sigs: list[Signature], gold: list[str], settings: Settings, l2: float = 1.0
) -> tuple[PairModel, dict[str, Any]]:
    from retold.judges.train import fit_logistic

    pairs = candidate_pairs(sigs, settings)
    x = np.array([features(sigs[a], sigs[b]) for a, b in pairs], dtype=float)
    y = np.array([int(gold[a] == gold[b]) for a, b in pairs])
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    w, b = fit_logistic((x - mean) / std, y, l2=l2)
    model = PairModel(mean, std, w, b)
    stats = {"pairs": len(pairs), "positives": int(y.sum())}
    stats["weights"] = dict(zip(FEATURES, [round(v, 3) for v in w.tolist()], strict=True))
    return model, stats


def write_model(model: PairModel, stats: dict[str, Any], path: Path) -> None:
    from retold.report.files import write_text_atomic

    data = model.to_dict() | {"trained_on": stats}
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")
