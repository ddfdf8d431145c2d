"""Per-article analysis: sentences, entities, quantities, quotes, embeddings."""
