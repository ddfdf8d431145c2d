"""Story families: which articles retell the same story, and which one is the source.

``families(articles)`` groups in memory (``group``); ``update_store(store)`` does it
incrementally over a store and ``load_from_store(store)`` reads the result back
(``upkeep``); the result types are in ``result``.
"""

from retold.family.group import families
from retold.family.result import Doc, Excluded, FamiliesResult, Family, Member
from retold.family.upkeep import load_from_store, update_store

__all__ = [
    "Doc",
    "Excluded",
    "FamiliesResult",
    "Family",
    "Member",
    "families",
    "load_from_store",
    "update_store",
]
