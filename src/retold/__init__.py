"""retold: trace retold news back to its source and show what each retelling changed."""

import os as _os

# Small matrix products dominate retold's numeric work, and multi-threaded BLAS/OpenMP spends
# more waking threads than it saves: a 600-word pair took 540 ms with the default threads and
# 160 ms with one, on 2 cores. Set before numpy loads; a value the user set wins. (The nli
# judge gives torch its threads back.)
PINNED_THREAD_VARS = tuple(
    v
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    if v not in _os.environ
)
for _var in PINNED_THREAD_VARS:
    _os.environ[_var] = "1"

from retold.errors import RetoldError  # noqa: E402
from retold.model import AnalyzedArticle, Article, Audit  # noqa: E402
from retold.settings import Settings  # noqa: E402

__version__ = "0.1.0"
SCHEMA_VERSION = "1.1"

__all__ = [
    "SCHEMA_VERSION",
    "AnalyzedArticle",
    "Article",
    "Audit",
    "RetoldError",
    "Settings",
    "__version__",
    "analyze",
    "compare",
    "families",
    "read_article",
]


def __getattr__(name: str):  # lazy: importing retold must not load spaCy
    if name == "compare":
        from retold.audit.compare import compare

        return compare
    if name == "analyze":
        from retold.analyze.article import analyze

        return analyze
    if name == "families":
        from retold.families import families

        return families
    if name == "read_article":
        from retold.ingest.files import read_article

        return read_article
    raise AttributeError(name)
