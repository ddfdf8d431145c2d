"""Page furniture that is not a claim: photo credits, bylines, outlet credits ("reports
UNN"), "appeared first on" footers, share/subscribe text and one-word subheads ("Details").

Such a sentence gets the ``boilerplate`` verdict: it is set aside, not judged against the
source (a retelling's own byline is not an invented fact), and a source's furniture is
never listed as an omission.
"""

from __future__ import annotations

import re

from retold.types import Entity, Sentence

# each pattern: (why, regex over the whole sentence); anchored so a claim that merely
# mentions a photo or a report is not furniture
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (why, re.compile(rx, re.IGNORECASE))
    for why, rx in (
        (
            "a photo or image credit",
            r"^(?:\(?\s*(?:[A-Z]+\s+)?(?:photo|image|picture|video|file photo)s?\b"
            r"(?:\s+credit)?\s*[:/(|-]|.*\b(?:image|photo) copyright\b|.*\bgetty images\b)",
        ),
        ("a republication footer", r".*\bappeared first on\b"),
        (
            "a pointer to the original article",
            r"^(?:source\s*:|read (?:the )?(?:original|full|more)\b|"
            r"originally (?:published|appeared)\b|click here\b|continue reading\b)",
        ),
        (
            "share or subscribe text",
            r"^(?:share (?:this|on)\b|subscribe\b|sign up\b|follow us\b|join (?:us|our)\b|"
            r"download (?:our|the) app\b|related\s*:|read also\b|also read\b|see also\b|"
            r"advertisement\b|all rights reserved\b|©|copyright\b)",
        ),
        (
            "a byline or production credit",
            r"^(?:(?:reporting|writing|editing|additional reporting) by\b|"
            r"(?:written|edited|compiled) by\b)",
        ),
        # "Caliber.Az reports." / "Reports UNN." / "- reports Reuters": the credit alone
        (
            "an outlet credit",
            r"^[\W_]*(?:(?:[\w.&'-]+\s+){1,3}reports?|reports?\s+(?:[\w.&'-]+\s*){1,3}|"
            r"(?:according to|via|source:?)\s+(?:[\w.&'-]+\s*){1,3})[\W_]*$",
        ),
        # a one- or two-word subhead that only opens a section
        (
            "a generic subhead",
            r"^(?:details|background|context|more|update[sd]?|what we know|the latest|"
            r"key points|in brief|summary|conclusion|analysis|reactions?)\s*[:.]?$",
        ),
    )
)


# case matters here: "By Tuesday, officials had left." is a claim
_BYLINE = re.compile(
    r"^[Bb][Yy]\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){1,3}"
    r"(?:\s*(?:,|\||/|-|and)\s*[A-Z][\w.&' -]{0,40})?$"
)


def boilerplate_reason(text: str) -> str | None:
    """Why ``text`` (one sentence) is page furniture, or None when it may be a claim."""
    t = " ".join(text.split())
    if not t or len(t.split()) > 40:
        return None
    if _BYLINE.match(t.rstrip(".")):
        return "a byline"
    for why, rx in _PATTERNS:
        if rx.match(t):
            return why
    return None


_DATELINE_WORD = re.compile(r"[^\W\d_][\w.'’-]*")


def is_dateline(s: Sentence, entities: list[Entity]) -> bool:
    """A place name split off as its own "sentence" ("WASHINGTON:", "Washington D.C."):
    the dateline of the story, not a claim. Every word is in a place entity (of
    ``entities``, the sentence's own) or in capitals."""
    words = list(_DATELINE_WORD.finditer(s.text))
    if not words or len(words) > 5:
        return False
    places = [(e.start, e.end) for e in entities if e.label in _PLACES]
    for m in words:
        a, b = s.start + m.start(), s.start + m.end()
        in_place = any(pa <= a and b <= pb for pa, pb in places)
        if not in_place and not (m.group().isupper() and len(m.group()) > 1):
            return False
    return True


_PLACES = frozenset({"GPE", "LOC", "FAC"})
