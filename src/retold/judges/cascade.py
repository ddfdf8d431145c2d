"""Cascade: the cheap judge first, the expensive judge only for claims it is unsure of.

A claim escalates when the cheap judge's support probability falls in
[``cascade_low``, ``cascade_high``] and its verdict does not rest on a specific finding (a
changed number or name, a dropped hedge, an added clause or number: ``Judgement.specific``);
a doubt from wording alone is what a second reader can settle. ``cascade_combine`` says what
the second answer does: ``replace`` the first, or ``max``: the more supportive judgement
wins, so the second judge can clear a claim the first doubted but never accuse one it
cleared. ``stats`` reports the share escalated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retold.audit.align import Alignment
from retold.audit.changes import SentenceDiff
from retold.errors import RetoldError
from retold.judges.base import Judge, Judgement
from retold.types import AnalyzedArticle


class CascadeJudge(Judge):
    name = "cascade"

    def __init__(self, settings: Any, make_judge: Callable[[str, Any], Judge]) -> None:
        # ``make_judge`` is the registry's ``get_judge``, passed in so the two modules do not
        # import each other
        super().__init__(settings)
        if "cascade" in (settings.cascade_cheap, settings.cascade_expensive):
            raise RetoldError("cascade_cheap and cascade_expensive cannot be 'cascade'")
        if not 0.0 <= settings.cascade_low <= settings.cascade_high <= 1.0:
            raise RetoldError("cascade_low and cascade_high must satisfy 0 <= low <= high <= 1")
        if settings.cascade_combine not in ("max", "replace"):
            raise RetoldError(
                f"cascade_combine must be 'max' or 'replace', not {settings.cascade_combine!r}"
            )
        self.cheap = make_judge(settings.cascade_cheap, settings)
        self.expensive = make_judge(settings.cascade_expensive, settings)
        self.name = f"cascade({self.cheap.name}->{self.expensive.name})"
        self.stats = {"claims": 0, "escalated": 0}

    def judge(
        self,
        source: AnalyzedArticle,
        retelling: AnalyzedArticle,
        alignment: Alignment,
        claims: list[int],
        diffs: list[SentenceDiff] | None = None,
    ) -> list[Judgement]:
        st = self.settings
        first = self.cheap.judge(source, retelling, alignment, claims, diffs)
        unsure = [
            k
            for k, j in enumerate(first)
            if j.verdict != "contradicted"
            and not j.specific
            and st.cascade_low <= j.probability <= st.cascade_high
        ]
        self.stats["claims"] += len(claims)
        self.stats["escalated"] += len(unsure)
        if unsure:
            second = self.expensive.judge(
                source, retelling, alignment, [claims[k] for k in unsure], diffs
            )
            for k, j in zip(unsure, second, strict=True):
                if j.verdict == "judge_failed":
                    continue
                if st.cascade_combine == "max" and j.probability <= first[k].probability:
                    first[k].reasons = [
                        *first[k].reasons,
                        f"{self.expensive.name} agrees it is not supported (p={j.probability:.2f})",
                    ]
                    continue
                j.reasons = [
                    *j.reasons,
                    f"escalated from {self.cheap.name} (p={first[k].probability:.2f})",
                ]
                first[k] = j
        return first

    @property
    def escalated_share(self) -> float:
        return self.stats["escalated"] / max(1, self.stats["claims"])
