"""Analyse articles: sentences, entities, quantities, quotes, embeddings."""

from __future__ import annotations

import bisect
from collections import OrderedDict
from threading import Lock

from retold.analyze.embed import embed, token_ids
from retold.analyze.nlp import parse_many
from retold.analyze.numbers import find_quantities
from retold.analyze.quotes import extract_quotes
from retold.model import AnalyzedArticle, Article, Entity, Quantity, Sentence
from retold.settings import Settings

# One source is usually compared with many retellings: keep recent analyses.
_CACHE: OrderedDict[tuple[Article, str, str], AnalyzedArticle] = OrderedDict()
_CACHE_SIZE = 32
_LOCK = Lock()


def analyze(article: Article, settings: Settings | None = None) -> AnalyzedArticle:
    return analyze_many([article], settings)[0]


def analyze_many(
    articles: list[Article], settings: Settings | None = None
) -> list[AnalyzedArticle]:
    """Analyse several articles, batching the spaCy pass and reusing cached analyses."""
    st = settings or Settings()
    keys = [(a, st.spacy_model, st.embedding_model) for a in articles]
    with _LOCK:
        found = {k: _CACHE[k] for k in keys if k in _CACHE}
    todo = [k for k in dict.fromkeys(keys) if k not in found]
    parsed = parse_many([k[0].text for k in todo], st.spacy_model) if todo else []
    for key, (sentences, entities) in zip(todo, parsed, strict=True):
        found[key] = _finish(key[0], sentences, entities, st)
    with _LOCK:
        for key in todo:
            _CACHE[key] = found[key]
        for key in keys:
            _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return [found[k] for k in keys]


def _finish(
    article: Article, sentences: list[Sentence], entities: list[Entity], st: Settings
) -> AnalyzedArticle:
    starts = [s.start for s in sentences]

    def sent_of(offset: int) -> int:
        return max(0, bisect.bisect_right(starts, offset) - 1) if starts else -1

    quantities = [
        Quantity(q.text, q.start, q.end, q.value, q.kind, q.unit, sent_of(q.start))
        for q in find_quantities(article.text)
    ]
    return AnalyzedArticle(
        article=article,
        sentences=sentences,
        entities=entities,
        quantities=quantities,
        quotes=extract_quotes(article.text, sentences, entities),
        embeddings=embed([s.text for s in sentences], st.embedding_model),
        sentence_tokens=token_ids([s.text for s in sentences]),
    )


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
