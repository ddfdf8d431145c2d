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

from typing import TYPE_CHECKING  # noqa: E402

from retold.errors import InputError, RetoldError  # noqa: E402
from retold.settings import Settings  # noqa: E402
from retold.types import (  # noqa: E402
    AnalyzedArticle,
    Article,
    Audit,
    AuditSummary,
    StyleAnalysis,
)

if TYPE_CHECKING:
    from retold.analysis.article import analyze
    from retold.audit.compare import compare
    from retold.family.audit import audit_families
    from retold.family.group import families
    from retold.family.result import FamiliesResult, Family, Member
    from retold.family.upkeep import load_from_store as load_families
    from retold.family.upkeep import update_store as update_families
    from retold.inputs.reading import read_article
    from retold.inputs.run import ingest
    from retold.pipeline.api import RunResult, run_pipeline
    from retold.sites.run import sites_from_store as site_profiles
    from retold.store import ArticleStore, FamilyStore, open_store
    from retold.store.base import IngestStats, StoredArticle
    from retold.style.analyze import analyze_style

__version__ = "0.1.0"
SCHEMA_VERSION = "1.2"

# the library's whole public surface; everything else is internal and may move
__all__ = [
    "SCHEMA_VERSION",
    "AnalyzedArticle",
    "Article",
    "ArticleStore",
    "Audit",
    "AuditSummary",
    "FamiliesResult",
    "Family",
    "FamilyStore",
    "IngestStats",
    "InputError",
    "Member",
    "RetoldError",
    "RunResult",
    "Settings",
    "StoredArticle",
    "StyleAnalysis",
    "__version__",
    "analyze",
    "analyze_style",
    "audit_families",
    "compare",
    "families",
    "ingest",
    "load_families",
    "open_store",
    "read_article",
    "run_pipeline",
    "site_profiles",
    "update_families",
]

# public name -> (module, attribute), imported on first use: importing retold must not load
# spaCy, numpy or the store drivers
_LAZY = {
    "analyze": ("retold.analysis.article", "analyze"),
    "compare": ("retold.audit.compare", "compare"),
    "read_article": ("retold.inputs.reading", "read_article"),
    "ingest": ("retold.inputs.run", "ingest"),
    "families": ("retold.family.group", "families"),
    "update_families": ("retold.family.upkeep", "update_store"),
    "load_families": ("retold.family.upkeep", "load_from_store"),
    "FamiliesResult": ("retold.family.result", "FamiliesResult"),
    "Family": ("retold.family.result", "Family"),
    "Member": ("retold.family.result", "Member"),
    "audit_families": ("retold.family.audit", "audit_families"),
    "open_store": ("retold.store", "open_store"),
    "site_profiles": ("retold.sites.run", "sites_from_store"),
    "ArticleStore": ("retold.store", "ArticleStore"),
    "FamilyStore": ("retold.store", "FamilyStore"),
    "IngestStats": ("retold.store.base", "IngestStats"),
    "StoredArticle": ("retold.store.base", "StoredArticle"),
    "analyze_style": ("retold.style.analyze", "analyze_style"),
    "run_pipeline": ("retold.pipeline.api", "run_pipeline"),
    "RunResult": ("retold.pipeline.api", "RunResult"),
}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'retold' has no attribute {name!r}")
    from importlib import import_module

    module, attr = _LAZY[name]
    value = getattr(import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
