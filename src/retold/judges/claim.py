"""The claim-support model that ships with retold: a MiniLM cross-encoder fine-tuned by
``retold.training.cross_encoder`` on real entailment data (the sets in its ``training.json``)
and synthetic retellings, exported to int8 ONNX (``models/claim-ce``, run by onnxruntime
through the ``nli`` judge's loader; no torch needed).

Document-level, as SummaC and AlignScore do it: a claim is read against a few source chunks
built around its best-aligned sentences (all of them joined in source order, and the best one
with its neighbours, which carry the names a pronoun stands for); the support probability is
the best chunk's, calibrated (Platt scaling fitted on held-out pairs, kept in the model card).
The model answers supported or not; contradictions come from the heuristic's evidence (changed
numbers, names, roles, polarity), which the ``cascade`` judge keeps.
"""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from retold.audit.align import Alignment
from retold.audit.changes import SentenceDiff
from retold.errors import RetoldError
from retold.judges.base import Judge, Judgement
from retold.judges.nli import CLASSES, DEFAULT_LABELS, NLIJudge
from retold.types import AnalyzedArticle

PACKAGED = "models/claim-ce"


def packaged_model_path() -> Path:
    return Path(str(resources.files("retold").joinpath(PACKAGED)))


def read_card(path: Path) -> dict[str, Any]:
    """The model card (``training.json``): training sets, held-out scores, calibration."""
    card = path / "training.json"
    if not card.is_file():
        return {}
    try:
        data = json.loads(card.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RetoldError(f"{card}: cannot read the claim model card ({exc})") from None
    return data if isinstance(data, dict) else {}


def chunks_for(
    source: AnalyzedArticle, top: list[tuple[int, float]], window: int
) -> list[tuple[str, tuple[int, ...]]]:
    """(premise, source sentence ids) to read a claim against: its candidate sentences joined
    in source order, and the best one with ``window`` neighbours each side."""
    if not top:
        return []
    n = len(source.sentences)
    ids = sorted({j for j, _ in top})
    out = [(" ".join(source.sentences[j].text for j in ids), tuple(j for j, _ in top))]
    best = top[0][0]
    around = tuple(range(max(0, best - window), min(n, best + window + 1)))
    if around != tuple(ids):
        ranked = (best, *[j for j in around if j != best])
        out.append((" ".join(source.sentences[j].text for j in around), ranked))
    return out


class ClaimJudge(Judge):
    name = "claim"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        path = Path(settings.claim_model).expanduser() if settings.claim_model else None
        path = path or packaged_model_path()
        if not settings.claim_model and not (path / "model.onnx").is_file():
            raise RetoldError(
                f"{path}: the packaged claim model is missing; reinstall retold or rebuild it "
                "with `make train-claim-model`"
            )
        # the nli judge's loader, labels from the model's config (not_entailment, entailment)
        self._nli = NLIJudge(
            replace(
                settings,
                nli_model=str(path),
                nli_labels=DEFAULT_LABELS,
                nli_max_length=settings.claim_max_length,
                nli_batch_size=settings.claim_batch_size,
            )
        )
        cal = read_card(path).get("calibration") or {}
        self._scale = float(cal.get("scale", 1.0))
        self._shift = float(cal.get("shift", 0.0))

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Calibrated support probability of each (premise, claim) pair."""
        if not pairs:
            return np.zeros(0)
        p = self._nli.probabilities(pairs)[:, CLASSES.index("entailment")]
        z = np.log(np.clip(p, 1e-6, 1.0)) - np.log(np.clip(1.0 - p, 1e-6, 1.0))
        return 1.0 / (1.0 + np.exp(-(self._scale * z + self._shift)))

    def judge(
        self,
        source: AnalyzedArticle,
        retelling: AnalyzedArticle,
        alignment: Alignment,
        claims: list[int],
        diffs: list[SentenceDiff] | None = None,
    ) -> list[Judgement]:
        st = self.settings
        plans = []
        pairs: dict[tuple[str, str], int] = {}
        for i in claims:
            claim = retelling.sentences[i].text
            top = (alignment.top[i] or [])[: st.claim_passages]
            chunks = chunks_for(source, top, st.claim_window) if claim.strip() else []
            plans.append([(pairs.setdefault((p, claim), len(pairs)), ids) for p, ids in chunks])
        probs = self.probabilities(list(pairs))
        return [self._verdict(plan, probs) for plan in plans]

    def _verdict(self, plan: list[tuple[int, tuple[int, ...]]], probs: np.ndarray) -> Judgement:
        if not plan:
            return Judgement("unsupported", 0.0, 1.0, [], ["no source passage to check against"])
        k, ids = max(plan, key=lambda t: probs[t[0]])
        p = float(probs[k])
        note = f"claim model: support {p:.2f}"
        if p >= self.settings.claim_support_threshold:
            return Judgement("supported", p, p, list(ids), [note])
        return Judgement("unsupported", p, 1.0 - p, list(ids), [note])
