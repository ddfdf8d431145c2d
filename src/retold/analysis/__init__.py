"""Per-article analysis: sentences, entities, quantities, quotes, embeddings.

``retold.analyze(article)`` (``analysis.article.analyze``) runs it; the modules here are its
parts.
"""
