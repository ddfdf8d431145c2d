"""Headlines and subheads of a retelling: a heading compresses the story into a few words, so
it is read as a summary, not as a sentence that must match one source sentence.

A heading is a short line of its own without sentence-final punctuation. One whose names and
most of whose content words are in the source is supported by it; one with no name, number or
content word of the source ("A Year of Triumphs and Challenges") only opens a section and is
boilerplate. Anything else keeps the judge's verdict.
"""

from __future__ import annotations

import re

from retold.settings import Settings
from retold.types import AnalyzedArticle, Entity, Sentence

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_STOP = frozenset(
    "a an the of and or for to in on at by with from as is are was were be been amid amidst "
    "after before over under into its it his her their this that these those new how why what "
    "who says say said".split()
)
# entity labels whose text must occur in the source for a heading to summarise it
_NAMED = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT"})


def is_heading(doc: AnalyzedArticle, s: Sentence, settings: Settings) -> bool:
    """A short line standing alone, without sentence-final punctuation."""
    text = doc.text
    alone = (s.start == 0 or text[s.start - 1] == "\n") and (
        s.end == len(text) or text[s.end] == "\n"
    )
    stripped = s.text.rstrip()
    return (
        alone
        and 0 < len(stripped.split()) <= settings.heading_max_words
        and not stripped.endswith((".", "!", "?", ":", ";", ",", '"', "”", "’", "'"))
    )


def _stem(word: str) -> str:
    # a crude stem: "resignation"/"resign", "defends"/"defence" share their first letters
    return word.lower()[:5]


def content_stems(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 2]


def heading_verdict(
    s: Sentence, entities: list[Entity], source_stems: set[str], settings: Settings
) -> tuple[str, str] | None:
    """("supported" | "boilerplate", why) for a heading the source accounts for or that
    says nothing checkable; None to keep the judge's verdict. ``entities``: the heading's
    own; ``source_stems``: ``content_stems`` of the whole source."""
    stems = content_stems(s.text)
    names = [e for e in entities if e.label in _NAMED]
    if any(ch.isdigit() for ch in s.text):
        return None  # a number in a heading is checked like any other
    if not names and s.index > 0 and not any(st in source_stems for st in stems):
        return "boilerplate", "a subhead with no name or content word of the source"
    if not stems:
        return None
    # title case misleads the entity model ("Labour MPs Prepare"): a name counts as the
    # source's when most of its words are
    for e in names:
        words = content_stems(e.text)
        if words and sum(w in source_stems for w in words) < 0.5 * len(words):
            return None
    share = sum(st in source_stems for st in stems) / len(stems)
    if share >= settings.heading_min_share:
        return "supported", f"a heading whose names and {share:.0%} of words are in the source"
    if not names and s.index > 0:  # a headline itself is never set aside
        return "boilerplate", "a generic subhead: no name, few words of the source"
    return None
