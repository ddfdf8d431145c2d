"""Story families: which articles retell the same story, and which one is the source.

``families(articles)`` groups in memory; ``update_store(store)`` does it incrementally over
a store (``retold families``). See ``run`` for the stages.
"""

import sys
import types
from typing import Any

from retold.families.run import (
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


class _CallableModule(types.ModuleType):
    # ``retold.families`` is both this package and the library call: once the package is
    # imported it shadows the lazy ``retold.families`` function, so the package is callable
    def __call__(self, *args: Any, **kwargs: Any) -> FamiliesResult:
        return families(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
