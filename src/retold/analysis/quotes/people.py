"""Who can speak: speaker-name normalisation and matching, and people spaCy missed
(honorific/role-title names, surnames used as speakers)."""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import replace
from functools import lru_cache

from retold.analysis.quotes.lexicon import (
    CAP_STOP,
    CUE_VERBS,
    DETS,
    HONORIFICS,
    POSS_RE,
    PUNCT_RE,
    ROLE_FORMS,
    SPEAKER_LABELS,
    WORD_RE,
    WS_COMMA_RE,
    is_role_title,
    is_title_word,
    word_list,
)
from retold.analysis.quotes.scan import (
    SpanIndex,
)
from retold.types import Entity


@lru_cache(maxsize=4096)
def strip_titles(name: str) -> str:
    """Drop honorifics, role titles and appositives, keeping case: 'Finance Minister Maria
    Keller' -> 'Maria Keller', 'Dr. Keller' -> 'Keller'. Descriptions pass through unchanged."""
    name = unicodedata.normalize("NFKC", name).strip()
    if "," in name:
        segs = [s.strip() for s in name.split(",") if s.strip()]
        named = [s for s in segs if s.split()[0].lower() not in DETS and s[:1].isupper()]
        name = (named or segs or [""])[0]
    name = POSS_RE.sub("", name).strip()
    toks = name.split()
    cut = 0
    for i, tok in enumerate(toks[:-1]):
        w = tok.rstrip(".").lower()
        if w in HONORIFICS or (is_role_title(w) and toks[i + 1][:1].isupper()):
            cut = i + 1  # a role title only counts before a name, not in "a spokesperson for"
        elif any(is_role_title(t.rstrip(".").lower()) for t in toks[i + 1 : -1]):
            continue  # a qualifier before a later title ("Finance" in "Finance Minister X")
        else:
            break
    return " ".join(toks[cut:])


def normalise_speaker(s: str | None) -> str:
    """Comparison key for a speaker: titles and appositive roles removed, accents folded,
    lower-cased ('Dr. Maria Keller, the minister' -> 'maria keller')."""
    return _normalise(s) if s else ""


@lru_cache(maxsize=4096)
def _normalise(s: str) -> str:
    s = strip_titles(s)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = PUNCT_RE.sub("", s.casefold())
    return " ".join(s.split())


def canonical_speakers(entities: list[Entity]) -> dict[str, str]:
    """Map normalised name forms ('keller', 'maria keller') to the fullest PERSON name that
    introduces them ('Maria Keller'). The first full name wins when two people share a surname."""
    canon: dict[str, str] = {}
    for e in entities:
        if e.label != "PERSON":
            continue
        full = strip_titles(e.text)
        toks = full.split()
        if not toks:
            continue
        key = normalise_speaker(full)
        if len(toks) == 1:
            canon.setdefault(key, full)
            continue
        canon.setdefault(key, full)
        for short in (toks[-1], f"{toks[0]} {toks[-1]}"):
            k = normalise_speaker(short)
            if k not in canon or " " not in canon[k]:  # upgrade a surname seen before
                canon[k] = full
    return canon


def resolve_speaker(name: str, canon: dict[str, str]) -> str:
    """The canonical form of a name mention: 'Ms Keller' -> 'Maria Keller'."""
    return canon.get(normalise_speaker(name)) or strip_titles(name) or name.strip()


def same_speaker(a: str | None, b: str | None) -> bool:
    """True when two speaker strings plausibly name the same person ('Keller' vs
    'Dr. Maria Keller'); descriptions compare by their normalised text."""
    na, nb = normalise_speaker(a), normalise_speaker(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    ta, tb = na.split(), nb.split()
    return (len(ta) == 1 or len(tb) == 1) and ta[-1] == tb[-1]


# words that make a capitalised run an organisation or place, never a person's name
_ORG_WORDS = frozenset(
    word_list("""
association institute institution university college school academy authority agency council
party bank group company corporation corp inc ltd llc plc gmbh foundation trust fund museum
hospital clinic court board union committee commission department ministry office service
services police force army navy church federation league club society centre center network
times post news press valley river lake mountain mountains city county region province state
republic kingdom island islands airport station street road square park chemicals industries
holdings partners pharmacists airlines motors energy health research rivers""")
)
_PERSONISH = r"[A-Z][a-z]+(?:[-'’][A-Za-z]+)*"
_PERSONISH_RE = re.compile(_PERSONISH)
_TITLE_WORD_RE = re.compile(r"\b([A-Z][a-z]+)\.?\s+(?=[A-Z])")  # "Prof " before a name
_NAME_AT_RE = re.compile(rf"{_PERSONISH}(?:\s+{_PERSONISH}){{0,2}}(?![\w'’-])")
_APPOS_DET = r"(?:[Tt]he|[Aa]n?|[Ii]ts|[Tt]heir|[Hh]is|[Hh]er)\s+(?:[\w'’-]+\s+){0,3}?"
APPOS_BEFORE_RE = re.compile(r"\b" + _APPOS_DET + r"([a-z][\w-]*),\s+$")
APPOS_AFTER_RE = re.compile(
    r",\s+"
    + _APPOS_DET
    + r"([a-z][\w-]*)(?:\s+(?:at|of|for|with|from|in)\s+[^,.;]{1,40}?)?\s*[,.;]"
)
_TITLE_BEFORE_RE = re.compile(r"(?:^|[\s(“\"‘'—–,])([A-Za-z][\w-]*)\.?\s+$")
_CUE_WORDS = "|".join(sorted(CUE_VERBS, key=len, reverse=True))
_CUE_AFTER_RE = re.compile(r"\s*,?\s+(?:" + _CUE_WORDS + r")\b")
_CUE_BEFORE_RE = re.compile(r"\b(?:" + _CUE_WORDS + r"|Mr|Mrs|Ms|Dr|Prof)\.?,?\s+$")


def name_core(text: str) -> list[str] | None:
    """Tokens of a person-like name ('Dr Helena Marrow' -> ['Helena', 'Marrow']): 1-3
    Title-Case words, none of them an organisation or role word."""
    toks = strip_titles(text).split()
    if not 1 <= len(toks) <= 3:
        return None
    for t in toks:
        low = t.lower()
        if not _PERSONISH_RE.fullmatch(t) or t in CAP_STOP or low in _ORG_WORDS:
            return None
        if low in ROLE_FORMS or is_title_word(low):
            return None
    return toks


def _used_as_speaker(
    text: str, word: str, after: int, cache: dict[str, list[int]] | None = None
) -> bool:
    """Is ``word`` used alone later as a person ('Marrow said', 'said Marrow', 'Ms Marrow')?
    ``cache`` keeps, per word, where it is so used: one scan of the text per word, not one
    per entity (a long text names the same organisation thousands of times)."""
    if cache is None:
        cache = {}
    uses = cache.get(word)
    if uses is None:
        uses = cache[word] = []
        for mt in re.finditer(r"\b" + re.escape(word) + r"\b", text):
            if mt.end() < len(text) and text[mt.end()] in "'’-":
                continue  # "Marrow's", "Marrow-based"
            if _CUE_AFTER_RE.match(text, mt.end()) or _CUE_BEFORE_RE.search(
                text, max(0, mt.start() - 14), mt.start()
            ):
                uses.append(mt.start())
    return bisect.bisect_left(uses, after) < len(uses)


def _title_before(text: str, pos: int, n_core: int) -> int | None:
    """Start of a name whose honorific or role title precedes ``pos``, skipping up to two
    more given names ('Prof Odile | Varnhem' when spaCy only found 'Varnhem'), or None."""
    start = pos
    while True:
        t = _TITLE_BEFORE_RE.search(text, max(0, start - 24), start)
        if t is None:
            return None
        word = t.group(1)
        low = word.lower()
        if low in HONORIFICS or (is_role_title(low) and (word[:1].isupper() or n_core > 1)):
            return start
        personish = _PERSONISH_RE.fullmatch(word) and word not in CAP_STOP
        if n_core >= 3 or not personish or low in _ORG_WORDS or text[t.end(1)] == ".":
            return None
        n_core += 1
        start = t.start(1)


def promote_people(text: str, entities: list[Entity]) -> list[Entity]:
    """spaCy sometimes labels a person ORG or GPE ('Dr Helena Marrow', 'Marrow'). Relabel as
    PERSON a name after an honorific or role title ('Dr', 'Judge', 'glaciologist'), a 2-3 word
    Title-Case name whose surname is later used alone as a speaker ('Marrow said'), and lone
    surnames of people found so. Leading sentence words are trimmed ('Later Kasimir Troll')."""
    surnames = {e.text.split()[-1] for e in entities if e.label == "PERSON" and e.text.split()}
    changed: dict[int, Entity] = {}
    speaker_uses: dict[str, list[int]] = {}
    for i, ent in enumerate(entities):
        if ent.label not in SPEAKER_LABELS:
            continue
        start = ent.start
        first = WORD_RE.match(text, start, ent.end)
        while first and first.group() in CAP_STOP and first.end() < ent.end:
            start = WS_COMMA_RE.match(text, first.end(), ent.end).end()
            first = WORD_RE.match(text, start, ent.end)
        core = name_core(text[start : ent.end])
        if core is None:
            continue
        if ent.label == "PERSON":
            if start != ent.start:
                changed[i] = replace(ent, text=text[start : ent.end], start=start)
            continue
        if start != ent.start:  # "Later Kasimir Troll"
            changed[i] = replace(ent, text=text[start : ent.end], start=start)
        titled = strip_titles(text[start : ent.end]) != text[start : ent.end].strip()
        if not titled:
            new_start = _title_before(text, start, len(core))
            if new_start is not None:
                titled, start = True, new_start
                core = text[start : ent.end].split()
        if titled or (len(core) > 1 and _used_as_speaker(text, core[-1], ent.end, speaker_uses)):
            changed[i] = replace(ent, text=text[start : ent.end], start=start, label="PERSON")
            surnames.add(core[-1])
    # "Prof Odile Varnhem" that spaCy did not tag at all
    taken = SpanIndex([(e.start, e.end) for e in entities])
    extra = []
    for mt in _TITLE_WORD_RE.finditer(text):
        low = mt.group(1).lower()
        if not (low in HONORIFICS or is_role_title(low)):
            continue
        name = _NAME_AT_RE.match(text, mt.end())
        if name is None:
            continue
        ns, ne = name.span()
        if taken.overlaps(ns, ne) or name_core(name.group()) is None:
            continue
        extra.append(Entity(name.group(), "PERSON", ns, ne, -1))
        surnames.add(name.group().split()[-1])
    if not changed and not surnames:
        return entities
    grown = SpanIndex([(e.start, e.end) for e in changed.values()])
    out = []
    for i, ent in enumerate(entities):
        if i in changed:
            ent = changed[i]
        elif grown.contains(ent.start, ent.end):
            continue  # inside a name grown to the left ('Odile' in 'Prof Odile Varnhem')
        elif ent.label != "PERSON" and ent.label in SPEAKER_LABELS and ent.text in surnames:
            ent = replace(ent, label="PERSON")  # "Marrow said", after "Dr Helena Marrow"
        out.append(ent)
    if extra:
        # each (in text order) goes after the entities starting at or before it, taking the
        # sentence of the one before it: a merge of two sorted lists
        out.sort(key=lambda x: x.start)
        merged: list[Entity] = []
        k = 0
        for x in extra:
            while k < len(out) and out[k].start <= x.start:
                merged.append(out[k])
                k += 1
            merged.append(replace(x, sentence=merged[-1].sentence if merged else 0))
        out = merged + out[k:]
    return out
