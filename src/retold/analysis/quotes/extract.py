"""``extract_quotes``: direct and indirect quotes of one article with their speakers."""

from __future__ import annotations

import bisect

from retold.analysis.quotes.attribute import (
    Attr,
    Ctx,
    attribution,
    indirect_spans,
)
from retold.analysis.quotes.lexicon import (
    ALPHA_RE,
    MIN_WORDS,
    NEXT_SENT_RE,
    ROLE_FORMS,
    SPEAKER_LABELS,
    WORD_RE,
    Q,
)
from retold.analysis.quotes.people import (
    canonical_speakers,
    promote_people,
)
from retold.analysis.quotes.resolve import (
    resolve_all,
)
from retold.analysis.quotes.scan import (
    paragraphs,
    scan_regions,
    sentence_cuts,
    sentence_ids,
    ws_trim,
)
from retold.analysis.quotes.speaker_check import checked_speaker, storm_names
from retold.types import Entity, Quote, Sentence, Span


def extract_quotes(text: str, sentences: list[Sentence], entities: list[Entity]) -> list[Quote]:
    """All direct (quotation marks) and indirect (reported clause) quotes in ``text``, in
    order, with speakers resolved to canonical names where possible."""
    paras = paragraphs(text)
    # scare quotes and titles ("so-called “reform”") are ordinary words for everything else
    regions = [
        r for r in scan_regions(text, paras) if len(WORD_RE.findall(text[r.cs : r.ce])) >= MIN_WORDS
    ]
    entities = promote_people(text, entities)
    chars = list(text)
    for r in regions:
        chars[r.open : r.end] = Q * (r.end - r.open)
    m = "".join(chars)
    ctx = Ctx(
        text=text,
        m=m,
        by_end={e.end: e for e in entities if e.label in SPEAKER_LABELS},
        by_start={e.start: e for e in entities if e.label in SPEAKER_LABELS},
        # role nouns found once with a set lookup: a 300-way regex alternation is slow
        roles=[w.span() for w in ALPHA_RE.finditer(m) if w.group().lower() in ROLE_FORMS],
    )
    canon = canonical_speakers(entities)

    # sentence cuts: punctuation outside quotes, paragraph ends, then quote ends
    base = sorted({*sentence_cuts(m), *(pe for _, pe in paras)})
    own: list[Attr | None] = []
    for k, r in enumerate(regions):
        # journalists end a quote with a comma, ! or ? before "she said", never a full stop
        if r.full_stop:
            own.append(None)
            continue
        nb = bisect.bisect_left(base, r.end)
        limit = base[nb] if nb < len(base) else len(text)
        if k + 1 < len(regions):
            limit = min(limit, regions[k + 1].open)
        own.append(attribution(ctx, r.end, limit, "after"))
    cuts = set(base)
    for r, a in zip(regions, own, strict=True):
        if r.terminal and a is None and NEXT_SENT_RE.match(m, r.end):
            cuts.add(r.end)
    cut_list = sorted(c for c in cuts if 0 < c < len(text))
    sents: list[tuple[int, int]] = []
    prev = 0
    for c in [*cut_list, len(text)]:
        a, b = ws_trim(m, prev, c)
        if b > a:
            sents.append((a, b))
        prev = c
    sent_starts = [a for a, _ in sents]

    def sent_of(pos: int) -> int:
        return max(0, bisect.bisect_right(sent_starts, pos) - 1)

    # attributions before the quote, within its sentence
    for k, r in enumerate(regions):
        if own[k] is not None:
            continue
        si = sent_of(r.open)
        s = sents[si][0] if sents else 0
        if k > 0 and regions[k - 1].end > s:
            s = regions[k - 1].end
        own[k] = attribution(ctx, s, r.open, "before")

    # indirect quotes and bare cue sentences ("Keller told reporters:")
    region_sents = {sent_of(r.open) for r in regions} | {sent_of(r.ce - 1) for r in regions}
    indirect: list[tuple[int, int, Attr, int]] = []
    sent_attr: dict[int, Attr] = {}
    for si, (a, b) in enumerate(sents):
        if si in region_sents:
            continue
        found = [
            f
            for f in indirect_spans(ctx, a, b)
            if len(WORD_RE.findall(text[f[0] : f[1]])) >= MIN_WORDS
        ]
        for qs, qe, attr in found:
            indirect.append((qs, qe, attr, si))
            sent_attr[si] = attr
        if not found:
            generic = attribution(ctx, a, b, "before")
            if generic is not None:
                sent_attr[si] = generic

    # resolve speakers in text order (pronouns look back at earlier speakers)
    attrs = {id(a): a for a in [*own, *(x[2] for x in indirect), *sent_attr.values()] if a}
    resolve_all(ctx, sorted(attrs.values(), key=lambda a: a.who.start), entities, canon, sents)

    # a quotation running over paragraphs: each paragraph opens with a quote mark and only the
    # last one closes and names the speaker; the earlier ones take its attribution (backwards,
    # so a chain of several paragraphs resolves)
    for k in range(len(regions) - 2, -1, -1):
        r, nxt_r = regions[k], regions[k + 1]
        runs_on = (
            not r.closed
            and r.end >= paras[r.para][1] - 1
            and nxt_r.para == r.para + 1
            and nxt_r.open == paras[nxt_r.para][0]
        )
        if own[k] is None and runs_on and own[k + 1] is not None:
            own[k] = own[k + 1]

    # fallbacks for unattributed direct quotes, in order so chains of quote paragraphs work
    for k, r in enumerate(regions):
        si = sent_of(r.open)
        if own[k] is None:
            # a quote standing alone as a sentence takes the attribution of a later quote in
            # its paragraph (“We lost.” “We'll be back,” she said.); failing that, a cue in
            # the previous sentence ("Keller told reporters:" / "Keller said the ...")
            nxt = None
            if sents and not m[sents[si][0] : sents[si][1]].replace(Q, "").strip(" .,;:!?—–-"):
                # regions are in text order: the paragraph's own end the search
                for j in range(k + 1, len(regions)):
                    if regions[j].para != r.para:
                        break
                    if own[j]:
                        nxt = own[j]
                        break
            own[k] = nxt or sent_attr.get(si - 1)
        if own[k] is not None and si not in sent_attr:
            sent_attr[si] = own[k]  # type: ignore[assignment]

    storms = storm_names(text)
    nationalities = {e.text for e in entities if e.label == "NORP"}
    for a in attrs.values():
        a.speaker = checked_speaker(a.speaker, storms, nationalities)

    sent_list_starts = [s.start for s in sentences]
    out: list[Quote] = []
    for r, a in zip(regions, own, strict=True):
        out.append(_make_quote(text, r.cs, r.ce, "direct", a, sentences, sent_list_starts))
    for s, e, a, _ in indirect:
        out.append(_make_quote(text, s, e, "indirect", a, sentences, sent_list_starts))
    out.sort(key=lambda q: q.start)
    return out


def _make_quote(
    text: str,
    s: int,
    e: int,
    kind: str,
    a: Attr | None,
    sentences: list[Sentence],
    starts: list[int],
) -> Quote:
    return Quote(
        text=text[s:e],
        start=s,
        end=e,
        kind=kind,  # type: ignore[arg-type]
        speaker=a.speaker if a else None,
        speaker_span=Span(a.who.start, a.who.end, text[a.who.start : a.who.end]) if a else None,
        cue=a.cue if a else "",
        sentences=sentence_ids(sentences, starts, s, e),
    )
