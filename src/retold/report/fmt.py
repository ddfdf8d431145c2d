"""Number formatting shared by the terminal and HTML renderers (tolerant of missing values)."""

from __future__ import annotations

from typing import Any


def pct(x: Any) -> str:
    try:
        return f"{round(float(x) * 100)}%"
    except (TypeError, ValueError):
        return "–"


def num(x: Any, digits: int = 1) -> str:
    try:
        return f"{float(x):.{digits}f}"
    except (TypeError, ValueError):
        return "–"


def signed(x: Any, digits: int = 1) -> str:
    try:
        return f"{float(x):+.{digits}f}"
    except (TypeError, ValueError):
        return "–"
