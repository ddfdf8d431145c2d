"""How it is told: propaganda techniques, sensationalism, machine-rewrite markers and headline
clickbait, from trained linear models (``retold train --what style``)."""

from retold.style.analyse import analyse, compare_style

__all__ = ["analyse", "compare_style"]
