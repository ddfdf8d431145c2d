"""Claim-support judges: one interface, several back ends (see ``base.Judge``)."""

from retold.judges.base import Judge, Judgement
from retold.judges.registry import get_judge

__all__ = ["Judge", "Judgement", "get_judge"]
