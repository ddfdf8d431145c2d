"""Does a text read like a machine rewrite? Direction evidence for the source pick.

Content farms retell a human-written story with a language model, so within one family the
member that reads least like a model's output is more likely the source. The score is a
logistic model over hashed character 3-5-grams (within words) of the text with its
typography normalised: curly quotes, dashes and URLs say how a page was published, not who
wrote it (a CMS curls the quotes of a machine rewrite too). Fitted by
``retold.training.train_machine_text`` on the dev part of the families evaluation corpus
(originals against their LLM rewrites and restylings); the model file holds the weights and
the vectoriser's settings (``machine_text.npz``).

This is one term of ``family.source.direction_scores``, never a verdict on one article:
the style report's machine-rewrite markers (``style.analyze_style``) stay phrase evidence
with spans.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from retold.errors import RetoldError

MODEL_FILE = "family/machine_text.npz"
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
    }
)
_URL_RE = re.compile(r"https?://\S+|www\.\S+")
# at most this many characters are read: the writing shows in the first pages, and a
# 10 MB page would cost seconds for no better answer
MAX_CHARS = 20_000
# texts featurised at once: 256 long pages hold ~250 MB of sparse rows at most
_CHUNK = 256


def normalise(text: str) -> str:
    """The wording only: NFKC, straight quotes and hyphens, no URLs, single spaces."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).translate(_TYPOGRAPHY)
    return " ".join(_URL_RE.sub(" ", text).split())


@dataclass(frozen=True)
class MachineTextModel:
    """``logit(texts)``: > 0 reads more like a machine rewrite than a human original."""

    w: np.ndarray  # float32 [n_features]
    b: float
    ngram: tuple[int, int]
    meta: dict[str, Any]

    def features(self, texts: list[str]) -> Any:
        """Sparse rows of the normalised texts (fitting and scoring read texts one way)."""
        from sklearn.feature_extraction.text import HashingVectorizer

        return HashingVectorizer(
            analyzer="char_wb",
            ngram_range=self.ngram,
            n_features=len(self.w),
            alternate_sign=False,
            lowercase=True,
            norm="l2",
        ).transform([normalise(t) for t in texts])

    def logit(self, texts: list[str]) -> np.ndarray:
        w = self.w.astype(np.float64)
        out = np.zeros(len(texts))
        for lo in range(0, len(texts), _CHUNK):
            out[lo : lo + _CHUNK] = self.features(texts[lo : lo + _CHUNK]) @ w + self.b
        return out

    @cached_property
    def tag(self) -> str:
        """Which model this is, by content: a store records it with each score, so scores
        of a refitted or another model are never compared with these."""
        digest = hashlib.sha256(self.w.astype(np.float32).tobytes())
        digest.update(f"{self.b:.9g} {self.ngram}".encode())
        return f"char-ngram logistic {digest.hexdigest()[:16]}"

    def save(self, path: Path) -> None:
        meta = {**self.meta, "ngram": list(self.ngram)}
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                w=self.w.astype(np.float32),
                b=np.float32(self.b),
                meta=np.array(json.dumps(meta, sort_keys=True)),
            )


def _load(target: Path) -> MachineTextModel:
    try:
        with np.load(target, allow_pickle=False) as z:
            w, b, meta = z["w"], float(z["b"]), json.loads(str(z["meta"]))
    except (OSError, EOFError, ValueError, TypeError, KeyError, zipfile.BadZipFile) as exc:
        raise RetoldError(f"{target}: cannot read the machine-text model ({exc})") from None
    ngram = meta.get("ngram") if isinstance(meta, dict) else None
    if (
        w.dtype.kind != "f"
        or w.ndim != 1
        or len(w) < 2
        or len(w) & (len(w) - 1)
        or not np.isfinite(w).all()
        or not np.isfinite(b)
        or not (isinstance(ngram, list) and len(ngram) == 2)
        or not all(isinstance(n, int) and 1 <= n <= 10 for n in ngram)
        or ngram[0] > ngram[1]
    ):
        raise RetoldError(
            f"{target}: bad machine-text model (need finite weights, a power-of-two length "
            "and an n-gram range)"
        )
    return MachineTextModel(w.astype(np.float32), b, (ngram[0], ngram[1]), meta)


@lru_cache(maxsize=4)
def load_model(path: str = "") -> MachineTextModel:
    """The packaged model, or a user's file written by ``retold.training.train_machine_text``."""
    return _load(Path(path) if path else Path(str(resources.files("retold").joinpath(MODEL_FILE))))


def machine_logits(texts: list[str], path: str = "") -> np.ndarray:
    return load_model(path).logit(texts)


def fit(
    texts: list[str],
    machine: list[bool],
    bits: int = 16,
    ngram: tuple[int, int] = (3, 5),
    c: float = 3.0,
    meta: dict[str, Any] | None = None,
) -> MachineTextModel:
    """A model fitted on ``texts`` labelled machine rewrite (True) or human original
    (classes weighted to balance: a family has one original and many rewrites)."""
    from sklearn.linear_model import LogisticRegression

    shape = MachineTextModel(np.zeros(2**bits, dtype=np.float32), 0.0, ngram, {})
    x = shape.features(texts)
    lr = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    lr.fit(x, np.asarray(machine, dtype=int))
    return MachineTextModel(
        lr.coef_[0].astype(np.float32), float(lr.intercept_[0]), ngram, {"C": c, **(meta or {})}
    )
