"""One article from whatever the user named: a path, ``-`` (stdin) or an http(s) URL."""

from __future__ import annotations

import os

from retold.inputs.reading import read_article
from retold.settings import Settings
from retold.types import Article


def read_input(
    spec: str | os.PathLike[str], settings: Settings | None = None, *, allow_private: bool = False
) -> Article:
    """``read_article`` for paths and ``"-"``; a ``scheme://`` spec is fetched as a web page
    by the SSRF-guarded fetcher (``retold.inputs.net.pages.read_url``; only http(s), private
    addresses refused unless ``allow_private``)."""
    spec = os.fspath(spec)
    if "://" in spec:
        from retold.inputs.net.pages import read_url

        return read_url(spec, settings, allow_private)
    return read_article(spec, settings)
