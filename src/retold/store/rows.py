"""The family rows a store reads and writes: frozen dataclasses, the same for every backend.

Article rows (``StoredArticle``, ``StoredAudit``, ``SourceArticle``) are in
``retold.store.base``. The values of ``source_status`` that the store itself gives meaning
to are here too: ``SET_BY_USER`` (a source no automatic pick replaces) and ``EXCLUDED``
(articles placed in no family, kept with their reason so no run looks at them again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SET_BY_USER = "set by user"
USER_SOURCE_REASONS = ("set by the user",)
USER_SOURCE_CONFIDENCE = 1.0
EXCLUDED = "excluded"


@dataclass(frozen=True)
class FamilyMember:
    """One article's place in a stored family."""

    article_id: int
    confidence: float
    reason: str = ""


@dataclass(frozen=True)
class FamilyRow:
    """A stored family (one per article at least: singletons and excluded ones included)."""

    id: int
    source_id: int | None
    source_status: str
    source_confidence: float
    source_reasons: list[str]
    updated_at: str
    members: tuple[FamilyMember, ...]

    @property
    def user_source(self) -> int | None:
        """The source the user set (every later run keeps it), or None."""
        return self.source_id if self.source_status == SET_BY_USER else None

    @property
    def excluded(self) -> bool:
        return self.source_status == EXCLUDED

    def has_member(self, article_id: int) -> bool:
        return any(m.article_id == article_id for m in self.members)


@dataclass(frozen=True)
class FamilyWrite:
    """A family to (re)write. ``id`` None: a new family."""

    id: int | None
    members: list[FamilyMember]
    source_id: int | None
    source_status: str
    source_confidence: float
    source_reasons: list[str]


@dataclass(frozen=True)
class SignatureRow:
    """One article's stored signature: ``packed`` maps ``SIGNATURE_COLUMNS`` to values
    (``retold.family.signature.pack`` / ``unpack``)."""

    article_id: int
    version: int
    packed: dict[str, Any]


@dataclass(frozen=True)
class SignatureText:
    """The start of a signed article's text, for a signature that lacks a machine-text
    score."""

    article_id: int
    text: str


@dataclass(frozen=True)
class ArticleMeta:
    """What a family listing shows of a member (no text)."""

    site: str
    url: str
    origin: str
    published: str | None
    title: str


NO_META = ArticleMeta("", "", "", None, "")


@dataclass(frozen=True)
class FamilyPage:
    """One page of the family list and the counts of the whole list."""

    ids: list[int]  # families of two or more, largest first
    families: int  # families of two or more in all
    singletons: int
    excluded: int  # excluded articles


@dataclass(frozen=True)
class FamilyAudit:
    """A member's stored audit against its family's source."""

    audit: dict[str, Any]  # the audit JSON (``report.jsonout.audit_to_dict``)
    only_here: list[int]  # indexes of claims no sibling tells


@dataclass(frozen=True)
class AuditKey:
    """Which stored audit a family member's audit findings come from: its family, the
    family's current source, the audit's id and the revision of the member's link to it
    (``save_family_audit`` counts it up, so a re-audit under the same id shows); read
    without the audit JSON."""

    family_id: int
    source_id: int
    audit_id: int
    revision: int


@dataclass(frozen=True)
class SiteFindings:
    """One family member's audit reduced for site profiles (``retold.sites.read``), kept
    so a later run reduces only what changed. ``findings`` is JSON the store does not
    read; ``version`` is the reducer's (a newer one re-reduces)."""

    article_id: int
    key: AuditKey
    version: int
    findings: str
