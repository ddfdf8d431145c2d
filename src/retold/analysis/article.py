"""Analyse articles: sentences, entities, quantities, quotes, embeddings."""

from __future__ import annotations

import bisect
from collections import OrderedDict
from threading import Lock

from retold.analysis.embed import embed, token_ids
from retold.analysis.nlp import TooManySentences, parse_many
from retold.analysis.numbers import find_quantities
from retold.analysis.quotes import extract_quotes
from retold.errors import InputError
from retold.settings import Settings
from retold.types import AnalyzedArticle, Article, Entity, Quantity, Sentence

# One source is usually compared with many retellings: keep recent analyses.
# keyed by everything that changes an analysis: the article, the models, how it is chunked
_CACHE: OrderedDict[tuple[Article, str, str, int], AnalyzedArticle] = OrderedDict()
_CACHE_SIZE = 32
_LOCK = Lock()


def analyze(article: Article, settings: Settings | None = None) -> AnalyzedArticle:
    """Sentences, entities, numbers, roles, quotes and embeddings of one article.

    Args:
        article: an ``Article`` (``retold.Article(text=...)`` or ``retold.read_article``).
        settings: thresholds and models (default ``Settings()``).

    Returns:
        An ``AnalyzedArticle``; analyses are cached, so analysing the same article with the
        same models again is free.

    Raises:
        TypeError: ``article`` is not an ``Article``.
        InputError: the text has more than ``settings.max_sentences`` sentences.
    """
    return analyze_many([article], settings)[0]


def analyze_many(
    articles: list[Article], settings: Settings | None = None
) -> list[AnalyzedArticle]:
    """Analyse several articles, batching the spaCy pass and reusing cached analyses."""
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(
            f"analyze: settings must be a retold.Settings, not {type(settings).__name__}"
        )
    for a in articles:
        if not isinstance(a, Article):
            raise TypeError(
                f"analyze: expected an Article (e.g. retold.Article(text=...) or "
                f"retold.read_article(path)), not {type(a).__name__}"
            )
    st = settings or Settings()
    keys = [(a, st.spacy_model, st.embedding_model, st.nlp_chunk_chars) for a in articles]
    with _LOCK:
        found = {k: _CACHE[k] for k in keys if k in _CACHE}
    todo = [k for k in dict.fromkeys(keys) if k not in found]
    try:
        parsed = parse_many(
            [k[0].text for k in todo],
            st.spacy_model,
            st.nlp_chunk_chars,
            st.nlp_batch_chars,
            st.max_sentences,
        )
    except TooManySentences as exc:  # known before the whole text is parsed and held
        raise _too_many(todo[exc.index][0], f"more than {exc.found // 2:,}", st) from None
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


def _too_many(article: Article, count: str, st: Settings) -> InputError:
    # refused, not cut: an audit of part of an article would read as an audit of all of it
    origin = " ".join(article.origin.split()) or "<text>"
    return InputError(
        f"{origin}: {count} sentences; at most {st.max_sentences:,} are analysed per "
        "article (set max_sentences)"
    )


def _finish(
    article: Article, sentences: list[Sentence], entities: list[Entity], st: Settings
) -> AnalyzedArticle:
    if len(sentences) > st.max_sentences:
        raise _too_many(article, f"{len(sentences):,}", st)
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
