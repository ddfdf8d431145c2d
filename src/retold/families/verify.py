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
_BATCH = 20_000  # pairs whose features are computed at a time


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


def _inter_counts(left: list[np.ndarray], right: list[np.ndarray]) -> np.ndarray:
    """``_inter(left[k], right[k])`` for every k in one sort: a value in both arrays of a
    pair (each sorted and unique) appears twice under that pair's number."""
    n = len(left)
    # pair by pair, so the keys come as two sorted runs per pair (a cheap stable sort)
    arrays = [x for ab in zip(left, right, strict=True) for x in ab]
    lens = np.fromiter((len(x) for x in arrays), dtype=np.int64, count=2 * n)
    if not lens.sum():
        return np.zeros(n, dtype=np.int64)
    pair = np.repeat(np.repeat(np.arange(n, dtype=np.uint64), 2), lens)
    keys = (pair << np.uint64(32)) | np.concatenate(arrays).astype(np.uint64)
    keys.sort(kind="stable")
    both = keys[1:][keys[1:] == keys[:-1]] >> np.uint64(32)
    return np.bincount(both.astype(np.int64), minlength=n)


def _both_batch(left: list[np.ndarray], right: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """``_both`` for every pair, with the same float operations."""
    la = np.fromiter((len(x) for x in left), dtype=np.int64, count=len(left))
    lb = np.fromiter((len(x) for x in right), dtype=np.int64, count=len(right))
    n = _inter_counts(left, right).astype(float)
    some = (la > 0) & (lb > 0)
    norm, contained = np.zeros(len(left)), np.zeros(len(left))
    norm[some] = n[some] / np.sqrt(la[some] * lb[some])
    contained[some] = n[some] / np.minimum(la[some], lb[some])
    return norm, contained


def features_batch(pairs: list[tuple[Signature, Signature]]) -> np.ndarray:
    """``features(a, b)`` for every pair, one row each (identical values, ~10x faster at
    scale: one sort per overlap instead of an ``intersect1d`` per pair)."""
    first = [a for a, _ in pairs]
    second = [b for _, b in pairs]
    ea = np.stack([a.embedding for a in first]).astype(np.float32)
    eb = np.stack([b.embedding for b in second]).astype(np.float32)
    # np.dot per pair: a batched product sums in another order (last-bit differences)
    cos = np.fromiter((np.dot(x, y) for x, y in zip(ea, eb, strict=True)), float, len(pairs))
    w, wc = _both_batch([a.words for a in first], [b.words for b in second])
    an, ac = _both_batch([a.anchors for a in first], [b.anchors for b in second])
    q, _ = _both_batch([a.quotes for a in first], [b.quotes for b in second])
    ma = np.stack([a.minhash for a in first])
    mb = np.stack([b.minhash for b in second])
    jac = (ma == mb).mean(axis=1)
    return np.stack([cos, w, wc, an, ac, q, jac, jac * ac], axis=1)


def _features_and_probability(
    pairs: list[tuple[Signature, Signature]], settings: Settings
) -> tuple[np.ndarray, np.ndarray]:
    # in batches: the stacked vectors of a whole chunk's pairs would take gigabytes
    x = np.concatenate(
        [features_batch(pairs[lo : lo + _BATCH]) for lo in range(0, len(pairs), _BATCH)]
    )
    return x, load_model(settings.families_pair_model).probability(x)


def verify(pairs: list[tuple[Signature, Signature]], settings: Settings) -> list[PairEvidence]:
    """Evidence and same-story probability for each pair (vectorised over pairs)."""
    if not pairs:
        return []
    x, p = _features_and_probability(pairs, settings)
    # python floats: rounding numpy scalars one by one costs more than the features
    return [
        PairEvidence(tuple([round(v, 4) for v in row]), pr)
        for row, pr in zip(x.tolist(), p.tolist(), strict=True)
    ]


def link_strengths(pairs: list[tuple[Signature, Signature]], settings: Settings) -> np.ndarray:
    """Per pair, what ``verify`` makes of it as a link: 0 when not ``linked``, else its
    probability (at least 0.99 for a near-copy). The same decisions without building a
    ``PairEvidence`` per pair, which at a million articles costs as much as the features."""
    if not pairs:
        return np.zeros(0)
    x, p = _features_and_probability(pairs, settings)

    def rounded(name: str) -> np.ndarray:  # PairEvidence keeps features rounded
        return np.array([round(v, 4) for v in x[:, FEATURES.index(name)].tolist()])

    near = (rounded("jaccard") >= settings.families_near_copy) & (
        rounded("anchors_contained") >= settings.families_near_copy_anchors
    )
    linked = (p >= settings.families_same_story) | near
    return np.where(linked, np.where(near, np.maximum(p, 0.99), p), 0.0)
