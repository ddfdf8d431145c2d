"""Resolving speakers: pronouns, role descriptions and titled names to the person meant."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from retold.analysis.quotes.attribute import (
    Attr,
    Ctx,
    Who,
)
from retold.analysis.quotes.lexicon import (
    CAP_STOP,
    GENDER_RE,
    GENDER_TITLES,
    ROLE_FORMS,
    TOKEN_RE,
    Q,
    is_title_word,
)
from retold.analysis.quotes.people import (
    APPOS_AFTER_RE,
    APPOS_BEFORE_RE,
    name_core,
    normalise_speaker,
    resolve_speaker,
    strip_titles,
)
from retold.types import Entity


def resolve_all(
    ctx: Ctx,
    attrs: list[Attr],
    entities: list[Entity],
    canon: dict[str, str],
    sents: list[tuple[int, int]],
) -> None:
    """Fill ``speaker`` on each attribution. Pronouns go to the most recent compatible
    candidate: a named PERSON speaker or a PERSON entity opening a sentence (its subject);
    failing both, the last PERSON mentioned. Gender comes from Mr/Ms and earlier pronouns."""
    gender: dict[str, str] = {}
    persons: list[tuple[int, str]] = []  # every PERSON mention, canonical
    for ent in entities:
        if ent.label != "PERSON":
            continue
        name = resolve_speaker(ent.text, canon)
        persons.append((ent.start, name))
        t = GENDER_RE.search(ctx.text, max(0, ent.start - 6), ent.start)
        if t:
            gender.setdefault(name, GENDER_TITLES[t.group(1).lower()])
    titled_cache: list[dict[str, list[tuple[int, str]]]] = []

    def titled() -> dict[str, list[tuple[int, str]]]:
        # people introduced with a role, built only when a bare "the judge" needs them:
        # (offset, name) per role word, sorted
        if not titled_cache:
            people = (x for ent in entities if ent.label == "PERSON" for x in _titles_of(ctx, ent))
            by_role: dict[str, list[tuple[int, str]]] = {}
            for off, role, name in sorted([*ctx.titled, *people]):
                by_role.setdefault(role, []).append((off, name))
            titled_cache.append(by_role)
        return titled_cache[0]

    sent_starts = [a for a, _ in sents]
    # where the masked quotes are: "is there a quote between a and b" by bisection, not by
    # slicing the text (a sentence can be the whole text when it has no punctuation)
    masked = [mt.start() for mt in re.finditer(Q, ctx.m)]

    def quote_between(a: int, b: int) -> bool:
        k = bisect.bisect_left(masked, a)
        return k < len(masked) and masked[k] < b

    # pronoun candidates (offset, name, kind): named speakers, plus the first PERSON of each
    # sentence as a stand-in for its subject ("Brandt, the opposition leader, disagreed.")
    subjects: list[tuple[int, str, str]] = []
    seen_sents: set[int] = set()
    for off, name in persons:
        si = max(0, bisect.bisect_right(sent_starts, off) - 1)
        if si not in seen_sents and not quote_between(sent_starts[si] if sents else 0, off):
            subjects.append((off, name, "person"))
        seen_sents.add(si)
    for a in attrs:
        w = a.who
        if w.kind == "name":
            # spaCy often labels a lone surname ORG/GPE; a known PERSON surname wins
            person = (
                w.label in ("PERSON", "")
                or normalise_speaker(w.text) in canon
                or strip_titles(w.text) != w.text.strip()  # "Councillor Ines Moravec" (ORG)
            )
            a.speaker = resolve_speaker(w.text, canon) if person else w.text
            kind = "person" if person else "group"
            if not person and len(name_core(w.text) or ()) > 1:
                kind = "person"  # "Kasimir Troll" (ORG) said ... "...," he said
            subjects.append((w.start, a.speaker, kind))
        elif w.kind == "desc":
            a.speaker = ctx.aliases.get(normalise_speaker(w.text)) or _titled_person(
                w, titled, canon
            )
            a.speaker = a.speaker or w.text
            subjects.append((w.start, a.speaker, "group" if a.speaker == w.text else "person"))
    subjects.sort()
    subject_offsets = [x[0] for x in subjects]
    # the last group / person among the first k subjects, for "they"
    last_group: list[tuple[int, str, str] | None] = [None]
    last_person: list[tuple[int, str, str] | None] = [None]
    for x in subjects:
        last_group.append(x if x[2] == "group" else last_group[-1])
        last_person.append(x if x[2] == "person" else last_person[-1])
    person_offsets = [off for off, _ in persons]
    persons_sorted = person_offsets == sorted(person_offsets)
    for a in attrs:
        w = a.who
        if w.kind != "pronoun":
            continue
        pron = w.text.lower()
        n_prior = bisect.bisect_left(subject_offsets, w.start)
        pick = None
        if pron == "they":
            pick = last_group[n_prior] or last_person[n_prior]
            a.speaker = pick[1] if pick else None
            continue
        want = "m" if pron == "he" else "f"
        # antecedents further back than _PRONOUN_LOOKBACK characters are not looked at: in a
        # long text the backward scans would otherwise make this quadratic
        horizon = w.start - _PRONOUN_LOOKBACK
        for k in range(n_prior - 1, -1, -1):
            cand = subjects[k]
            if cand[0] < horizon:
                break
            if cand[2] == "person" and gender.get(cand[1], want) == want:
                pick = cand[1]
                break
        if pick is None and persons_sorted:
            for k in range(bisect.bisect_left(person_offsets, w.start) - 1, -1, -1):
                off, n = persons[k]
                if off < horizon:
                    break
                if gender.get(n, want) == want:
                    pick = n
                    break
        elif pick is None:
            pick = next(
                (
                    n
                    for off, n in reversed(persons)
                    if horizon <= off < w.start and gender.get(n, want) == want
                ),
                None,
            )
        if pick is not None:
            gender.setdefault(pick, want)
        a.speaker = pick


# how far back (characters) a pronoun's antecedent is looked for: far more than any news
# article, so only texts far longer than one are affected
_PRONOUN_LOOKBACK = 50_000
_NON_ROLE_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "lady", "lord"}


def _titles_of(ctx: Ctx, ent: Entity) -> list[tuple[int, str, str]]:
    """Role words introducing a PERSON entity: 'Judge Ottilie Brask' -> [(.., 'judge', ..)],
    also 'Finance Minister' or 'glaciologist' just before the entity's text."""
    toks = ent.text.split()
    words = [t.rstrip(".").lower() for t in toks[: len(toks) - len(strip_titles(ent.text).split())]]
    pos = ent.start
    for n, tok in enumerate(reversed(list(TOKEN_RE.finditer(ctx.m, max(0, pos - 60), pos)))):
        w = tok.group().rstrip(".")
        if ctx.m[tok.end() : pos].strip() or n >= 4:
            break
        low = w.lower()
        if not (is_title_word(low) or (w[:1].isupper() and w not in CAP_STOP)):
            break
        words.append(low)
        pos = tok.start()
    # appositives: "the defence lawyer, Omar Feld," / "Omar Feld, a lawyer for the family,"
    before = APPOS_BEFORE_RE.search(ctx.m, max(0, ent.start - 60), ent.start)
    after = APPOS_AFTER_RE.match(ctx.m, ent.end)
    words += [x.group(1).lower() for x in (before, after) if x]
    return [
        (ent.start, w, ent.text)
        for w in words
        if w not in _NON_ROLE_TITLES and (is_title_word(w) or w in ROLE_FORMS)
    ]


def _titled_person(
    w: Who, titled: Callable[[], dict[str, list[tuple[int, str]]]], canon: dict[str, str]
) -> str | None:
    """'the judge' -> the last person introduced as a judge before it ('Judge Ottilie Brask',
    'Ottilie Brask, the judge,'); None for other descriptions."""
    words = w.text.split()
    if not 2 <= len(words) <= 4 or words[0].lower() != "the":
        return None
    if not all(x.isalpha() and x.islower() for x in words[1:]):
        return None
    people = titled().get(words[-1], [])
    k = bisect.bisect_left(people, (w.start,))  # the last one introduced before it
    return resolve_speaker(people[k - 1][1], canon) if k else None
