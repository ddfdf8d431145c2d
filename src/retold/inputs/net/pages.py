"""Web pages to articles: many pages fetched politely (robots.txt, per-host limits),
one page read as an article (``read_url``)."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from retold.errors import InputError
from retold.inputs.decoding import error, problem_of
from retold.inputs.formats import detect_format
from retold.inputs.net.fetch import Fetched, accept_page, decode_body, fetch, is_html_type
from retold.inputs.net.guard import is_url, make_client
from retold.inputs.net.politeness import HostLimiter
from retold.inputs.net.robots import Robots
from retold.inputs.reading import read_text_input
from retold.settings import Settings
from retold.store.base import Skipped, SourceArticle


@dataclass(frozen=True)
class WebArticle(SourceArticle):
    """An article read from a web page: ``url`` is the page's canonical URL when it names
    the same host (else the URL after redirects); ``author`` and ``page_language`` come
    from the page's metadata."""

    final_url: str = ""
    page_language: str = ""


def _fetch_or_skip(
    url: str, settings: Settings, robots: Robots | None = None, **kwargs: Any
) -> Fetched | Skipped:
    try:
        refusal = robots.refusal(url) if robots is not None else None
        if refusal:
            return Skipped(url.strip(), refusal)
        return fetch(url, settings, **kwargs)
    except InputError as exc:
        return Skipped(url.strip(), problem_of(exc, url.strip()))
    except Exception as exc:  # nothing one URL does may stop the others
        return Skipped(url.strip(), f"fetch failed ({type(exc).__name__}: {exc})"[:300])


def fetch_many(
    urls: Iterable[str],
    settings: Settings | None = None,
    *,
    allow_private: bool = False,
    client: httpx.Client | None = None,
    limiter: HostLimiter | None = None,
    accept: Callable[[str], bool] | None = None,
    robots: Robots | None = None,
) -> Iterator[Fetched | Skipped]:
    """Fetch ``urls`` with ``fetch_concurrency`` threads; results in input order, failures
    (and URLs ``robots`` forbids) as ``Skipped(url, reason)``. At most
    ``2 * fetch_concurrency`` URLs are in flight or waiting to be consumed, so memory stays
    bounded for long URL lists."""
    settings = settings or Settings()
    own_client = client is None
    if client is None:
        client = make_client(settings, allow_private)
    limiter = limiter or HostLimiter.from_settings(settings)
    workers = max(settings.fetch_concurrency, 1)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="retold-fetch")
    pending: deque[Future[Fetched | Skipped]] = deque()
    it = iter(urls)

    def submit_next() -> bool:
        for url in it:
            pending.append(
                pool.submit(
                    _fetch_or_skip,
                    url,
                    settings,
                    robots,
                    allow_private=allow_private,
                    client=client,
                    limiter=limiter,
                    accept=accept,
                )
            )
            return True
        return False

    try:
        while len(pending) < workers * 2 and submit_next():
            pass
        while pending:
            result = pending.popleft().result()
            submit_next()
            yield result
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        if own_client:
            client.close()


_HTML_LANG_RE = re.compile(
    r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)", re.I
)


def _same_site(a: str, b: str) -> bool:
    def host(u: str) -> str:
        h = (urlsplit(u).hostname or "").lower()
        return h[4:] if h.startswith("www.") else h

    return bool(host(a)) and host(a) == host(b)


def article_from_fetched(fetched: Fetched, settings: Settings | None = None) -> WebArticle:
    """Extract the article of an HTML response (trafilatura, via ``read_text_input``) with
    the page's metadata: title, author, date, site name, canonical URL, language."""
    settings = settings or Settings()
    name = fetched.url
    mime = fetched.mime
    text = None
    if not is_html_type(mime):
        if mime in ("", "application/octet-stream", "text/plain"):
            text = decode_body(fetched)
            if detect_format(text) != "html":
                raise error(name, f"not an HTML page (Content-Type {mime or 'missing'})")
        else:
            raise error(name, f"not an HTML page (Content-Type {mime})")
    if text is None:
        text = decode_body(fetched)
    article = read_text_input(text, name, settings, fmt="html")
    meta = None
    try:
        from trafilatura.metadata import extract_metadata

        meta = extract_metadata(text, default_url=fetched.final_url)
    except Exception:  # metadata is a bonus: the article itself was extracted
        meta = None
    canonical = (getattr(meta, "url", None) or "").strip()
    if not (is_url(canonical) and _same_site(canonical, fetched.final_url)):
        canonical = fetched.final_url
    site = (getattr(meta, "sitename", None) or "").strip()
    site = site or (urlsplit(fetched.final_url).hostname or "")
    lang = _HTML_LANG_RE.search(text[:20_000])
    return WebArticle(
        text=article.text,
        title=article.title,
        origin=name,
        language=article.language,
        url=canonical,
        site=" ".join(site.split()),
        published=(getattr(meta, "date", None) or "").strip(),
        author=" ".join((getattr(meta, "author", None) or "").split()),
        final_url=fetched.final_url,
        page_language=lang.group(1).lower() if lang else "",
    )


def read_url(
    url: str,
    settings: Settings | None = None,
    allow_private: bool = False,
    *,
    client: httpx.Client | None = None,
) -> WebArticle:
    """Fetch one web page and extract its article (``InputError`` on any problem)."""
    settings = settings or Settings()
    fetched = fetch(url, settings, allow_private=allow_private, client=client, accept=accept_page)
    return article_from_fetched(fetched, settings)
