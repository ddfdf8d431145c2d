"""Story families: which articles retell the same story, and which one is the source.

``families(articles)`` groups in memory; ``update_store(store)`` does it incrementally over
a store (``retold families``). See ``run`` for the stages.
"""

from retold.family.run import (
    Excluded,
    FamiliesResult,
    Family,
    Member,
    families,
    load_from_store,
    update_store,
)

__all__ = [
    "Excluded",
    "FamiliesResult",
    "Family",
    "Member",
    "families",
    "load_from_store",
    "update_store",
]
