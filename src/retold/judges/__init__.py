"""Claim-support judges: one interface, several back ends (see ``base.Judge``)."""

from retold.judges.base import Judge, Judgement, get_judge

__all__ = ["Judge", "Judgement", "get_judge"]
