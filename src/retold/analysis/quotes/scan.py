"""Where the quotes are: quoted regions (with unterminated and nested marks), paragraphs
and sentence cuts over the masked text."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from retold.analysis.quotes.lexicon import (
    ABBREV,
    DOUBLE_CLOSE,
    ELISION_RE,
    LAST_WORD_RE,
    NESTED_STOP,
    PARA_RE,
    QUOTE_CHAR_RE,
    SENT_END_RE,
    SINGLE_CLOSE,
    YEAR_APOS_RE,
)
from retold.types import Sentence


@dataclass
class _Region:
    open: int  # position of the opening mark
    end: int  # one past the closing mark (or the cut-off when unterminated)
    cs: int  # content start/end, marks and trailing commas excluded
    ce: int
    para: int
    terminal: bool  # content ends with . ! ? (a sentence may end after the region)
    full_stop: bool  # ... with a full stop: no "she said" can follow
    closed: bool = True  # False: no closing mark in its paragraph (it may run on in the next)


class SpanIndex:
    """(start, end) spans answering "does any overlap / contain this one?" by bisection."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        spans = sorted(spans)
        self.starts = [a for a, _ in spans]
        self.max_end: list[int] = []  # the largest end among the first k + 1 spans
        for _, b in spans:
            self.max_end.append(max(b, self.max_end[-1]) if self.max_end else b)

    def _max_end_before(self, k: int) -> int | None:
        return self.max_end[k - 1] if k > 0 else None

    def overlaps(self, start: int, end: int) -> bool:
        """Some span has s < end and start < e."""
        e = self._max_end_before(bisect.bisect_left(self.starts, end))
        return e is not None and e > start

    def contains(self, start: int, end: int) -> bool:
        """Some span has s <= start and end <= e."""
        e = self._max_end_before(bisect.bisect_right(self.starts, start))
        return e is not None and e >= end


def _is_opener(text: str, i: int, end: int) -> bool:
    c = text[i]
    nxt = text[i + 1] if i + 1 < end else ""
    prev = text[i - 1] if i > 0 else " "
    if not nxt or nxt.isspace():
        return False
    if c in "“„«":
        return True
    if prev.isalnum() or prev in "'’":
        return False
    if c == '"':
        return True
    if YEAR_APOS_RE.match(text, i) or ELISION_RE.match(text, i):
        return False
    return nxt.isalnum() or nxt in "“\"‘'(["


def _find_single_close(text: str, i: int, end: int) -> int | None:
    """Closing mark for a single-quote opener at i; skips nested double quotes, apostrophes
    inside words, and prefers a later candidate over a plural possessive (ministers' plan)."""
    closer = SINGLE_CLOSE[text[i]]
    fallback = None
    j = i + 1
    while j < end:
        c = text[j]
        if c == "“" or (c == '"' and _is_opener(text, j, end)):
            k = text.find("”" if c == "“" else '"', j + 1, end)
            if k < 0:
                break
            j = k + 1
            continue
        if c == text[i] and c != closer and _is_opener(text, j, end):
            break  # a new quotation starts: this one was never closed
        if c == closer and not text[j - 1].isspace():
            nxt = text[j + 1] if j + 1 < end else ""
            if nxt.isalnum():  # don't, people's
                j += 1
                continue
            possessive = text[j - 1] in "sS" and nxt == " " and text[j + 2 : j + 3].islower()
            if not possessive:
                return j
            if fallback is None:
                fallback = j
        elif c == "'" and closer == "'" and _is_opener(text, j, end) and fallback is not None:
            break
        j += 1
    return fallback


def scan_regions(text: str, paras: list[tuple[int, int]]) -> list[_Region]:
    regions: list[_Region] = []
    for pi, (ps, pe) in enumerate(paras):
        i = ps
        while i < pe:
            hit = QUOTE_CHAR_RE.search(text, i, pe)
            if hit is None:
                break
            i = hit.start()
            c = text[i]
            if not _is_opener(text, i, pe):
                i += 1
                continue
            if c in SINGLE_CLOSE:
                j = _find_single_close(text, i, pe)
                if j is None:  # an apostrophe after all
                    i += 1
                    continue
                close, stop, closed = j, j + 1, True
            else:
                closers = DOUBLE_CLOSE[c]
                close = -1
                j = i + 1
                while j < pe:
                    ch = text[j]
                    if ch in closers and (c != '"' or not text[j - 1].isspace()):
                        close = j
                        break
                    if ch == c and c != '"' and ch not in closers:
                        break  # same opener again: the first quotation was never closed
                    if c == '"' and ch == '"':
                        break  # '"' in opening position: previous one unterminated
                    j += 1
                closed = close >= 0
                if closed:
                    stop = close + 1
                else:
                    close = stop = j  # unterminated: up to the next opener or paragraph end
            cs, ce = i + 1, close
            while cs < ce and text[cs].isspace():
                cs += 1
            while ce > cs and (text[ce - 1].isspace() or text[ce - 1] == ","):
                ce -= 1
            if ce > cs:
                full_stop = text[ce - 1] == "." or text[ce - 2 : ce] in NESTED_STOP
                terminal = full_stop or text[ce - 1] in "!?"
                if text[ce - 1] == "." and text[ce - 2 : ce] != "..":
                    ce -= 1  # the closing full stop is punctuation, not words (kept: … ! ?)
                regions.append(_Region(i, stop, cs, ce, pi, terminal, full_stop, closed))
            i = stop
    return regions


def paragraphs(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for m in PARA_RE.finditer(text):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    return out


def sentence_cuts(m: str) -> list[int]:
    """Positions where a new sentence starts, from punctuation outside quotes."""
    cuts = []
    for mt in SENT_END_RE.finditer(m):
        if mt.group()[0] == "." and len(mt.group()) == 1 or mt.group()[:2] == ".”":
            w = LAST_WORD_RE.search(m, max(0, mt.start() - 12), mt.start())
            word = w.group(1).lower().rstrip(".") if w else ""
            if word in ABBREV or (len(word) == 1 and word.isalpha()) or "." in word:
                continue
        cuts.append(mt.end())
    return cuts


def ws_trim(m: str, s: int, e: int) -> tuple[int, int]:
    while s < e and m[s] in " \t\n,":
        s += 1
    while e > s and m[e - 1] in " \t\n,":
        e -= 1
    return s, e


def sentence_ids(sentences: list[Sentence], starts: list[int], s: int, e: int) -> tuple[int, ...]:
    i = max(0, bisect.bisect_right(starts, s) - 1)
    out = []
    while i < len(sentences) and sentences[i].start < e:
        if sentences[i].end > s:
            out.append(sentences[i].index)
        i += 1
    return tuple(out)
