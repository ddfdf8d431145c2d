"""How it is told: propaganda techniques, sensationalism, machine-rewrite markers and headline
clickbait, from trained linear models (``retold train --what style``)."""

from retold.style.analyze import analyze_style, compare_style

__all__ = ["analyze_style", "compare_style"]
