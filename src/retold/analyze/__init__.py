"""Per-article analysis: sentences, entities, quantities, quotes, embeddings."""

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    # ``retold.analyze`` is both this package and the library call: once the package is
    # imported it shadows the lazy ``retold.analyze`` function, so the package is callable
    # (as ``retold.families`` is); the pipeline loads only when called
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from retold.analyze.article import analyze

        return analyze(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
