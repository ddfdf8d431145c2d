"""RSS/Atom feeds and XML sitemaps: find the article URLs and follow them.

- ``parse_feed`` / ``feed_item_urls``: RSS 2.0 (and RSS 1.0/RDF) item links, Atom entry
  links (``rel="alternate"`` or no ``rel``), sitemap ``<urlset>`` locations and
  ``<sitemapindex>`` child sitemaps. Gzipped bodies (``.xml.gz`` sitemaps) are
  decompressed with the same size and ratio limits as HTTP bodies. Relative links are
  resolved against the feed URL; only http(s) links are kept, duplicates dropped.
- XML is parsed with the stdlib expat parser, hardened: any DOCTYPE (and so any ENTITY
  declaration, internal or external) is refused before it is processed, which blocks
  billion-laughs and XXE; at most ``MAX_XML_ELEMENTS`` elements are built.
- ``iter_feed_articles`` fetches a feed or sitemap (index) and then its items with
  ``fetch_many`` (thread pool, per-host limits), yielding ``WebArticle``s and ``Skipped``s.
- ``iter_url_sources`` is the entry point for ingest SOURCES that are URLs: each is fetched
  once; a feed or sitemap is followed, anything else is read as an article page.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin
from xml.parsers import expat

import httpx

from retold.errors import InputError
from retold.inputs.decoding import error, problem_of
from retold.inputs.net.fetch import HTML_TYPES, Fetched, accept_page, decompress_limited, fetch
from retold.inputs.net.guard import is_url, make_client
from retold.inputs.net.pages import article_from_fetched, fetch_many
from retold.inputs.net.politeness import HostLimiter
from retold.inputs.net.robots import Robots
from retold.settings import Settings
from retold.store.base import Skipped
from retold.types import Article

__all__ = [
    "Feed",
    "feed_item_urls",
    "is_url",
    "iter_feed_articles",
    "iter_url_sources",
    "parse_feed",
    "parse_xml",
    "sniff_feed_kind",
]

FeedKind = Literal["rss", "atom", "urlset", "sitemapindex"]
Item = Article | Skipped

MAX_XML_ELEMENTS = 1_000_000  # a 50,000-URL sitemap has ~150,000
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip", "application/x-gunzip"})
XML_TYPES = frozenset({"application/xml", "text/xml", "application/x-xml"})
_GZIP_MAGIC = b"\x1f\x8b"
_ROOT_KINDS: dict[str, FeedKind] = {
    "rss": "rss",
    "rdf": "rss",  # RSS 1.0: <rdf:RDF> with <item>s
    "feed": "atom",
    "urlset": "urlset",
    "sitemapindex": "sitemapindex",
}
_PROLOG_RE = re.compile(
    r"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)*<([A-Za-z_][\w:.-]*)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Feed:
    """What a feed lists: article URLs (rss, atom, urlset) or child sitemaps (index)."""

    kind: FeedKind
    urls: list[str]


# --------------------------------------------------------------------------- XML


class _Refused(Exception):
    pass


def parse_xml(data: bytes, name: str) -> ET.Element:
    """An ElementTree element from ``data``; DOCTYPE/ENTITY declarations are refused.

    Built on ``xml.parsers.expat`` directly (ElementTree's C parser does not expose the
    declaration handlers): the DOCTYPE handler raises as soon as ``<!DOCTYPE`` is seen,
    before any internal subset is read; parameter entities are never parsed.
    """
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    count = 0

    def refuse(*_args: object) -> None:
        raise _Refused

    def qname(raw: str) -> str:  # expat gives "uri}local"; ElementTree uses "{uri}local"
        return "{" + raw if "}" in raw else raw

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if count > MAX_XML_ELEMENTS:
            raise error(name, f"XML has more than {MAX_XML_ELEMENTS:,} elements")
        builder.start(qname(tag), {qname(k): v for k, v in attrs.items()})

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(qname(tag))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except _Refused:
        raise error(name, "XML with DOCTYPE/entities refused") from None
    except expat.ExpatError as exc:
        raise error(name, f"not valid XML ({exc})") from None
    return builder.close()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _text_head(body: bytes) -> str:
    head = body[:16384]
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(enc, "ignore")
    if head[:2] in (b"<\x00", b"\x00<"):
        return head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", "ignore")
    return head.decode("latin-1")


def sniff_feed_kind(body: bytes) -> FeedKind | None:
    """The kind of feed/sitemap ``body`` (uncompressed) looks like, from its root element
    name; None for anything else (HTML pages included)."""
    match = _PROLOG_RE.match(_text_head(body))
    if not match:
        return None
    return _ROOT_KINDS.get(match.group(1).rsplit(":", 1)[-1].lower())


def _maybe_gunzip(body: bytes, name: str, settings: Settings) -> bytes:
    if body.startswith(_GZIP_MAGIC):
        return decompress_limited(body, name, settings, "gzip")
    return body


# --------------------------------------------------------------------------- links


def _keep(urls: list[str], link: str | None, base_url: str) -> None:
    if not link:
        return
    link = "".join(link.split())  # feeds wrap long URLs across lines
    if not link:
        return
    absolute = urljoin(base_url, link)
    if is_url(absolute) and absolute not in urls:
        urls.append(absolute)


def _child_text(el: ET.Element, local: str) -> str | None:
    for child in el:
        if _local(child.tag) == local and child.text and child.text.strip():
            return child.text
    return None


def _rss_links(root: ET.Element, base_url: str) -> list[str]:
    urls: list[str] = []
    for item in root.iter():
        if _local(item.tag) != "item":
            continue
        link = _child_text(item, "origlink") or _child_text(item, "link")
        if link is None:
            for child in item:
                if _local(child.tag) == "guid" and child.get("isPermaLink", "true") != "false":
                    link = child.text
        _keep(urls, link, base_url)
    return urls


def _atom_links(root: ET.Element, base_url: str) -> list[str]:
    urls: list[str] = []
    base = root.get("{http://www.w3.org/XML/1998/namespace}base")
    feed_base = urljoin(base_url, base) if base else base_url
    for entry in root.iter():
        if _local(entry.tag) != "entry":
            continue
        best = None
        for link in entry:
            if _local(link.tag) != "link" or not link.get("href"):
                continue
            if link.get("rel", "alternate") != "alternate":
                continue
            if best is None or link.get("type", "text/html") in HTML_TYPES:
                best = link.get("href")
        _keep(urls, best, feed_base)
    return urls


def _sitemap_locs(root: ET.Element, parent: str, base_url: str) -> list[str]:
    urls: list[str] = []
    for el in root.iter():
        if _local(el.tag) == parent:
            _keep(urls, _child_text(el, "loc"), base_url)
    return urls


def parse_feed(
    body: bytes, base_url: str, settings: Settings | None = None, name: str | None = None
) -> Feed:
    """The kind and listed URLs of an RSS/Atom feed or sitemap (gzipped or not).

    Raises a one-line ``InputError`` naming ``name`` (default ``base_url``) for invalid
    XML, DOCTYPE/entities, or XML that is no feed or sitemap."""
    settings = settings or Settings()
    name = name or base_url
    body = _maybe_gunzip(body, name, settings)
    root = parse_xml(body, name)
    root_name = _local(root.tag)
    kind = _ROOT_KINDS.get(root_name)
    if kind == "rss":
        return Feed(kind, _rss_links(root, base_url))
    if kind == "atom":
        return Feed(kind, _atom_links(root, base_url))
    if kind == "urlset":
        return Feed(kind, _sitemap_locs(root, "url", base_url))
    if kind == "sitemapindex":
        return Feed(kind, _sitemap_locs(root, "sitemap", base_url))
    raise error(name, f"not an RSS/Atom feed or sitemap (root element <{root_name}>)")


def feed_item_urls(body: bytes, base_url: str) -> list[str]:
    """Article URLs of an RSS/Atom feed or sitemap; child sitemap URLs of an index."""
    return parse_feed(body, base_url).urls


# --------------------------------------------------------------------------- following


def _feed_accept(mime: str) -> bool:
    return (
        mime in XML_TYPES
        or mime in GZIP_TYPES
        or mime.endswith("+xml")
        or mime in ("", "text/plain", "application/octet-stream", "text/html")
    )


def _source_accept(mime: str) -> bool:
    return _feed_accept(mime) or accept_page(mime)


def _looks_like_feed(fetched: Fetched, settings: Settings) -> tuple[bool, bytes]:
    """(is a feed or sitemap, uncompressed body) for a fetched URL."""
    body = fetched.body
    gz = body.startswith(_GZIP_MAGIC)
    if gz and (
        fetched.mime in GZIP_TYPES or fetched.final_url.lower().split("?")[0].endswith(".gz")
    ):
        body = decompress_limited(body, fetched.url, settings, "gzip")
        return True, body
    if sniff_feed_kind(body) is not None:
        return True, body
    mime = fetched.mime
    xmlish = mime in XML_TYPES or (mime.endswith("+xml") and mime not in HTML_TYPES)
    return xmlish, body


class _Follow:
    """Shared fetching context for one ``iter_url_sources``/``iter_feed_articles`` call."""

    def __init__(
        self,
        settings: Settings,
        allow_private: bool,
        client: httpx.Client | None,
        limiter: HostLimiter | None,
    ) -> None:
        self.settings = settings
        self.allow_private = allow_private
        self.own_client = client is None
        self.client = client or make_client(settings, allow_private)
        self.limiter = limiter or HostLimiter.from_settings(settings)
        self.robots = (
            Robots(settings, allow_private=allow_private, client=self.client, limiter=self.limiter)
            if settings.fetch_respect_robots
            else None
        )

    def close(self) -> None:
        if self.own_client:
            self.client.close()

    def many(self, urls: Iterable[str], accept: object) -> Iterator[Fetched | Skipped]:
        return fetch_many(
            urls,
            self.settings,
            allow_private=self.allow_private,
            client=self.client,
            limiter=self.limiter,
            accept=accept,  # type: ignore[arg-type]
            robots=self.robots,
        )

    def article(self, fetched: Fetched) -> Item:
        try:
            return article_from_fetched(fetched, self.settings)
        except InputError as exc:
            return Skipped(fetched.url, problem_of(exc, fetched.url))

    def feed_items(self, fetched: Fetched, body: bytes, limit: int | None) -> Iterator[Item]:
        """Articles behind an already fetched feed/sitemap (index)."""
        settings = self.settings
        limit = settings.feed_max_items if limit is None else max(limit, 0)
        name = fetched.url
        try:
            feed = parse_feed(body, fetched.final_url, settings, name=name)
        except InputError as exc:
            yield Skipped(name, problem_of(exc, name))
            return
        urls = feed.urls
        more = len(urls) > limit
        if feed.kind == "sitemapindex":
            children = urls[: settings.feed_max_sitemaps]
            if len(urls) > len(children):
                yield Skipped(
                    name,
                    f"sitemap index lists {len(urls)} sitemaps; only the first "
                    f"{len(children)} are followed (set feed_max_sitemaps)",
                )
            urls, more = [], False
            for child in self.many(children, _feed_accept):
                if isinstance(child, Skipped):
                    yield child
                    continue
                try:
                    sub = parse_feed(child.body, child.final_url, settings, name=child.url)
                except InputError as exc:
                    yield Skipped(child.url, problem_of(exc, child.url))
                    continue
                if sub.kind == "sitemapindex":
                    yield Skipped(child.url, "nested sitemap index not followed")
                    continue
                for u in sub.urls:
                    if u not in urls:
                        urls.append(u)
                if len(urls) > limit:
                    more = True
                    break
        if not urls:
            yield Skipped(name, f"the {feed.kind} lists no http(s) article URLs")
            return
        if more:
            yield Skipped(
                name,
                f"lists more than {limit} article URLs; only the first {limit} are "
                "followed (set feed_max_items)",
            )
        for result in self.many(urls[:limit], accept_page):
            yield result if isinstance(result, Skipped) else self.article(result)

    def source(self, fetched: Fetched, limit: int | None) -> Iterator[Item]:
        try:
            is_feed, body = _looks_like_feed(fetched, self.settings)
        except InputError as exc:
            yield Skipped(fetched.url, problem_of(exc, fetched.url))
            return
        if is_feed:
            yield from self.feed_items(fetched, body, limit)
        else:
            yield self.article(fetched)


def iter_feed_articles(
    url: str,
    settings: Settings | None = None,
    allow_private: bool = False,
    limit: int | None = None,
    *,
    client: httpx.Client | None = None,
    limiter: HostLimiter | None = None,
) -> Iterator[Item]:
    """Articles listed by the feed or sitemap (index) at ``url``, in feed order, at most
    ``limit`` (default ``feed_max_items``). Problems with the feed itself or any item are
    ``Skipped`` with a reason, never raised."""
    settings = settings or Settings()
    follow = _Follow(settings, allow_private, client, limiter)
    try:
        refusal = follow.robots.refusal(url) if follow.robots else None
        if refusal:
            yield Skipped(url.strip(), refusal)
            return
        try:
            fetched = fetch(
                url,
                settings,
                allow_private=allow_private,
                client=follow.client,
                limiter=follow.limiter,
                accept=_feed_accept,
            )
        except InputError as exc:
            yield Skipped(url.strip(), problem_of(exc, url.strip()))
            return
        body = fetched.body
        try:
            body = _maybe_gunzip(body, fetched.url, settings)
        except InputError as exc:
            yield Skipped(fetched.url, problem_of(exc, fetched.url))
            return
        yield from follow.feed_items(fetched, body, limit)
    finally:
        follow.close()


def iter_url_sources(
    specs: Iterable[str],
    settings: Settings | None = None,
    allow_private: bool = False,
    *,
    client: httpx.Client | None = None,
    limiter: HostLimiter | None = None,
) -> Iterator[Item]:
    """Articles from URL sources: each spec is fetched once (several at a time); an
    RSS/Atom feed or sitemap is followed, anything else is read as an article page.
    Non-http(s) specs and every failure become ``Skipped(spec, reason)``."""
    settings = settings or Settings()
    follow = _Follow(settings, allow_private, client, limiter)
    try:
        for result in follow.many((s.strip() for s in specs), _source_accept):
            if isinstance(result, Skipped):
                yield result
            else:
                yield from follow.source(result, None)
    finally:
        follow.close()
