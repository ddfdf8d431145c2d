"""The learned judge: logistic regression over the claim signals (``judges.signals``) plus
the heuristic's own probability, trained by ``retold train`` (``judges/train.py``) on
synthetic perturbations of training-split articles. Tiny (a JSON of weights), numpy only,
thousands of claims per second."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from retold.audit.align import Alignment
from retold.audit.changes import SentenceDiff
from retold.errors import RetoldError
from retold.judges.base import Judge, Judgement
from retold.judges.heuristic import scored_claims, verdict_from
from retold.judges.signals import ClaimSignals
from retold.types import AnalyzedArticle

MODEL_FILE = "judges/learned_model.json"


def features(sig: ClaimSignals, heuristic_p: float) -> np.ndarray:
    p = min(max(heuristic_p, 1e-4), 1 - 1e-4)
    return np.append(sig.vector(), math.log(p / (1 - p)))


FEATURE_NAMES = (*ClaimSignals.FEATURES, "heuristic_logit")


@lru_cache(maxsize=4)
def load_model(path: str = "") -> dict[str, Any]:
    try:
        if path:
            text = Path(path).read_text("utf-8")
        else:
            text = resources.files("retold").joinpath(MODEL_FILE).read_text("utf-8")
        model = json.loads(text)
    except FileNotFoundError:
        raise RetoldError(
            f"learned judge model not found ({path or MODEL_FILE}): run `make train`"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RetoldError(f"learned judge model {path or MODEL_FILE} is corrupt ({exc})") from None
    if tuple(model.get("features", ())) != FEATURE_NAMES:
        raise RetoldError("learned judge model was trained on other features: run `make train`")
    for key in ("mean", "std", "weights"):
        model[key] = np.asarray(model[key], dtype=np.float64)
    return model


def predict(model: dict[str, Any], x: np.ndarray) -> np.ndarray:
    z = ((x - model["mean"]) / model["std"]) @ model["weights"] + model["bias"]
    return 1.0 / (1.0 + np.exp(-z))


class LearnedJudge(Judge):
    name = "learned"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.model = load_model(getattr(settings, "learned_model", ""))

    def judge(
        self,
        source: AnalyzedArticle,
        retelling: AnalyzedArticle,
        alignment: Alignment,
        claims: list[int],
        diffs: list[SentenceDiff] | None = None,
    ) -> list[Judgement]:
        scored = scored_claims(source, retelling, alignment, claims, diffs, self.settings)
        if not scored:
            return []
        rows = [features(sig, hp) for sig, hp, _ in scored]
        probs = predict(self.model, np.vstack(rows))
        return [
            verdict_from(sig, float(p), reasons, [j for j, _ in alignment.top[i]], self.settings)
            for i, (sig, _, reasons), p in zip(claims, scored, probs, strict=True)
        ]
