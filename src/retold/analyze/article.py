"""Analyse one article: sentences, entities, quantities, quotes, embeddings."""

from __future__ import annotations

import bisect

from retold.analyze.embed import embed
from retold.analyze.nlp import parse
from retold.analyze.numbers import find_quantities
from retold.analyze.quotes import extract_quotes
from retold.model import AnalyzedArticle, Article, Quantity
from retold.settings import Settings


def analyze(article: Article, settings: Settings | None = None) -> AnalyzedArticle:
    settings = settings or Settings()
    sentences, entities, _doc = parse(article.text, settings.spacy_model)
    starts = [s.start for s in sentences]

    def sent_of(offset: int) -> int:
        return max(0, bisect.bisect_right(starts, offset) - 1) if starts else -1

    quantities = [
        Quantity(q.text, q.start, q.end, q.value, q.kind, q.unit, sent_of(q.start))
        for q in find_quantities(article.text)
    ]
    quotes = extract_quotes(article.text, sentences, entities)
    embeddings = embed([s.text for s in sentences], settings.embedding_model)
    return AnalyzedArticle(
        article=article,
        sentences=sentences,
        entities=entities,
        quantities=quantities,
        quotes=quotes,
        embeddings=embeddings,
    )
