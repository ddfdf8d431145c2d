"""Judges by name: ``get_judge("heuristic", settings)``; each back end loads only when asked
for (the nli judge needs torch or onnxruntime, the llm judge a server)."""

from __future__ import annotations

from retold.errors import RetoldError
from retold.judges.base import JUDGES, Judge
from retold.settings import Settings


def get_judge(name: str, settings: Settings) -> Judge:
    """The claim-support judge called ``name`` (one of ``JUDGES``), built from ``settings``.

    Raises ``RetoldError`` for an unknown name; a judge whose model or server is missing
    raises its own one-line ``RetoldError`` when built."""
    if name == "heuristic":
        from retold.judges.heuristic import HeuristicJudge

        return HeuristicJudge(settings)
    if name == "learned":
        from retold.judges.learned import LearnedJudge

        return LearnedJudge(settings)
    if name == "claim":
        from retold.judges.claim import ClaimJudge

        return ClaimJudge(settings)
    if name == "nli":
        from retold.judges.nli import NLIJudge

        return NLIJudge(settings)
    if name == "llm":
        from retold.judges.llm import LLMJudge

        return LLMJudge(settings)
    if name == "cascade":
        from retold.judges.cascade import CascadeJudge

        return CascadeJudge(settings, get_judge)
    raise RetoldError(f"--judge: unknown judge '{name}' (available: {', '.join(JUDGES)})")
