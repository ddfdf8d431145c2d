"""Is a candidate pair the same story? Topic words are not enough: two stories on one topic
share vocabulary but not their names, numbers and quotes (the *anchors*), and a long
transcript "contains" the words of any short piece on its topic. So the evidence is a set of
overlaps normalised both ways, and the decision is a logistic model over them
(``pair_model.json``, fitted by ``retold.families.train`` on the dev part of the families
evaluation only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from retold.errors import RetoldError
from retold.families.signature import Signature
from retold.settings import Settings

FEATURES = (
    "cosine",  # document vectors: topic more than story (its learned weight is negative)
    "words",  # content words, |a∩b| / sqrt(|a||b|)
    "words_contained",  # content words, |a∩b| / min(|a|, |b|): a cut-down retelling
    "anchors",  # names and numbers, both-way normalised
    "anchors_contained",
    "quotes",  # word 3-grams inside quotation marks
    "jaccard",  # shingles, MinHash estimate: near-copies
    # shared word runs count only with shared specifics: templated stories (results,
    # weather, notices) share phrasing but not names and numbers
    "jaccard_x_anchors",
)
MODEL_FILE = "families/pair_model.json"


@dataclass(frozen=True)
class PairEvidence:
    features: tuple[float, ...]
    probability: float  # that the two articles tell the same story

    def get(self, name: str) -> float:
        return self.features[FEATURES.index(name)]

    def linked(self, settings: Settings) -> bool:
        return self.probability >= settings.families_same_story or self.near_copy(settings)

    def near_copy(self, settings: Settings) -> bool:
        return (
            self.get("jaccard") >= settings.families_near_copy
            and self.get("anchors_contained") >= settings.families_near_copy_anchors
        )


def _inter(a: np.ndarray, b: np.ndarray) -> int:
    if len(a) == 0 or len(b) == 0:
        return 0
    return len(np.intersect1d(a, b, assume_unique=True))


def coverage(part: np.ndarray, whole: np.ndarray) -> float:
    """Share of ``part`` found in ``whole``."""
    return _inter(part, whole) / len(part) if len(part) else 0.0


def _both(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    if len(a) == 0 or len(b) == 0:
        return 0.0, 0.0
    n = _inter(a, b)
    return n / float(np.sqrt(len(a) * len(b))), n / min(len(a), len(b))


def features(a: Signature, b: Signature) -> tuple[float, ...]:
    cos = float(np.dot(a.embedding.astype(np.float32), b.embedding.astype(np.float32)))
    w, wc = _both(a.words, b.words)
    an, ac = _both(a.anchors, b.anchors)
    q, _ = _both(a.quotes, b.quotes)
    jac = float(np.mean(a.minhash == b.minhash))
    return (cos, w, wc, an, ac, q, jac, jac * ac)


@dataclass(frozen=True)
class PairModel:
    mean: np.ndarray
    std: np.ndarray
    weights: np.ndarray
    bias: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.std) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict:
        return {
            "features": list(FEATURES),
            "mean": self.mean.round(6).tolist(),
            "std": self.std.round(6).tolist(),
            "weights": self.weights.round(6).tolist(),
            "bias": round(self.bias, 6),
        }


@lru_cache(maxsize=4)
def load_model(path: str = "") -> PairModel:
    target = Path(path) if path else Path(str(resources.files("retold").joinpath(MODEL_FILE)))
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RetoldError(f"{target}: cannot read the family pair model ({exc})") from None
    if data.get("features") != list(FEATURES):
        raise RetoldError(f"{target}: pair model features do not match this retold")
    return PairModel(
        np.asarray(data["mean"], dtype=float),
        np.asarray(data["std"], dtype=float),
        np.asarray(data["weights"], dtype=float),
        float(data["bias"]),
    )


def verify(pairs: list[tuple[Signature, Signature]], settings: Settings) -> list[PairEvidence]:
    """Evidence and same-story probability for each pair (vectorised over pairs)."""
    if not pairs:
        return []
    x = np.array([features(a, b) for a, b in pairs], dtype=float)
    p = load_model(settings.families_pair_model).probability(x)
    return [
        PairEvidence(tuple(round(float(v), 4) for v in row), float(pr))
        for row, pr in zip(x, p, strict=True)
    ]
