"""Facts that differ between a retelling sentence and the source sentences it aligns to:
numbers, dates, names, places, organisations. Shared by the judges and the report, so a
changed number is found one way only."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from retold.analysis.numbers import describe, same_value
from retold.analysis.roles import person_key, person_roles, role_speakers, roles_of, same_role
from retold.analysis.words import content_words, stem
from retold.audit.align import Alignment
from retold.audit.headings import is_heading
from retold.audit.names import NameIndex, same_name
from retold.settings import Settings
from retold.types import AnalyzedArticle, Change, Entity, Evidence, Quantity, Span

NAME_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"}
_KIND_OF_LABEL = {
    "PERSON": "name",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "name",
}


def entity_key(e: Entity) -> str:
    toks = content_words(e.text)
    return toks[-1] if toks else e.text.lower()


def _units_compatible(a: Quantity, b: Quantity) -> bool:
    if a.kind != b.kind:
        return False
    return not (a.unit and b.unit and stem(a.unit) != stem(b.unit))


@dataclass
class SentenceDiff:
    changes: list[Change] = field(default_factory=list)
    novel_numbers: list[Quantity] = field(default_factory=list)
    novel_names: list[Entity] = field(default_factory=list)


T = TypeVar("T", Quantity, Entity)


def _by_sentence(items: list[T]) -> dict[int, list[tuple[int, T]]]:
    """Items per sentence, each with its position in ``items``."""
    out: dict[int, list[tuple[int, T]]] = defaultdict(list)
    for k, x in enumerate(items):
        out[x.sentence].append((k, x))
    return out


@dataclass
class _Index:
    source_keys: set[str]
    retelling_keys: set[str]
    source_lower: str
    source_roles: dict[str, list[Span]]
    retelling_roles: dict[int, list[tuple[Entity, Span]]]  # per retelling sentence
    # quantities and entities per sentence, so each sentence's diff does not scan them all
    source_quants: dict[int, list[tuple[int, Quantity]]]
    retelling_quants: dict[int, list[tuple[int, Quantity]]]
    source_ents: dict[int, list[tuple[int, Entity]]]
    retelling_ents: dict[int, list[tuple[int, Entity]]]
    source_persons: NameIndex[str] = field(default_factory=lambda: NameIndex([]))
    source_names: NameIndex[Entity] = field(default_factory=lambda: NameIndex([]))
    source_times: set[str] = field(default_factory=set)  # times of day the source names


def _index(source: AnalyzedArticle, retelling: AnalyzedArticle) -> _Index:
    roles: dict[int, list[tuple[Entity, Span]]] = defaultdict(list)
    for e, span in roles_of(retelling.text, retelling.entities):
        roles[e.sentence].append((e, span))
    return _Index(
        {entity_key(e) for e in source.entities if e.label in NAME_LABELS},
        {entity_key(e) for e in retelling.entities if e.label in NAME_LABELS},
        source.text.lower(),
        person_roles(source.text, source.entities),
        roles,
        _by_sentence(source.quantities),
        _by_sentence(retelling.quantities),
        _by_sentence([e for e in source.entities if e.label in NAME_LABELS]),
        _by_sentence([e for e in retelling.entities if e.label in NAME_LABELS]),
        NameIndex([(e.text, e.text) for e in source.entities if e.label == "PERSON"]),
        NameIndex([(e.text, e) for e in source.entities if e.label in NAME_LABELS]),
        _time_words(source.text),
    )


def _role_changes(i: int, idx: _Index) -> list[Change]:
    """A person given another job title than any the source gives them."""
    out = []
    for e, role in idx.retelling_roles.get(i, ()):
        known = idx.source_roles.get(person_key(e))
        if not known:
            # the source names the person, and nowhere gives this title
            if idx.source_persons.same(e.text) and (role.text.lower() not in idx.source_lower):
                out.append(_added_role(e, role))
            continue
        if any(same_role(role.text, k.text) for k in known):
            continue
        src = known[0]
        out.append(
            Change(
                kind="role",
                source_text=f"{src.text} ({e.text})",
                retelling_text=f"{role.text} ({e.text})",
                confidence=0.7,
                evidence=[
                    Evidence(src.text, src.start, src.end, "source"),
                    Evidence(role.text, role.start, role.end, "retelling"),
                ],
                note=f"{e.text}: {src.text} -> {role.text}",
            )
        )
    return out


def _unnamed_role_changes(
    i: int, source: AnalyzedArticle, retelling: AnalyzedArticle, close: list[int], idx: _Index
) -> list[Change]:
    """'The acting president said ...' where the aligned source sentence has the one person
    it stands for, known by another title ('Acting Police Chief Simmons')."""
    sent = retelling.sentences[i]
    if any(e.label == "PERSON" for _, e in idx.retelling_ents.get(i, ())):
        return []
    # people with a known title named in the aligned sentences, by the word the key is (the
    # entity model may tag a lone surname as an organisation)
    people: dict[str, str] = {}
    for j in close:
        text = source.sentences[j].text
        for key in idx.source_roles:
            m = re.search(rf"\b{re.escape(key)}\w*", text, re.IGNORECASE)  # keys are stems
            if m:
                people[key] = m.group(0)
    if len(people) != 1:
        return []
    (key, name), out = next(iter(people.items())), []
    known = idx.source_roles[key]
    for span in role_speakers(sent.text):
        if any(same_role(span.text, k.text) for k in known):
            continue
        src = known[0]
        start = sent.start + span.start
        out.append(
            Change(
                kind="role",
                source_text=f"{src.text} ({name})",
                retelling_text=f"{span.text} ({name})",
                confidence=0.6,
                evidence=[
                    Evidence(src.text, src.start, src.end, "source"),
                    Evidence(span.text, start, start + len(span.text), "retelling"),
                ],
                note=f"{name}: {src.text} -> {span.text} (unnamed in the retelling)",
            )
        )
    return out


NO_ROLE = "(no role given)"


def is_addition(c: Change) -> bool:
    """A change that adds what the source does not say (a job title) rather than alter it."""
    return c.source_text.endswith(NO_ROLE)


# times of day are a closed class: one swapped for another in aligned sentences ("on Sunday
# morning" -> "at midday") changes when something happened, as a changed date does
_TIME_OF_DAY = re.compile(
    r"\b(?:(?:early|late)\s+)?(?:morning|afternoon|evening|night|overnight|midday|noon|"
    r"midnight|dawn|dusk|daybreak|lunchtime|nightfall)\b",
    re.IGNORECASE,
)


def _time_words(text: str) -> set[str]:
    return {m.group(0).lower().split()[-1] for m in _TIME_OF_DAY.finditer(text)}


def _time_of_day_changes(
    i: int, source: AnalyzedArticle, retelling: AnalyzedArticle, close: list[int], idx: _Index
) -> list[Change]:
    r = retelling.sentences[i]
    r_times = {
        m
        for m in _TIME_OF_DAY.finditer(r.text)
        if m.group(0).lower().split()[-1] not in idx.source_times
    }
    if not r_times:
        return []
    mine = _time_words(r.text)
    for j in close:
        s = source.sentences[j]
        theirs = [
            m for m in _TIME_OF_DAY.finditer(s.text) if m.group(0).lower().split()[-1] not in mine
        ]
        if len(theirs) == 1 and len(r_times) == 1:
            sm, rm = theirs[0], next(iter(r_times))
            return [
                Change(
                    kind="date",
                    source_text=sm.group(0),
                    retelling_text=rm.group(0),
                    confidence=0.6,
                    evidence=[
                        Evidence(sm.group(0), s.start + sm.start(), s.start + sm.end(), "source"),
                        Evidence(
                            rm.group(0), r.start + rm.start(), r.start + rm.end(), "retelling"
                        ),
                    ],
                    note=f"time of day: {sm.group(0)} -> {rm.group(0)}",
                )
            ]
    return []


def _added_role(e: Entity, role: Span) -> Change:
    """A job title the source never gives the person: the retelling's own claim."""
    return Change(
        kind="role",
        source_text=f"{e.text} {NO_ROLE}",
        retelling_text=f"{role.text} {e.text}",
        confidence=0.6,
        evidence=[Evidence(role.text, role.start, role.end, "retelling")],
        note=f"{e.text}: title added ({role.text})",
    )


_TOKEN = re.compile(r"[^\W_]+(?:[.,][0-9]+)*")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?:\s+|$)(?=[A-Z\"“‘(]|$)|\n")
_NUMBERISH = re.compile(r"^[0-9][0-9.,]*$")


def _context(text: str, start: int, end: int, width: int) -> tuple[str, str, set[str]]:
    """The word before, the word after, and the content words around ``text[start:end]``."""
    # within the sentence: the next sentence's words are not this mention's frame
    left = _SENTENCE_END.split(text[max(0, start - 80) : start])[-1]
    right = _SENTENCE_END.split(text[end : end + 80], maxsplit=1)[0]
    before = [w.lower() for w in _TOKEN.findall(left)]
    after = [w.lower() for w in _TOKEN.findall(right)]
    around = before[-width:] + after[:width]
    words = {stem(w) for w in around if len(w) > 2 and not _NUMBERISH.match(w)}
    return (before[-1] if before else ""), (after[0] if after else ""), words


def context_match(
    src_text: str,
    s: Quantity | Entity,
    ret_text: str,
    r: Quantity | Entity,
    width: int,
    adjacent: bool = True,
) -> int:
    """How much two mentions share their surroundings: the same word right before or after
    counts 2 each, a shared content word nearby 1 each. A changed value keeps its frame
    ("a 1 in 48,000 chance" / "one in 63,000"); an unrelated number does not."""
    pb, pa, pw = _context(src_text, s.start, s.end, width)
    rb, ra, rw = _context(ret_text, r.start, r.end, width)
    score = 2 * (bool(pb) and pb == rb) + 2 * (bool(pa) and pa == ra) if adjacent else 0
    return score + len(pw & rw)


def _dated(q: Quantity) -> bool:
    # "on Sept. 16" / "on Aug. 26": a shared preposition does not make the same event
    return q.kind in ("date", "year")


_LISTED = re.compile(r"^\s*(?:,|and\b|or\b|&)", re.IGNORECASE)
_LISTED_BEFORE = re.compile(r"(?:,|\band|\bor|&)\s*$", re.IGNORECASE)
# an outlet credited for the story ("reports UNN", "Caliber.Az reports", "according to AP")
_CREDIT_BEFORE = re.compile(r"(?:reports?|reported by|according to|via|told)\s*$", re.IGNORECASE)
_CREDIT_AFTER = re.compile(r"^\s*(?:reports?|reported|said in a report)\b", re.IGNORECASE)


def in_list(text: str, e: Entity) -> bool:
    """One item of an enumeration ("Germany, France and Italy")."""
    return bool(
        _LISTED.match(text[e.end : e.end + 6])
        or _LISTED_BEFORE.search(text[max(0, e.start - 6) : e.start])
    )


def is_credit(text: str, e: Entity) -> bool:
    return bool(
        _CREDIT_BEFORE.search(text[max(0, e.start - 20) : e.start])
        or _CREDIT_AFTER.match(text[e.end : e.end + 20])
    )


def diff_sentence(
    i: int,
    source: AnalyzedArticle,
    retelling: AnalyzedArticle,
    al: Alignment,
    settings: Settings,
    index: _Index | None = None,
) -> SentenceDiff:
    idx = index or _index(source, retelling)
    out = SentenceDiff()
    close = [j for j, s in al.top[i] if s >= settings.contradiction_min_align]
    r_quants = _in_sentences(idx.retelling_quants, [i])
    c_quants = _in_sentences(idx.source_quants, close)
    # dates, amounts and percentages are distinctive enough to pair across a looser alignment
    # (a headline changing "September 9" to "September 19" aligns only loosely to the body)
    loose = {j for j, _ in al.top[i]} - set(close)
    c_quants += [
        q for q in _in_sentences(idx.source_quants, loose) if q.kind in ("date", "money", "percent")
    ]
    used: set[int] = set()
    for q in r_quants:
        if any(same_value(q, s) for s in source.quantities):
            continue
        # a value pairs with a source value only in the same frame: the same unit, or
        # the same words around it (a list of figures is not a substitution)
        w = settings.change_context_words
        rivals = [
            (k, s)
            for k, s in enumerate(c_quants)
            if k not in used
            and _units_compatible(q, s)
            and not any(same_value(s, r) for r in r_quants)
            and (
                (q.unit and q.unit == s.unit and not _dated(q))
                or context_match(source.text, s, retelling.text, q, w, not _dated(q)) >= 2
            )
        ]
        if (
            not rivals
            and q.kind in ("date", "money", "percent")
            and q.unit != "weekday"
            and al.top[i]  # a sentence that matches nothing in the source is new, not changed
        ):
            # the source's only date (or amount) of this kind is the one that changed
            only = [s for s in source.quantities if _units_compatible(q, s)]
            if len(only) == 1 and not any(same_value(only[0], r) for r in r_quants):
                c_quants.append(only[0])
                rivals = [(len(c_quants) - 1, only[0])]
        if rivals:
            k, s = max(
                rivals,
                key=lambda ks: (
                    context_match(source.text, ks[1], retelling.text, q, w),
                    -abs(
                        ks[1].start
                        - source.sentences[ks[1].sentence].start
                        - (q.start - retelling.sentences[i].start)
                    ),
                ),
            )
            used.add(k)
            kind = "date" if q.kind in ("date", "year") else "number"
            out.changes.append(
                Change(
                    kind=kind,
                    source_text=s.text,
                    retelling_text=q.text,
                    confidence=(0.9 if q.unit and q.unit == s.unit else 0.75)
                    * (1.0 if s.sentence in close else 0.75),
                    evidence=[
                        Evidence(s.text, s.start, s.end, "source"),
                        Evidence(q.text, q.start, q.end, "retelling"),
                    ],
                    note=f"{describe(s)} -> {describe(q)}",
                )
            )
        else:
            out.novel_numbers.append(q)

    out.changes.extend(_role_changes(i, idx))
    out.changes.extend(_unnamed_role_changes(i, source, retelling, close, idx))
    out.changes.extend(_time_of_day_changes(i, source, retelling, close, idx))
    r_ents = _in_sentences(idx.retelling_ents, [i])
    c_ents = _in_sentences(idx.source_ents, close)
    heading = is_heading(retelling, retelling.sentences[i], settings)
    rtext = retelling.text
    for e in r_ents:
        if e.text.lower() in idx.source_lower or idx.source_names.same(e.text):
            continue
        # a name with some words swapped ("Chevy Chase" / "Chevrolet Chase"): renamed
        ren = [
            s
            for s in idx.source_names.renamed(e.text, settings.change_renamed_min_overlap)
            if not any(same_name(s.text, r.text) for r in r_ents)
        ]
        if entity_key(e) in idx.source_keys and not ren:
            continue
        rivals = ren or [
            s
            for s in c_ents
            if s.label == e.label
            and entity_key(s) not in idx.retelling_keys
            and not any(same_name(s.text, r.text) for r in r_ents)
            # the same role in aligned sentences: not a list item, an outlet credit or a
            # title-case headline phrase, and the same words around it
            and not heading
            and not in_list(rtext, e)
            and not in_list(source.text, s)
            and not is_credit(rtext, e)
            and not is_credit(source.text, s)
            and context_match(source.text, s, rtext, e, settings.change_context_words) >= 2
        ]
        if rivals and e.label in {"PERSON", "GPE", "LOC", "ORG", "FAC"}:
            # the rival in the most similar frame
            s = max(
                rivals,
                key=lambda x: context_match(
                    source.text, x, rtext, e, settings.change_context_words
                ),
            )
            out.changes.append(
                Change(
                    kind=_KIND_OF_LABEL[e.label],
                    source_text=s.text,
                    retelling_text=e.text,  # type: ignore[arg-type]
                    confidence=0.7,
                    evidence=[
                        Evidence(s.text, s.start, s.end, "source"),
                        Evidence(e.text, e.start, e.end, "retelling"),
                    ],
                    note=f"{s.text} -> {e.text}",
                )
            )
        else:
            out.novel_names.append(e)
    return out


def _in_sentences(by_sentence: dict[int, list[tuple[int, T]]], sentences: Iterable[int]) -> list[T]:
    """The items of ``sentences`` in their original order (as a scan of all would give)."""
    found = [kx for j in set(sentences) for kx in by_sentence.get(j, ())]
    return [x for _, x in sorted(found, key=lambda kx: kx[0])]


def diff_all(
    source: AnalyzedArticle, retelling: AnalyzedArticle, al: Alignment, settings: Settings
) -> list[SentenceDiff]:
    idx = _index(source, retelling)
    return [
        diff_sentence(i, source, retelling, al, settings, idx)
        for i in range(len(retelling.sentences))
    ]
