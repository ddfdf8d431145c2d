"""retold: trace retold news back to its source and show what each retelling changed."""

from retold.errors import RetoldError
from retold.model import AnalyzedArticle, Article, Audit
from retold.settings import Settings

__version__ = "0.1.0"
SCHEMA_VERSION = "1.0"

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
