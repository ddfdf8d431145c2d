"""What kind of sentence a retelling sentence is, beyond the judge's claim verdict: page
furniture (``boilerplate``: credits, bylines, footers, datelines) is set aside, and a heading
is read as a summary of the source (see ``retold.audit.headings``)."""

from __future__ import annotations

from collections import defaultdict

from retold.audit.boilerplate import boilerplate_reason, is_dateline
from retold.audit.headings import content_stems, heading_verdict, is_heading
from retold.settings import Settings
from retold.types import AnalyzedArticle, Entity, Sentence

# judge reasons that are about more than wording: a heading keeps its verdict for them
_NOT_WORDING = (
    "escalation",
    "adds content",
    "numbers not in",
    "states as certain",
    "contains a quote",
)


class SentenceKinds:
    """Per-compare lookups, built once: the retelling's entities per sentence and the
    source's content stems (only when a heading needs them), so a long text stays linear."""

    def __init__(self, source: AnalyzedArticle, retelling: AnalyzedArticle, st: Settings) -> None:
        self.source, self.retelling, self.settings = source, retelling, st
        self.entities: dict[int, list[Entity]] = defaultdict(list)
        for e in retelling.entities:
            self.entities[e.sentence].append(e)
        self._source_stems: set[str] | None = None

    @property
    def source_stems(self) -> set[str]:
        if self._source_stems is None:
            self._source_stems = set(content_stems(self.source.text))
        return self._source_stems

    def verdict(
        self, s: Sentence, verdict: str, conf: float, reasons: list[str]
    ) -> tuple[str, float, list[str]]:
        """The claim verdict, confidence and reasons, with furniture and headings applied."""
        ents = self.entities.get(s.index, [])
        why = boilerplate_reason(s.text) or (
            "a dateline split off the first sentence" if is_dateline(s, ents) else None
        )
        if why:
            return "boilerplate", 0.9, [f"page furniture, not a claim: {why}"]
        if verdict == "contradicted" or not is_heading(self.retelling, s, self.settings):
            return verdict, conf, reasons
        found = heading_verdict(s, ents, self.source_stems, self.settings)
        if found is None or (found[0] == "supported" and verdict == "supported"):
            return verdict, conf, reasons
        if found[0] == "boilerplate":
            return "boilerplate", 0.6, [f"not a claim: {found[1]}"]
        # a summary is forgiven its wording, not what it adds ("Historic ... Forever"); its
        # names were checked by heading_verdict (title case misleads the judge's entity check)
        if any(r.startswith(_NOT_WORDING) for r in reasons):
            return verdict, conf, reasons
        return "supported", 0.6, [found[1]]
