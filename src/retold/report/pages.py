"""HTML pages from templates: the Jinja2 environment (autoescaped, strict) of the web app's
pages and the family report files, with the templates and static assets they use. No web
server here: the web app wraps what ``render`` returns in responses.

Stored URLs come from ingested data, so they are untrusted: ``url_link`` (a filter) is the
one place that decides whether one becomes a link. Only http(s) URLs do; anything else
(``javascript:``, ``data:``, ``vbscript:``, odd whitespace tricks) is shown as text."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from retold import __version__
from retold.judges.base import JUDGES

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
# browsers drop leading C0 controls and spaces and remove tabs and newlines anywhere before
# they read the scheme ("java\tscript:" runs): a linkable URL has none of them at all
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f]")
_HTTP_URL = re.compile(r"^https?://[^/?#]+", re.IGNORECASE)


def http_href(url: object) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host and nothing a browser would
    strip before reading its scheme; else None (show it as text)."""
    if not isinstance(url, str) or _UNSAFE_CHARS.search(url) or not _HTTP_URL.match(url):
        return None
    return url


def url_link(url: object) -> Markup:
    """An escaped link for an http(s) URL, escaped text for anything else."""
    text = "" if url is None else str(url)
    href = http_href(url)
    if href is None:
        return Markup('<span class="url">{}</span>').format(text)
    return Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(href, text)


def template_env(**options: Any) -> Environment:
    """A Jinja environment over ``TEMPLATES``: autoescaped, strict about undefined names
    (a typo in a template is an error, not an empty string)."""
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        **options,
    )


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = template_env()
    env.filters["url_link"] = url_link
    return env


def render(template: str, **context: Any) -> str:
    """``template`` (a file in ``TEMPLATES``) rendered with ``context``; ``version``,
    ``standalone`` (False: a page of the web app) and ``judges`` have defaults."""
    context.setdefault("version", __version__)
    context.setdefault("standalone", False)
    context.setdefault("judges", JUDGES)
    return _env().get_template(template).render(**context)
