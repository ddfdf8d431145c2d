"""The judge interface: does the source support this retelling sentence?"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from retold.errors import RetoldError
from retold.model import ClaimVerdict

if TYPE_CHECKING:
    from retold.audit.align import Alignment
    from retold.audit.changes import SentenceDiff
    from retold.model import AnalyzedArticle
    from retold.settings import Settings


@dataclass
class Judgement:
    verdict: ClaimVerdict
    probability: float  # calibrated-ish probability that the source supports the claim
    confidence: float  # confidence in ``verdict``
    evidence: list[int] = field(default_factory=list)  # source sentence indices, best first
    reasons: list[str] = field(default_factory=list)


class Judge(ABC):
    name: str = "judge"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    def judge(
        self,
        source: AnalyzedArticle,
        retelling: AnalyzedArticle,
        alignment: Alignment,
        claims: list[int],
        diffs: list[SentenceDiff] | None = None,
    ) -> list[Judgement]:
        """One judgement per retelling sentence index in ``claims``, in order.

        ``diffs`` (from ``audit.changes.diff_all``) may be passed to avoid recomputing them."""


def get_judge(name: str, settings: Settings) -> Judge:
    if name == "heuristic":
        from retold.judges.heuristic import HeuristicJudge

        return HeuristicJudge(settings)
    raise RetoldError(f"--judge: unknown judge '{name}' (available: heuristic)")
