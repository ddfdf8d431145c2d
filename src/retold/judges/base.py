"""The judge interface: does the source support this retelling sentence?

Two kinds of back end share it: judges that use the analysed articles (``heuristic``,
``learned``) implement ``judge``; judges that only read text (``nli``, ``llm``) subclass
``TextJudge`` and implement ``judge_inputs`` over (claim, candidate passages) pairs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from retold.types import ClaimVerdict

if TYPE_CHECKING:
    from retold.audit.align import Alignment
    from retold.audit.changes import SentenceDiff
    from retold.settings import Settings
    from retold.types import AnalyzedArticle


JUDGES = ("heuristic", "learned", "claim", "nli", "llm", "cascade")


@dataclass
class Judgement:
    verdict: ClaimVerdict  # "judge_failed" when a back end could not answer
    probability: float  # probability that the source supports the claim, in [0, 1]
    confidence: float  # confidence in ``verdict``, in [0, 1]
    evidence: list[int] = field(default_factory=list)  # source sentence indices, best first
    reasons: list[str] = field(default_factory=list)
    # the verdict rests on a specific finding (a dropped hedge, an added clause, an
    # escalation, a number the source lacks, a contradiction), not on weak wording overlap
    # alone: a cascade keeps it rather than asking a second judge
    specific: bool = False


@dataclass(frozen=True)
class ClaimInput:
    """What a text-only judge sees: the claim and candidate source passages, best first."""

    claim: str
    passages: tuple[str, ...]
    passage_ids: tuple[int, ...]  # source sentence index of each passage

    @property
    def premise(self) -> str:
        """The candidate passages joined in source order: one premise for NLI-style models."""
        order = sorted(range(len(self.passages)), key=lambda k: self.passage_ids[k])
        return " ".join(self.passages[k] for k in order)


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


def claim_inputs(
    source: AnalyzedArticle, retelling: AnalyzedArticle, alignment: Alignment, claims: list[int]
) -> list[ClaimInput]:
    out = []
    for i in claims:
        top = alignment.top[i] or []
        out.append(
            ClaimInput(
                claim=retelling.sentences[i].text,
                passages=tuple(source.sentences[j].text for j, _ in top),
                passage_ids=tuple(j for j, _ in top),
            )
        )
    return out


class TextJudge(Judge):
    """A judge that needs only texts: the claim and its candidate source passages."""

    def judge(
        self,
        source: AnalyzedArticle,
        retelling: AnalyzedArticle,
        alignment: Alignment,
        claims: list[int],
        diffs: list[SentenceDiff] | None = None,
    ) -> list[Judgement]:
        return self.judge_inputs(claim_inputs(source, retelling, alignment, claims))

    @abstractmethod
    def judge_inputs(self, inputs: list[ClaimInput]) -> list[Judgement]:
        """One judgement per input, in order; ``evidence`` holds source sentence indices."""
