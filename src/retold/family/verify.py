"""Is a candidate pair the same story? Topic words are not enough: two stories on one topic
share vocabulary but not their names, numbers and quotes (the *anchors*), and a long
transcript "contains" the words of any short piece on its topic. So the evidence is a set of
overlaps normalised both ways, and the decision is a model over them
(``pair_model.json``: boosted trees fitted by ``retold.training.family_pairs`` on the dev part
of the families evaluation and synthetic stories only).

Shared words also count weighted by rarity in the corpus being grouped (``DocFreq``): a
machine rewrite that changed a story's names and numbers still keeps its rare words
("payroll", "mega-rich"), while two stories on one topic share its common ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from retold.errors import RetoldError
from retold.family.signature import Signature
from retold.settings import Settings

FEATURES = (
    "cosine",  # document vectors of the leads
    "words",  # content words, |a∩b| / sqrt(|a||b|)
    "words_contained",  # content words, |a∩b| / min(|a|, |b|): a cut-down retelling
    "anchors",  # names and numbers, both-way normalised
    "anchors_contained",
    "quotes",  # word 3-grams inside quotation marks
    "jaccard",  # shingles, MinHash estimate: near-copies
    # shared word runs count only with shared specifics: templated stories (results,
    # weather, notices) share phrasing but not names and numbers
    "jaccard_x_anchors",
    # shingles of the shorter text found in the longer (MinHash Jaccard and the shingle
    # counts): a short rewrite that keeps a few of the source's phrases
    "shingles_contained",
    "log_shared_anchors",  # how many names/numbers are shared: 1 of 2 is weak evidence
    "log_words",  # content words of the shorter text: containment of tiny texts is weak
    "words_idf",  # content words weighted by rarity in the corpus, both-way normalised
    "words_idf_contained",
    "anchors_idf",
    "anchors_idf_contained",
)
MODEL_FILE = "family/pair_model.json"
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


@dataclass(frozen=True)
class DocFreq:
    """Document frequencies of word and anchor hashes in the corpus being grouped, smoothed
    by ``prior`` pseudo-documents in which every hash occurs at ``prior_share``: a handful of
    articles gives (almost) equal weights, a large corpus its own rarity."""

    keys: np.ndarray  # sorted unique hashes (words and anchors hash apart: "n:"/"p:")
    counts: np.ndarray
    docs: int
    prior: float = 500.0
    prior_share: float = 0.01

    @classmethod
    def of(cls, sigs: list[Signature], settings: Settings) -> DocFreq:
        ok = [s for s in sigs if s.ok]
        # a compute budget: frequencies from an evenly spread sample of a huge corpus
        step = max(1, len(ok) // settings.families_idf_sample)
        ok = ok[::step]
        parts = [s.words for s in ok] + [s.anchors for s in ok]
        allh = np.concatenate(parts) if parts else np.zeros(0, np.uint32)
        keys, counts = np.unique(allh, return_counts=True)
        return cls(
            keys, counts, len(ok), settings.families_idf_prior, settings.families_idf_prior_share
        )

    def idf(self, hashes: np.ndarray) -> np.ndarray:
        df = np.zeros(len(hashes))
        if len(self.keys) and len(hashes):
            pos = np.minimum(np.searchsorted(self.keys, hashes), len(self.keys) - 1)
            df = np.where(self.keys[pos] == hashes, self.counts[pos], 0)
        # float32: a batch of pairs keeps the weights of every article in it
        idf = np.log((self.docs + self.prior) / (df + self.prior * self.prior_share))
        return idf.astype(np.float32)

    def weights(self, sig: Signature) -> tuple[np.ndarray, np.ndarray]:
        """Rarity weight of each content word and of each name/number of ``sig``."""
        return self.idf(sig.words), self.idf(sig.anchors)


def _overlaps(
    a: np.ndarray, b: np.ndarray, wa: np.ndarray, wb: np.ndarray
) -> tuple[float, float, float, float, int]:
    """Plain and rarity-weighted overlap of two hash sets, each normalised both ways
    (|a∩b| / sqrt(|a||b|) and / min), and the shared count."""
    if len(a) == 0 or len(b) == 0:
        return 0.0, 0.0, 0.0, 0.0, 0
    # both sorted and unique: a binary search per element of a finds the shared ones
    pos = np.minimum(np.searchsorted(b, a), len(b) - 1)
    held = b[pos] == a
    n = int(np.count_nonzero(held))
    shared, ta, tb = float(wa[held].sum()), float(wa.sum()), float(wb.sum())
    return (
        n / float(np.sqrt(len(a) * len(b))),
        n / min(len(a), len(b)),
        shared / float(np.sqrt(ta * tb)),
        shared / min(ta, tb),
        n,
    )


def _both(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    if len(a) == 0 or len(b) == 0:
        return 0.0, 0.0
    n = _inter(a, b)
    return n / float(np.sqrt(len(a) * len(b))), n / min(len(a), len(b))


def shingles_contained(a: Signature, b: Signature, jac: float) -> float:
    """Share of the shorter text's shingles in the longer one, from the MinHash Jaccard J
    and the shingle counts: |a∩b| = J (|a| + |b|) / (1 + J)."""
    na, nb = max(a.n_shingles, 1), max(b.n_shingles, 1)
    return min(1.0, jac * (na + nb) / (1 + jac) / min(na, nb))


_UNIFORM = DocFreq(np.zeros(0, np.uint32), np.zeros(0, np.int64), 0)


Weights = tuple[np.ndarray, np.ndarray]


def features(
    a: Signature,
    b: Signature,
    df: DocFreq | None = None,
    wa: Weights | None = None,
    wb: Weights | None = None,
) -> tuple[float, ...]:
    """The pair's evidence (``FEATURES``); ``wa``/``wb``: ``df.weights`` of a and b when the
    caller has them already."""
    df = df or _UNIFORM
    wa = wa or df.weights(a)
    wb = wb or df.weights(b)
    cos = float(np.dot(a.embedding.astype(np.float32), b.embedding.astype(np.float32)))
    w, wc, wi, wic, _ = _overlaps(a.words, b.words, wa[0], wb[0])
    an, ac, ai, aic, n_anchors = _overlaps(a.anchors, b.anchors, wa[1], wb[1])
    q, _ = _both(a.quotes, b.quotes)
    jac = float(np.mean(a.minhash == b.minhash))
    small = min(len(a.words), len(b.words))
    plain = (cos, w, wc, an, ac, q, jac, jac * ac, shingles_contained(a, b, jac))
    return plain + (float(np.log1p(n_anchors)), float(np.log1p(small)), wi, wic, ai, aic)


_TREE_ARRAYS = ("roots", "feature", "threshold", "missing_left", "left", "right", "value")


@dataclass(frozen=True)
class PairModel:
    """Boosted decision trees over ``FEATURES`` (fitted by ``families.train``), as flat node
    arrays evaluated with numpy. Trees, not a linear model: on dev, out of fold, they rank
    the uncertain pairs (linear probability 0.1-0.9) far better (AUC 0.82 -> 0.92), since
    evidence interacts (a high cosine means little between two short texts; shared names
    matter more when few words are shared). A node goes left when its feature is <= its
    threshold (missing values: ``missing_left``); a leaf points to itself and holds a raw
    score; the probability is the logistic of ``baseline`` plus one leaf score per tree."""

    baseline: float
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray

    def probability(self, x: np.ndarray) -> np.ndarray:
        # tree by tree, rows split at each node (a partition, not a step per level for every
        # row): 170k pairs/s against 33k stepping all rows through all trees level by level
        cols = np.ascontiguousarray(np.asarray(x, dtype=float).T)
        has_nan = bool(np.isnan(cols).any())
        feature, threshold = self.feature.tolist(), self.threshold.tolist()
        left, right, value = self.left.tolist(), self.right.tolist(), self.value.tolist()
        missing_left = self.missing_left.tolist()
        z = np.full(len(x), self.baseline)
        for root in self.roots.tolist():
            todo = [(root, np.arange(len(x)))]
            while todo:
                node, rows = todo.pop()
                if left[node] == node:  # a leaf
                    z[rows] += value[node]
                    continue
                v = cols[feature[node]][rows]
                right_side = v > threshold[node]
                if has_nan and not missing_left[node]:
                    right_side |= np.isnan(v)
                todo += [(left[node], rows[~right_side]), (right[node], rows[right_side])]
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict:
        return {
            "features": list(FEATURES),
            "kind": "boosted_trees",
            "baseline": self.baseline,
        } | {name: getattr(self, name).tolist() for name in _TREE_ARRAYS}

    @classmethod
    def from_dict(cls, data: dict) -> PairModel:
        """Checks that every node index stays inside the arrays and points forward (a
        hand-edited or truncated file must not index out of range or loop): ``ValueError``
        says what is wrong."""
        if data.get("kind") != "boosted_trees":
            raise ValueError(
                "not a boosted-trees model (retrain: retold.training.train_family_pairs)"
            )
        try:
            arrays = {
                "roots": np.asarray(data["roots"], dtype=np.int64),
                "feature": np.asarray(data["feature"], dtype=np.int64),
                "threshold": np.asarray(data["threshold"], dtype=float),
                "missing_left": np.asarray(data["missing_left"], dtype=bool),
                "left": np.asarray(data["left"], dtype=np.int64),
                "right": np.asarray(data["right"], dtype=np.int64),
                "value": np.asarray(data["value"], dtype=float),
            }
            baseline = float(data["baseline"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad or missing tree field ({exc})") from None
        n = len(arrays["value"])
        if any(a.ndim != 1 for a in arrays.values()) or len(arrays["roots"]) == 0:
            raise ValueError("tree fields must be non-empty flat lists")
        if any(len(arrays[k]) != n for k in _TREE_ARRAYS[1:]):
            raise ValueError("tree fields differ in length")
        for k in ("roots", "left", "right"):
            if arrays[k].min() < 0 or arrays[k].max() >= n:
                raise ValueError(f"{k}: node index out of range")
        if arrays["feature"].min() < 0 or arrays["feature"].max() >= len(FEATURES):
            raise ValueError("feature: index out of range")
        # a leaf points to itself; an inner node only forward (scikit-learn numbers nodes
        # depth first), so evaluating a damaged file cannot loop
        node = np.arange(n)
        leaf = arrays["left"] == node
        if (arrays["right"][leaf] != node[leaf]).any():
            raise ValueError("a leaf must point to itself on both sides")
        if (arrays["left"][~leaf] <= node[~leaf]).any() or (
            arrays["right"][~leaf] <= node[~leaf]
        ).any():
            raise ValueError("an inner node must point to later nodes")
        return cls(baseline, **arrays)


@lru_cache(maxsize=4)
def load_model(path: str = "") -> PairModel:
    target = Path(path) if path else Path(str(resources.files("retold").joinpath(MODEL_FILE)))
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RetoldError(f"{target}: cannot read the family pair model ({exc})") from None
    if not isinstance(data, dict) or data.get("features") != list(FEATURES):
        raise RetoldError(f"{target}: pair model features do not match this retold")
    try:
        return PairModel.from_dict(data)
    except ValueError as exc:
        raise RetoldError(f"{target}: bad family pair model: {exc}") from None


# scores pairs from their features in place of the settings' pair model (the out-of-fold
# threshold choice: each pair scored by a model that was not fitted on it)
Scorer = Callable[[list[tuple[Signature, Signature]], np.ndarray], np.ndarray]


def _features_and_probability(
    pairs: list[tuple[Signature, Signature]],
    settings: Settings,
    df: DocFreq | None,
    scorer: Scorer | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    df = df or _UNIFORM
    rows: list[tuple[float, ...]] = []
    # in batches: each article's rarity weights once per batch (an article sits in many
    # pairs), and the weights of a whole chunk's articles would take gigabytes
    for lo in range(0, len(pairs), _BATCH):
        batch = pairs[lo : lo + _BATCH]
        w: dict[int, Weights] = {}
        for s in (s for pair in batch for s in pair):
            if id(s) not in w:
                w[id(s)] = df.weights(s)
        rows += [features(a, b, df, w[id(a)], w[id(b)]) for a, b in batch]
    x = np.array(rows, dtype=float).reshape(len(pairs), len(FEATURES))
    if scorer is not None:
        return x, scorer(pairs, x)
    return x, load_model(settings.families_pair_model).probability(x)


def verify(
    pairs: list[tuple[Signature, Signature]], settings: Settings, df: DocFreq | None = None
) -> list[PairEvidence]:
    """Evidence and same-story probability for each pair; ``df``: the corpus's document
    frequencies (None: every word weighs the same)."""
    if not pairs:
        return []
    x, p = _features_and_probability(pairs, settings, df)
    # python floats: rounding numpy scalars one by one costs more than the features
    return [
        PairEvidence(tuple([round(v, 4) for v in row]), pr)
        for row, pr in zip(x.tolist(), p.tolist(), strict=True)
    ]


def links_and_probabilities(
    pairs: list[tuple[Signature, Signature]],
    settings: Settings,
    df: DocFreq | None = None,
    scorer: Scorer | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(link strength, probability) per pair. The strength is what ``verify`` makes of the
    pair as a link: 0 when not ``linked``, else its probability (at least 0.99 for a
    near-copy); the same decisions without building a ``PairEvidence`` per pair, which at
    a million articles costs as much as the features. The probability is the pair model's,
    also below the link threshold (the weak-link join's evidence)."""
    if not pairs:
        return np.zeros(0), np.zeros(0)
    x, p = _features_and_probability(pairs, settings, df, scorer)

    def rounded(name: str) -> np.ndarray:  # PairEvidence keeps features rounded
        return np.array([round(v, 4) for v in x[:, FEATURES.index(name)].tolist()])

    near = (rounded("jaccard") >= settings.families_near_copy) & (
        rounded("anchors_contained") >= settings.families_near_copy_anchors
    )
    linked = (p >= settings.families_same_story) | near
    return np.where(linked, np.where(near, np.maximum(p, 0.99), p), 0.0), p
