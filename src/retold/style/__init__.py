"""How it is told: sensational and loaded language (a lexicon baseline for now)."""
