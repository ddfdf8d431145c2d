"""What a family run returns: ``FamiliesResult`` (families, singletons, excluded articles)
of ``Family`` and ``Member``; ``Doc`` is what grouping needs of an article."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Doc:
    """What families need of an article."""

    id: int
    text: str
    title: str = ""
    site: str = ""
    url: str = ""
    origin: str = ""
    published: str | None = None


@dataclass
class Member:
    id: int
    confidence: float
    reason: str = ""
    site: str = ""
    url: str = ""
    path: str = ""
    published: str | None = None
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id}
        if self.url:
            d["url"] = self.url
        else:
            d["path"] = self.path
        d.update(site=self.site, confidence=self.confidence, published=self.published)
        if self.title:
            d["title"] = self.title
        if self.reason:
            d["reason"] = self.reason
        return d


@dataclass
class Family:
    id: int
    source: int | None
    source_status: str
    source_confidence: float
    source_reasons: list[str]
    members: list[Member]

    @property
    def size(self) -> int:
        return len(self.members)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "source_status": self.source_status,
            "source_confidence": self.source_confidence,
            "source_reasons": self.source_reasons,
            "size": self.size,
            "members": [m.to_dict() for m in self.members],
        }


@dataclass
class Excluded:
    id: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "reason": self.reason}


@dataclass
class FamiliesResult:
    families: list[Family]  # two or more members, largest first
    singletons: list[int]  # articles that tell a story no other article retells
    excluded: list[Excluded]
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "families": [f.to_dict() for f in self.families],
            "singletons": len(self.singletons),
            "excluded": [e.to_dict() for e in self.excluded],
        }
