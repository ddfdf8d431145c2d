"""The Jinja2 environment of the web pages (autoescaped, strict), without the web server:
the family report files reuse the pages' templates through it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from retold import __version__
from retold.judges.base import JUDGES

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )


def render(template: str, **context: Any) -> str:
    context.setdefault("version", __version__)
    context.setdefault("standalone", False)
    context.setdefault("judges", JUDGES)
    return _env().get_template(template).render(**context)
