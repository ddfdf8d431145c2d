"""What site profiles are computed from: one ``Observation`` per stored article.

``sites.read`` builds them from the store; the synthetic generator builds them directly.
Everything after (profiles, score, network) reads observations only, never the store.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE, RETELLING, ALONE = "source", "retelling", "alone"


@dataclass(frozen=True)
class Findings:
    """What the stored audit of one retelling against its family's source found."""

    claims: int = 0
    unsupported: int = 0
    contradicted: int = 0
    quotes: int = 0
    invented: int = 0  # quotes the source does not hold (unsourced) or gives someone else
    altered: int = 0
    sensational_rise: float = 0.0  # retelling minus source sensationalism (0-100 points)
    sensationalism: float | None = None  # the retelling's own score, 0-100
    machine_rewrite: float | None = None  # the retelling's machine-rewrite score, 0-100
    verbatim: bool = False  # the retelling is (nearly) the source's words
    # bottom-k sketch of the retelling's 8-word shingles: finds sites that publish the same
    # rewrite word for word (``sites.timing.twin_pairs``)
    sketch: tuple[int, ...] = ()

    @property
    def not_supported(self) -> int:
        return self.unsupported + self.contradicted

    @property
    def fabricated(self) -> bool:
        """An invented quote or a claim the source does not support."""
        return self.invented > 0 or self.not_supported > 0


@dataclass(frozen=True)
class Observation:
    article: int
    site: str
    role: str  # SOURCE, RETELLING or ALONE (a story no other stored article retells)
    family: int | None = None
    source_article: int | None = None
    source_site: str = ""
    when: float | None = None  # epoch seconds (published, else first seen)
    when_basis: str = ""  # "published" or "first-seen"
    lag_s: float | None = None  # behind the family's source, on the same basis
    lag_basis: str = ""
    shortener: bool = False  # the article's URL was a short link
    findings: Findings | None = None  # retellings with a stored audit
