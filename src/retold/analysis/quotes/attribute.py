"""Who said it: the attribution around a quoted region (speaker before or after, cue
verbs, appositives, role names) and indirect speech."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from retold.analysis.quotes.lexicon import (
    ABBR_END_RE,
    AFFIL_RE,
    ALPHA_RE,
    APPOS_END_RE,
    BARE_ADV_RE,
    BARE_CLAUSE_VERBS,
    CAP_STOP,
    CAPSEQ_HEAD_RE,
    CAPSEQ_TAIL_RE,
    CLAUSE_BOUNDARY_RE,
    CLAUSE_RE,
    CUE_RE,
    DETS,
    LEFT_STOP,
    NO_INDIRECT,
    PAREN_RE,
    PP_RE,
    PRON_HEAD_RE,
    PRON_TAIL_RE,
    ROLE_FORMS,
    SPEAKER_LABELS,
    THAT_RE,
    TOKEN_RE,
    TRAIL_ADV_RE,
    WS_COMMA_RE,
    Q,
    is_role_title,
    is_title_word,
)
from retold.analysis.quotes.people import (
    normalise_speaker,
    strip_titles,
)
from retold.analysis.quotes.scan import (
    ws_trim,
)
from retold.types import Entity


@dataclass
class Who:
    text: str
    start: int
    end: int
    kind: str  # "name" | "pronoun" | "desc"
    label: str = ""


@dataclass
class Attr:
    who: Who
    cue: str
    phrase_start: int  # start of the whole speaker phrase (appositives included)
    speaker: str | None = None


@dataclass
class Ctx:
    text: str
    m: str  # text with quoted regions masked
    by_end: dict[int, Entity]
    by_start: dict[int, Entity]
    aliases: dict[str, str] = field(default_factory=dict)  # "the finance minister" -> name
    roles: list[tuple[int, int]] = field(default_factory=list)  # role-noun spans, sorted
    # (offset, role word, name) for people introduced with a role: "Judge X", "X, the judge"
    titled: list[tuple[int, str, str]] = field(default_factory=list)
    # by_start sorted by offset, with each entity's place in by_start (see _starting_in)
    start_index: tuple[list[int], list[tuple[int, int, Entity]]] | None = None


def _starting_in(ctx: Ctx, lo: int, hi: int) -> list[Entity]:
    """The speaker entities starting in [lo, hi), in ``by_start`` order: a bisection in a
    sorted copy, since a scan of all of them per call is quadratic in a long text."""
    if ctx.start_index is None:
        items = sorted((st, k, e) for k, (st, e) in enumerate(ctx.by_start.items()))
        ctx.start_index = ([st for st, _, _ in items], items)
    keys, items = ctx.start_index
    found = items[bisect.bisect_left(keys, lo) : bisect.bisect_left(keys, hi)]
    return [e for _, _, e in sorted(found, key=lambda x: x[1])]


def _note_alias(ctx: Ctx, desc: Who | str, name: Who) -> None:
    """Remember that a description ('the finance minister') names ``name`` here."""
    text = desc if isinstance(desc, str) else desc.text
    ctx.aliases.setdefault(normalise_speaker(text), name.text)
    words = ALPHA_RE.findall(text.lower())
    if words and words[-1] in ROLE_FORMS:
        ctx.titled.append((name.start, words[-1], name.text))


_LOWER_WORD_RE = re.compile(r"([a-z][\w'’-]*)\s+")


def _role_name(ctx: Ctx, s: int, e: int) -> Who | None:
    """'lead author Elin Trask', 'glaciologist Elin Trask', 'the prosecutor Lena Mott' at s:
    a few lower-case words ending in a role word, then a name ending the phrase."""
    m = ctx.m
    pos = s
    for _ in range(5):
        w = _LOWER_WORD_RE.match(m, pos, e)
        if w is None:
            return None
        pos = w.end()
        low = w.group(1).lower()
        if is_role_title(low) and m[pos : pos + 1].isupper():
            n = CAPSEQ_HEAD_RE.match(m, pos, e)
            if n is None or not APPOS_END_RE.match(m, n.end(), e):
                return None
            who = _name_who(ctx, pos, n.end())
            if who is not None:
                ctx.titled.append((who.start, low, who.text))
            return who
        if low in LEFT_STOP:
            return None
    return None


def _has_role(ctx: Ctx, s: int, e: int) -> bool:
    k = bisect.bisect_left(ctx.roles, (s, s))
    return k < len(ctx.roles) and ctx.roles[k][1] <= e


def _entity_at_end(ctx: Ctx, e: int) -> Entity | None:
    ent = ctx.by_end.get(e)
    return ent if ent is not None and ent.label in SPEAKER_LABELS else None


def _name_who(ctx: Ctx, s: int, e: int) -> Who | None:
    """A capitalised name sequence in [s, e), leading sentence words and titles dropped."""
    toks = list(TOKEN_RE.finditer(ctx.m, s, e))
    while toks and (
        toks[0].group().rstrip(".") in CAP_STOP
        or (len(toks) > 1 and is_title_word(toks[0].group().rstrip(".").lower()))
    ):
        toks.pop(0)
    if not toks:
        return None
    a, b = toks[0].start(), toks[-1].end()
    for ent in _starting_in(ctx, a, b):  # prefer a PERSON entity inside ("Finance Minister X")
        if ent.end <= b and ent.label == "PERSON":
            a, b = ent.start, ent.end
            break
    while b > a and ctx.text[b - 1] in ".'’":
        b -= 1
    word = ctx.text[a:b]
    if not word[:1].isupper():
        return None
    return Who(word, a, b, "name", "")


def _desc_tail(ctx: Ctx, s: int, e: int, anchored: bool = False) -> Who | None:
    """A description ending at e: [det] [modifiers] ROLE [prepositional phrase].
    With ``anchored`` it must also start at s (used after the cue: 'said a spokesperson')."""
    m = ctx.m
    cs = s
    for mt in CLAUSE_BOUNDARY_RE.finditer(m, s, e):
        cs = mt.end()
    if anchored and cs != s:
        return None
    roles = ctx.roles
    for k in range(bisect.bisect_left(roles, (cs, cs)), len(roles)):
        r_start, r_end = roles[k]
        if r_end > e:
            break
        rest = m[r_end:e]
        if rest.strip() and not PP_RE.fullmatch(rest):
            continue
        start, n = r_start, 0
        for tok in reversed(list(TOKEN_RE.finditer(m, cs, r_start))):
            w = tok.group().lower()
            if m[tok.end() : start].strip() or n >= 4:
                break
            if w in DETS:
                start = tok.start()
                break
            if w in LEFT_STOP:
                break
            start, n = tok.start(), n + 1
        if anchored and m[s:start].strip():
            return None
        end = e
        while end > start and m[end - 1].isspace():
            end -= 1
        if len(m[start:end].split()) > 12:
            return None
        return Who(ctx.text[start:end], start, end, "desc")
    return None


def _speaker_tail(ctx: Ctx, s: int, e: int) -> Who | None:
    """The speaker phrase that ends at e (subject of a following reporting verb)."""
    m = ctx.m
    while e > s and m[e - 1].isspace():
        e -= 1
    if e <= s:
        return None
    p = PRON_TAIL_RE.search(m[s:e])  # sliced: '^' does not match at a search pos
    if p:
        return Who(p.group(1), s + p.start(1), s + p.end(1), "pronoun")
    d = _desc_tail(ctx, s, e)
    ent = _entity_at_end(ctx, e)
    if ent is not None and ent.start >= s:
        # "a spokesperson for the Finance Ministry": the description holds the entity
        if d is not None and d.start < ent.start and _has_role(ctx, d.start, ent.start):
            return d
        # "Henrik Sauer of the DIW said": the person, not the institution
        aff = AFFIL_RE.search(m, s, ent.start)
        if ent.label != "PERSON" and aff and aff.end() == ent.start:
            person = _entity_at_end(ctx, aff.start())
            if person is not None and person.label == "PERSON" and person.start >= s:
                return Who(person.text, person.start, person.end, "name", person.label)
        return Who(ent.text, ent.start, ent.end, "name", ent.label)
    if d is not None:
        return d
    c = CAPSEQ_TAIL_RE.search(m, s, e)
    if c and c.end() == e:
        return _name_who(ctx, c.start(), c.end())
    return None


def _exact_phrase(ctx: Ctx, s: int, e: int) -> Who | None:
    """A speaker phrase covering exactly [s, e) (an appositive segment), or None."""
    while s < e and ctx.m[s].isspace():
        s += 1
    while e > s and ctx.m[e - 1].isspace():
        e -= 1
    if e <= s:
        return None
    ent = _entity_at_end(ctx, e)
    if ent is not None and (
        not ctx.m[s : ent.start].strip(" .") or strip_titles(ctx.m[s:e]) == ent.text
    ):
        return Who(ent.text, ent.start, ent.end, "name", ent.label)
    d = _desc_tail(ctx, s, e)
    if d is not None and d.start == s:
        return d
    c = CAPSEQ_TAIL_RE.fullmatch(ctx.m, s, e)
    if c:
        return _name_who(ctx, s, e)
    return None


def _title_start(ctx: Ctx, s: int, start: int) -> int:
    """Start of the titles before a name ('Karvenian Transport Minister | Irena Dalvik'), so
    the whole phrase counts as the speaker when checking what precedes it."""
    prev_title = False
    for n, tok in enumerate(reversed(list(TOKEN_RE.finditer(ctx.m, s, start)))):
        w = tok.group().rstrip(".")
        low = w.lower()
        if ctx.m[tok.end() : start].strip() or n >= 5:
            break
        if low in DETS:
            return tok.start()
        is_title = is_title_word(low)
        if not (is_title or prev_title or (w[:1].isupper() and w not in CAP_STOP)):
            break
        prev_title, start = is_title, tok.start()
    return start


def _speaker_before(ctx: Ctx, s: int, e: int) -> tuple[Who, int] | None:
    """Speaker ending just before a reporting verb at e -> (who, start of the whole phrase).
    Handles appositives both ways: 'Maria Keller, the finance minister,' and
    'the finance minister, Maria Keller,'."""
    m = ctx.m
    adv = TRAIL_ADV_RE.search(m, s, e)
    if adv:
        e = adv.start()
    while e > s and m[e - 1].isspace():
        e -= 1
    if e <= s:
        return None
    if m[e - 1] != ",":
        who = _speaker_tail(ctx, s, e)
        if who is None:
            return None
        return who, _title_start(ctx, s, who.start) if who.kind == "name" else who.start
    inner = e - 1
    c = max(m.rfind(",", s, inner), m.rfind(Q, s, inner), m.rfind(":", s, inner))
    if c < s:
        return None
    seg = _exact_phrase(ctx, c + 1, inner)
    head = _speaker_tail(ctx, s, c) if m[c] == "," else None
    if seg is not None and seg.kind == "name" and (head is None or head.kind == "desc"):
        if head is not None and head.text.lower().startswith("the "):
            _note_alias(ctx, head, seg)
        return seg, head.start if head else seg.start
    if head is not None:
        if seg is not None and seg.kind == "desc" and head.kind == "name":
            _note_alias(ctx, seg, head)
        return head, head.start
    return (seg, seg.start) if seg else None


def _speaker_after(ctx: Ctx, pos: int, e: int) -> Who | None:
    """Speaker starting right after a cue: 'said Dr. Anna Vogt', 'according to officials'."""
    m = ctx.m
    p = WS_COMMA_RE.match(m, pos, e).end()
    if p >= e:
        return None
    pr = PRON_HEAD_RE.match(m, p, e)
    if pr:
        return Who(pr.group(1), p, pr.end(), "pronoun")
    stop = p
    while stop < e and m[stop] not in ",;:.!?\n" + Q:
        stop += 1
    # "Dr. Anna Vogt": a full stop after a title or initial is not the chunk's end
    while stop < e and m[stop] == "." and ABBR_END_RE.search(m, p, stop):
        stop += 1
        while stop < e and m[stop] not in ",;:.!?\n" + Q:
            stop += 1
    ent = ctx.by_start.get(p)
    t = CAPSEQ_HEAD_RE.match(m, p, stop)
    if t:
        # "declared Transport Minister Irena Dalvik", "said Lessmark's Secretary Tomas Brenner":
        # the last PERSON in the capitalised run is the speaker, whatever spaCy made of the rest
        inside = [x for x in _starting_in(ctx, p, t.end()) if x.end <= stop]
        people = sorted((x for x in inside if x.label == "PERSON"), key=lambda x: x.start)
        ent = people[-1] if people else ent or (inside or [None])[0]
    if ent is not None and ent.label in SPEAKER_LABELS:
        return Who(ent.text, ent.start, ent.end, "name", ent.label)
    if m[p].islower():
        who = _role_name(ctx, p, e)  # "said lead author Elin Trask"
        if who is not None:
            return who
    d = _desc_tail(ctx, p, stop, anchored=True)
    if d is not None:
        # "said the finance minister, Maria Keller." / "..., glaciologist Elin Trask." -> the name
        if stop < e and m[stop] == ",":
            q = WS_COMMA_RE.match(m, stop, e).end()
            n = CAPSEQ_HEAD_RE.match(m, q, e)
            who = None
            if n and APPOS_END_RE.match(m, n.end(), e):
                who = _name_who(ctx, q, n.end())
            elif q < e and m[q].islower():
                who = _role_name(ctx, q, e)
            if who is not None:
                _note_alias(ctx, d, who)
                return who
        return d
    t = CAPSEQ_HEAD_RE.match(m, p, stop)
    if t:
        return _name_who(ctx, p, t.end())
    return None


def attribution(ctx: Ctx, s: int, e: int, side: str) -> Attr | None:
    """Find 'cue + speaker' in m[s:e]. side='after' looks right after a closing mark (only a
    short speaker phrase may precede the cue); 'before' takes the last cue before the quote."""
    m = ctx.m
    cues = list(CUE_RE.finditer(m, s, e))
    if side == "after":
        if m[s:e].rstrip().endswith(":"):
            return None  # "Keller added:" introduces the next quote
    else:
        cues.reverse()
    for cue in cues:
        pre = m[s : cue.start()].strip(" \t\n,—–-:")
        if side == "after" and len(pre.split()) > 10:
            return None
        if cue.group("acc") or not pre:
            who = _speaker_after(ctx, cue.end(), e)
            if who is not None:
                return Attr(who, _cue_text(cue), cue.start())
            continue
        res = _speaker_before(ctx, s, cue.start())
        if res is None:
            continue
        who, phrase_start = res
        if side == "after" and m[s:phrase_start].strip(" \t\n,—–-"):
            return None
        return Attr(who, _cue_text(cue), phrase_start)
    return None


def _cue_text(cue: re.Match[str]) -> str:
    if cue.group("acc"):
        return "according to"
    return " ".join(cue.group().split())


def indirect_spans(ctx: Ctx, s: int, e: int) -> list[tuple[int, int, Attr]]:
    """Reported clauses in sentence m[s:e] (which holds no quoted region): usually one, two
    for a clause split by a parenthetical attribution ("X, Dalvik said, and Y")."""
    m = ctx.m
    end = e
    while end > s and (m[end - 1] in ".!?;:)\"'”’ \n" or m[end - 1] == Q):
        end -= 1
    for cue in CUE_RE.finditer(m, s, e):
        word = cue.group("verb") or cue.group("tell") or ""
        if cue.group("acc"):
            who = _speaker_after(ctx, cue.end(), e)
            if who is None:
                continue
            attr = Attr(who, _cue_text(cue), cue.start())
            comma = m.find(",", who.end, e)
            if not m[s : cue.start()].strip():  # "According to X, CLAUSE."
                if comma < 0 or m[who.end : comma].strip(" .") and who.kind != "desc":
                    continue
                return [(*ws_trim(m, comma + 1, end), attr)]
            before = m[s : cue.start()].rstrip()
            if before.endswith(","):  # "CLAUSE, according to X."
                return [(*ws_trim(m, s, s + len(before) - 1), attr)]
            continue
        if word in NO_INDIRECT:
            continue
        res = _speaker_before(ctx, s, cue.start())
        if res is None:
            # inverted: "CLAUSE, said a spokesperson."
            head = m[s : cue.start()].rstrip()
            who = _speaker_after(ctx, cue.end(), e)
            if head.endswith(",") and who is not None and not m[who.end : e].strip(" .!\n"):
                return [(*ws_trim(m, s, s + len(head) - 1), Attr(who, _cue_text(cue), s))]
            continue
        who, phrase_start = res
        attr = Attr(who, _cue_text(cue), phrase_start)
        head = m[s:phrase_start].rstrip()
        if head.endswith(","):
            x = ws_trim(m, s, s + len(head) - 1)
            tail = m[cue.end() : e].strip(" .!\n")
            if len(tail.split()) <= 4:  # "CLAUSE, Keller said on Tuesday."
                return [(*x, attr)]
            paren = PAREN_RE.match(m, cue.end(), e)
            if paren:  # "CLAUSE, Keller said, and CLAUSE." / "Prices, she added, had not ..."
                y = ws_trim(m, paren.end(), end)
                if CLAUSE_RE.match(m, x[0], x[1]):
                    return [(*x, attr), (*y, attr)]
                return [(x[0], y[1], attr)]  # subject before the attribution: keep it whole
        that = THAT_RE.match(m, cue.end(), e)
        if that:
            return [(*ws_trim(m, that.end(), end), attr)]
        if word.split()[0] in BARE_CLAUSE_VERBS or cue.group("tell"):
            adv = BARE_ADV_RE.match(m, cue.end(), e)
            if adv and CLAUSE_RE.match(m, adv.end(), end):
                return [(*ws_trim(m, adv.end(), end), attr)]
    return []
