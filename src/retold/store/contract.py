"""What a store offers, whatever the backend: ``ArticleStore`` (articles and audits) and
``FamilyStore`` (that, plus story families). ``SqliteStore`` and ``PostgresStore`` implement
both; ``tests/test_store_contract.py`` checks each against every member, by signature and
by behaviour.

Errors: every method raises ``RetoldError`` (one line) for what a user can cause (a locked
database, an unknown article, a family or member that does not exist); driver errors
outside those are bugs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable

from retold.errors import RetoldError
from retold.store.base import (
    IngestStats,
    ProgressCallback,
    Skipped,
    StoredArticle,
    StoredAudit,
)
from retold.store.rows import (
    ArticleMeta,
    AuditKey,
    FamilyAudit,
    FamilyPage,
    FamilyRow,
    FamilyWrite,
    SignatureRow,
    SignatureText,
    SiteFindings,
)
from retold.types import Article


class NoSuchFamily(RetoldError):
    """No stored family has that id (or its articles are the excluded ones)."""


class NotAMember(RetoldError):
    """The article is not a member of that family."""


@runtime_checkable
class ArticleStore(Protocol):
    """Articles keyed by content hash and canonical URL, and audits between them."""

    location: str  # path or URL (password hidden), for messages

    def add_articles(
        self,
        items: Iterable[Article | Skipped],
        batch_size: int = 500,
        on_progress: ProgressCallback | None = None,
    ) -> IngestStats:
        """Insert new articles in batches, one transaction each.

        Args: items: articles (and inputs that could not be read, counted as skipped);
        on_progress: called with the running counts after each batch.
        Returns: the counts; a duplicate (same content hash or canonical URL) is counted,
        not inserted. Raises: RetoldError when another writer holds the lock too long.
        """
        ...

    def get(self, article_id: int) -> StoredArticle | None:
        """Returns: the article, or None (also for ids no store can hold)."""
        ...

    def list(
        self, limit: int = 20, offset: int = 0, site: str | None = None, query: str | None = None
    ) -> list[StoredArticle]:
        """Returns: newest first; ``site`` exact, ``query`` a case-insensitive substring
        of title or text."""
        ...

    def count(self, site: str | None = None, query: str | None = None) -> int:
        """Returns: how many articles ``list`` would page through."""
        ...

    def iter_articles(self, chunk_size: int = 500) -> Iterator[StoredArticle]:
        """Returns: every article in id order, read in chunks (memory stays flat)."""
        ...

    def save_audit(
        self,
        source_id: int,
        retelling_id: int,
        judge: str,
        data: dict[str, Any],
        schema_version: str | None = None,
    ) -> int:
        """Store (or replace) the audit of one retelling against one source by one judge.

        Returns: the audit's id. Raises: RetoldError when either article is not stored.
        """
        ...

    def get_audit(self, source_id: int, retelling_id: int, judge: str) -> StoredAudit | None:
        """Returns: the stored audit, or None."""
        ...

    @property
    def schema_version(self) -> int:
        """Returns: the migration the database is at."""
        ...

    def integrity_check(self) -> str:
        """Returns: "ok", or what is wrong."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


@runtime_checkable
class FamilyStore(ArticleStore, Protocol):
    """An article store that also keeps story families: one signature per article, the
        current grouping (every article in exactly one family, singletons and excluded ones
        included), which audit belongs to which family member, and those audits reduced for
    site profiles."""

    @property
    def path(self) -> Path | None:
        """Returns: the database file, beside which derived files (the ANN index) may be
        kept; None when the store is not a local file."""
        ...

    # ---------------------------------------------------------------- signatures

    def articles_without_signature(self, limit: int = 500, after: int = 0) -> list[StoredArticle]:
        """Returns: the next ``limit`` unsigned articles with an id above ``after``."""
        ...

    def save_signatures(
        self, rows: list[SignatureRow], doc_model: str, machine_text_model: str = ""
    ) -> None:
        """Store signatures (an article already signed keeps its own).

        Args: doc_model / machine_text_model: tags of the models that made the vectors and
        the machine-text scores (vectors of two models do not compare).
        """
        ...

    def signatures_without_machine_text(
        self, limit: int, after: int = 0, max_chars: int = 20_000
    ) -> list[SignatureText]:
        """Returns: the next ``limit`` signatures with no machine-text score and an article
        id above ``after``, each with the first ``max_chars`` of its text."""
        ...

    def set_machine_text(self, values: Mapping[int, float], model: str) -> None:
        """Args: values: article id -> machine-text logit; model: the scorer's tag."""
        ...

    def forget_machine_text(self, keep: str) -> int:
        """Clear the machine-text scores of every model but ``keep``.

        Returns: how many were cleared.
        """
        ...

    def signature_models(self) -> dict[tuple[str, str | None], int]:
        """Returns: (document model, machine-text model) -> how many signatures they made."""
        ...

    def signature_doc_models(self) -> dict[str, int]:
        """Returns: document model -> how many signatures it made."""
        ...

    def delete_signatures(self) -> int:
        """Drop every signature (families stay). Returns: how many."""
        ...

    def iter_signatures(self, chunk_size: int = 5000) -> Iterator[SignatureRow]:
        """Returns: every signature in article id order, read in chunks."""
        ...

    # ---------------------------------------------------------------- families

    def article_meta(self, ids: list[int] | None = None) -> dict[int, ArticleMeta]:
        """Returns: article id -> listing metadata, for every article or ``ids`` only."""
        ...

    def family_page(self, limit: int, offset: int) -> FamilyPage:
        """Returns: one page of the families of two or more, largest first, and the counts
        of the whole list (computed in the database)."""
        ...

    def families(
        self, family_id: int | None = None, ids: list[int] | None = None
    ) -> list[FamilyRow]:
        """Returns: every stored family, one (``family_id``) or those in ``ids``, by id."""
        ...

    def write_families(self, writes: list[FamilyWrite], delete: list[int]) -> list[int]:
        """Rewrite families (new ones get ids) and drop ``delete``, in one transaction.

        A changed source drops the family's audits; a source the user set meanwhile stays.
        Returns: the ids of ``writes`` in order.
        """
        ...

    def set_family_source(self, family_id: int, article_id: int) -> None:
        """Make ``article_id`` the family's source, as the user's choice: every later run
        keeps it, and the family's audits (made against the old source) are dropped.

        Raises: NoSuchFamily (no such family, or its articles are excluded); NotAMember.
        """
        ...

    # ---------------------------------------------------------------- family audits

    def save_family_audit(
        self,
        family_id: int,
        audit_id: int,
        retelling_id: int,
        judge: str,
        schema_version: str,
        only_here: list[int],
    ) -> None:
        """Link a stored audit (``save_audit``) to a family member, with the indexes of
        its claims no sibling tells."""
        ...

    def family_audits(self, family_id: int, judge: str) -> dict[int, FamilyAudit]:
        """Returns: retelling id -> its stored audit against the family's source."""
        ...

    def family_audit_keys(self, judge: str) -> dict[int, AuditKey]:
        """Returns: retelling id -> (family, the family's current source, audit id) of every
        audit by ``judge`` of a member of its current family; the audit JSON is not read."""
        ...

    def audit_data(self, audit_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Returns: audit id -> the stored audit JSON, for the ids that exist."""
        ...

    # ---------------------------------------------------------------- site findings

    def iter_site_findings(self, judge: str, chunk_size: int = 5000) -> Iterator[SiteFindings]:
        """Returns: every kept site-findings row of ``judge`` in article id order, read in
        chunks. A row is dropped with its article, family or audit, when the family's
        source changes, and when its member's audit is saved again."""
        ...

    def save_site_findings(self, judge: str, rows: list[SiteFindings], drop: list[int]) -> None:
        """Upsert ``rows`` (one per article and judge) and delete the rows of the article
        ids in ``drop``, in one transaction."""
        ...
