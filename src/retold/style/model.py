"""The trained style models (``style_model.json``, written by ``retold train --what style``):
five linear models with the feature standardisation folded into their weights, so scoring is
a dot product in numpy.

- ``si``: is a token part of a propaganda span (SemEval-2020 T11 span identification);
- ``tc``: which of the 14 techniques a span uses (multinomial);
- ``sens``: is an article written in a sensational / emotionally triggering style;
- ``machine``: stock phrases of machine rewriting (evidence of an LLM rewrite, never proof);
- ``clickbait``: is a headline clickbait.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from retold.errors import RetoldError

MODEL_FILE = "style/style_model.json"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Linear:
    """``w @ x + b`` (binary: w is a vector; multinomial: one row per class)."""

    w: np.ndarray
    b: np.ndarray

    def logits(self, x: np.ndarray) -> np.ndarray:
        return x @ self.w.T + self.b if self.w.ndim == 2 else x @ self.w + self.b

    def prob(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logits(x), -30, 30)))

    def softmax(self, x: np.ndarray) -> np.ndarray:
        z = self.logits(x)
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def to_json(self) -> dict[str, Any]:
        return {"w": _rounded(self.w), "b": _rounded(self.b)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Linear:
        return cls(np.asarray(d["w"], dtype=np.float32), np.asarray(d["b"], dtype=np.float32))


def _rounded(a: np.ndarray) -> Any:
    return np.round(np.asarray(a, dtype=np.float64), 6).tolist()


@dataclass(frozen=True)
class StyleModel:
    si: Linear
    si_threshold: float  # token probability, chosen on PTC dev
    si_dims: int  # leading vector dimensions the token rows use
    tc: Linear
    techniques: tuple[str, ...]
    sens: Linear
    sens_baseline: np.ndarray  # mean word vector of neutral training articles
    sens_word_tau: float  # a word drives the score above this logit change per 100 words
    sens_min_delta: float  # points of sensationalism that make a retelling "more sensational"
    machine: Linear
    machine_phrases: tuple[str, ...]
    clickbait: Linear
    clickbait_threshold: float  # probability, chosen on the clickbait dev split
    meta: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "si": {**self.si.to_json(), "threshold": self.si_threshold, "dims": self.si_dims},
            "tc": {**self.tc.to_json(), "techniques": list(self.techniques)},
            "sens": {
                **self.sens.to_json(),
                "baseline": _rounded(self.sens_baseline),
                "word_tau": self.sens_word_tau,
                "min_delta": self.sens_min_delta,
            },
            "machine": {**self.machine.to_json(), "phrases": list(self.machine_phrases)},
            "clickbait": {**self.clickbait.to_json(), "threshold": self.clickbait_threshold},
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> StyleModel:
        return cls(
            si=Linear.from_json(d["si"]),
            si_threshold=float(d["si"]["threshold"]),
            si_dims=int(d["si"]["dims"]),
            tc=Linear.from_json(d["tc"]),
            techniques=tuple(d["tc"]["techniques"]),
            sens=Linear.from_json(d["sens"]),
            sens_baseline=np.asarray(d["sens"]["baseline"], dtype=np.float32),
            sens_word_tau=float(d["sens"]["word_tau"]),
            sens_min_delta=float(d["sens"]["min_delta"]),
            machine=Linear.from_json(d["machine"]),
            machine_phrases=tuple(d["machine"]["phrases"]),
            clickbait=Linear.from_json(d["clickbait"]),
            clickbait_threshold=float(d["clickbait"]["threshold"]),
            meta=dict(d.get("meta") or {}),
        )


def packaged_model_path() -> Path:
    return Path(str(resources.files("retold").joinpath(MODEL_FILE)))


@lru_cache(maxsize=2)
def _load(path: str) -> StyleModel:
    p = Path(path) if path else packaged_model_path()
    if not p.is_file():
        raise RetoldError(f"{p}: style model not found (rebuild: retold train --what style)")
    try:
        return StyleModel.from_json(json.loads(p.read_text("utf-8")))
    except (ValueError, KeyError, TypeError) as exc:
        raise RetoldError(f"{p}: not a retold style model ({exc})") from None


def load_model(path: str = "") -> StyleModel:
    with _LOCK:
        return _load(path)


def save_model(model: StyleModel, path: Path) -> None:
    from retold.report.files import write_text_atomic

    write_text_atomic(path, json.dumps(model.to_json(), separators=(",", ":")) + "\n")
