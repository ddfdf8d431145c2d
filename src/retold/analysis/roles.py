"""Job titles attached to named people: 'Transport Minister Irena Dalvik',
'Mira Osterholt, president of the Karvenian Railway Workers' Federation'. Used to report a
retelling that gives someone another role."""

from __future__ import annotations

import re

from retold.analysis.words import content_words, stem
from retold.types import Entity, Span

ROLE_NOUNS = frozenset(
    """minister secretary president chancellor premier governor mayor senator judge prosecutor
    spokesperson spokesman spokeswoman director chairman chairwoman chair ceo chief head leader
    commissioner ambassador envoy general commander professor lawyer attorney economist
    analyst author founder treasurer deputy vice councillor councilor mp""".split()
)
# an appositive after the name: ", the finance minister," / ", president of the X,"
_AFTER = re.compile(
    r"^,\s+((?:the\s+|a\s+|its\s+)?(?:[\w'’-]+\s+){0,3}?([a-z]+)(?:\s+of\s+[^,.;]{2,60})?)\s*[,.;]"
)


def person_key(e: Entity) -> str:
    return (content_words(e.text) or [e.text.lower()])[-1]


def roles_of(text: str, entities: list[Entity]) -> list[tuple[Entity, Span]]:
    """Each PERSON mention with a role attached to it, in text order."""
    out: list[tuple[Entity, Span]] = []
    for e in entities:
        if e.label != "PERSON":
            continue
        role_span = _role_before(text, e.start)
        if role_span:
            out.append((e, role_span))
        m = _AFTER.match(text[e.end : e.end + 120])
        if m and m.group(2).lower() in ROLE_NOUNS:
            a = e.end + m.start(1)
            out.append((e, Span(a, a + len(m.group(1)), m.group(1))))
    return out


_CUE = r"(?:said|says|told|added|stated|announced|explained|noted|warned|confirmed|insisted)"
_ROLE_PHRASE = r"((?:[\w'’-]+\s+){0,3}?(?:" + "|".join(sorted(ROLE_NOUNS)) + r"))"
_ROLE_SPEAKER = re.compile(
    rf"\b[Tt]he\s+{_ROLE_PHRASE}\s+{_CUE}\b|\b{_CUE}\s+the\s+{_ROLE_PHRASE}\b"
)


def role_speakers(text: str) -> list[Span]:
    """Job titles standing for an unnamed speaker: 'The acting president said ...',
    '... said the police chief'."""
    out = []
    for m in _ROLE_SPEAKER.finditer(text):
        k = 1 if m.group(1) else 2
        out.append(Span(m.start(k), m.end(k), m.group(k)))
    return out


def person_roles(text: str, entities: list[Entity]) -> dict[str, list[Span]]:
    """Roles per person key (last content word of the name)."""
    out: dict[str, list[Span]] = {}
    for e, span in roles_of(text, entities):
        out.setdefault(person_key(e), []).append(span)
    return out


_STOP_BEFORE = frozenset(
    "said says told added declared warned stressed insisted explained noted according to by "
    "and or with of the a an as from".split()
)


def _sentence_start(text: str, pos: int) -> bool:
    before = text[max(0, pos - 3) : pos].rstrip()
    return pos == 0 or not before or before[-1] in '.!?\n"“”'


def _role_before(text: str, name_start: int) -> Span | None:
    """'Karvenian Transport Minister' before a name; words keep the role noun's casing, so
    'declared Transport Minister' yields 'Transport Minister'."""
    toks = list(re.finditer(r"[\w'’-]+", text[max(0, name_start - 60) : name_start]))
    if not toks or toks[-1].group(0).lower() not in ROLE_NOUNS:
        return None
    offset = max(0, name_start - 60)
    if text[offset + toks[-1].end() : name_start].strip():
        return None  # punctuation between the title and the name
    capital = toks[-1].group(0)[:1].isupper()
    first = len(toks) - 1
    for k in range(len(toks) - 2, max(-1, len(toks) - 5), -1):
        w = toks[k].group(0)
        gap = text[offset + toks[k].end() : offset + toks[k + 1].start()]
        # "Health minister Ana Costa" at a sentence start: capitalised only by position
        cased = w[:1].isupper() == capital or (
            not capital and _sentence_start(text, offset + toks[k].start())
        )
        if w.lower() in _STOP_BEFORE or not cased or gap.strip():
            break
        first = k
    start, end = offset + toks[first].start(), offset + toks[-1].end()
    return Span(start, end, text[start:end])


def role_words(role: str) -> set[str]:
    """The words that identify a role, without articles, nationality or possessive owners."""
    return {w for w in content_words(role) if w not in {"the", "its"}}


# words that change a role's rank: "Deputy Secretary General" is another job than "Secretary
# General", although its words contain it
# (stemmed, as role_words gives them)
RANK_WORDS = frozenset(
    stem(w)
    for w in "deputy vice acting former assistant junior interim associate shadow ex under".split()
)
# rank words that name the same standing: an interim chief is an acting chief
_SAME_RANK = {
    stem(a): stem(b) for a, b in (("interim", "acting"), ("ex", "former"), ("vice", "deputy"))
}


def _ranked(words: set[str]) -> set[str]:
    return {_SAME_RANK.get(w, w) for w in words}


def same_role(a: str, b: str) -> bool:
    """'Transport Minister' ~ 'Karvenian transport minister'; 'Finance Minister' is not, nor
    is 'Deputy Secretary General' the 'Secretary General'; 'Interim Police Chief' is the
    'Acting Police Chief'."""
    wa, wb = _ranked(role_words(a)), _ranked(role_words(b))
    if wa & RANK_WORDS != wb & RANK_WORDS:
        return False
    return bool(wa) and bool(wb) and (wa <= wb or wb <= wa)
