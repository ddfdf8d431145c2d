"""retold.inputs.feeds: RSS/Atom/sitemaps parsed safely and followed over local HTTP."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator

import pytest

from retold.errors import InputError
from retold.inputs.feeds import (
    feed_item_urls,
    iter_feed_articles,
    iter_url_sources,
    parse_feed,
    parse_xml,
    sniff_feed_kind,
)
from retold.inputs.net.pages import WebArticle
from retold.settings import Settings
from retold.store.base import Skipped
from tests.test_fetch import HTML, LocalServer, Route, article_html, gzip_bomb, serve

XML = {"Content-Type": "application/xml"}


def rss(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><link>{link}</link>"
        f"<guid isPermaLink='false'>id-{i}</guid></item>"
        for i, link in enumerate(links)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Test news</title>'
        '<atom:link href="/rss.xml" rel="self"/>'
        f"<link>http://example.invalid/</link>{items}</channel></rss>"
    ).encode()


def atom(hrefs: list[str]) -> bytes:
    entries = "".join(
        f'<entry><title>E{i}</title><id>urn:e{i}</id><link rel="self" href="/self/{i}"/>'
        f'<link rel="enclosure" href="/audio/{i}.mp3"/><link href="{href}"/></entry>'
        for i, href in enumerate(hrefs)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Atom test</title>{entries}</feed>"
    ).encode()


def urlset(locs: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{loc}</loc><lastmod>2024-03-01</lastmod></url>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def sitemapindex(locs: list[str]) -> bytes:
    maps = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>'
    ).encode()


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss version="2.0"><channel><item><link>&lol9;</link></item></channel></rss>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss><channel><item><link>http://x.invalid/&xxe;</link></item></channel></rss>"""


@pytest.fixture
def news() -> Iterator[LocalServer]:
    routes: dict[str, Route] = {}
    with serve(routes) as srv:
        u = srv.url
        routes.update({f"/a/{n}": (200, HTML, article_html(n)) for n in range(1, 7)})
        routes.update(
            {
                "/rss.xml": (
                    200,
                    {"Content-Type": "application/rss+xml; charset=utf-8"},
                    rss([u("/a/1"), "/a/2", u("/a/missing"), u("/a/1")]),
                ),
                "/atom.xml": (200, {"Content-Type": "application/atom+xml"}, atom(["/a/3"])),
                "/sitemap_index.xml": (
                    200,
                    XML,
                    sitemapindex([u("/sitemap-1.xml"), u("/sitemap-2.xml.gz"), u("/nope.xml")]),
                ),
                "/sitemap-1.xml": (200, XML, urlset([u("/a/4"), u("/a/5")])),
                "/sitemap-2.xml.gz": (
                    200,
                    {"Content-Type": "application/x-gzip"},
                    gzip.compress(urlset([u("/a/6"), u("/a/4")])),
                ),
                "/bomb.xml.gz": (200, {"Content-Type": "application/gzip"}, gzip_bomb(50 << 20)),
                "/broken.xml": (
                    200,
                    {"Content-Type": "application/rss+xml"},
                    b"<?xml version='1.0'?><rss><channel><item><link>/a/1</link></channel></rss>",
                ),
                "/laughs.xml": (200, XML, LAUGHS),
                "/xxe.xml": (200, {"Content-Type": "text/xml"}, XXE),
                "/empty-feed.xml": (200, XML, rss([])),
                "/other.xml": (200, XML, b"<?xml version='1.0'?><note><to>you</to></note>"),
                "/page": (200, HTML, article_html(7)),
            }
        )
        yield srv


def st(**kw: object) -> Settings:
    return Settings().with_overrides(fetch_host_delay_s=0.0, **kw)


def _origins(items: list[object]) -> list[tuple[str, str]]:
    return [
        ("article" if isinstance(i, WebArticle) else "skipped", i.origin)  # type: ignore[attr-defined]
        for i in items
    ]


# --------------------------------------------------------------------------- parsing


def test_rss_item_urls_resolved_deduplicated() -> None:
    body = rss(["/a/1", "http://other.invalid/x", "/a/1", "mailto:me@example.org", "javascript:x"])
    assert feed_item_urls(body, "http://news.invalid/feeds/rss.xml") == [
        "http://news.invalid/a/1",
        "http://other.invalid/x",
    ]


def test_rss_guid_permalink_and_rdf() -> None:
    body = b"""<rss version="2.0"><channel>
      <item><guid>http://n.invalid/g1</guid></item>
      <item><guid isPermaLink="false">http://n.invalid/not-a-link</guid></item>
      <item><link>
        http://n.invalid/wrapped
      </link></item></channel></rss>"""
    assert feed_item_urls(body, "http://n.invalid/") == [
        "http://n.invalid/g1",
        "http://n.invalid/wrapped",
    ]
    rdf = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/"><channel><title>t</title></channel>
      <item rdf:about="http://n.invalid/r1"><link>http://n.invalid/r1</link></item></rdf:RDF>"""
    assert parse_feed(rdf, "http://n.invalid/").urls == ["http://n.invalid/r1"]


def test_atom_alternate_links_only() -> None:
    feed = parse_feed(atom(["/a/1", "https://n.invalid/a/2"]), "https://n.invalid/atom")
    assert feed.kind == "atom"
    assert feed.urls == ["https://n.invalid/a/1", "https://n.invalid/a/2"]


def test_sitemaps_plain_gzipped_and_index() -> None:
    body = urlset(["https://n.invalid/1", "https://n.invalid/2"])
    assert parse_feed(body, "https://n.invalid/s.xml").kind == "urlset"
    assert feed_item_urls(gzip.compress(body), "https://n.invalid/s.xml.gz") == [
        "https://n.invalid/1",
        "https://n.invalid/2",
    ]
    index = parse_feed(sitemapindex(["/s1.xml"]), "https://n.invalid/index.xml")
    assert index.kind == "sitemapindex" and index.urls == ["https://n.invalid/s1.xml"]


@pytest.mark.parametrize(
    "body, kind",
    [
        (rss([]), "rss"),
        (atom([]), "atom"),
        (urlset([]), "urlset"),
        (sitemapindex([]), "sitemapindex"),
        (LAUGHS, "rss"),
        ("<?xml version='1.0' encoding='utf-16'?><feed/>".encode("utf-16"), "atom"),
        (b"<!doctype html><html><body><p>hi</p></body></html>", None),
        (b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'/>", None),
        (b"plain text", None),
    ],
)
def test_sniff_feed_kind(body: bytes, kind: str | None) -> None:
    assert sniff_feed_kind(body) == kind


@pytest.mark.parametrize("body", [LAUGHS, XXE, b"<!DOCTYPE r><r/>"])
def test_doctype_and_entities_refused(body: bytes) -> None:
    start = time.monotonic()
    with pytest.raises(InputError) as exc:
        feed_item_urls(body, "http://n.invalid/feed.xml")
    assert str(exc.value) == "http://n.invalid/feed.xml: XML with DOCTYPE/entities refused"
    assert time.monotonic() - start < 1


def test_invalid_xml_one_line_error_naming_url() -> None:
    with pytest.raises(InputError, match=r"^http://n.invalid/f: not valid XML \(mismatched tag"):
        feed_item_urls(b"<rss><channel><item></channel>\n</rss>", "http://n.invalid/f")
    with pytest.raises(InputError, match=r"not an RSS/Atom feed or sitemap \(root element <note>"):
        feed_item_urls(b"<note/>", "http://n.invalid/f")
    with pytest.raises(InputError, match=r"decompression bomb"):
        feed_item_urls(gzip_bomb(20 << 20), "http://n.invalid/s.xml.gz")


def test_parse_xml_keeps_namespaces() -> None:
    root = parse_xml(b'<a xmlns="urn:x" xmlns:y="urn:y" y:k="v"><b>t</b></a>', "n")
    assert root.tag == "{urn:x}a" and root.get("{urn:y}k") == "v"
    assert root[0].text == "t"


# --------------------------------------------------------------------------- following


def test_rss_feed_followed(news: LocalServer) -> None:
    items = list(iter_feed_articles(news.url("/rss.xml"), st(), allow_private=True))
    assert _origins(items) == [
        ("article", news.url("/a/1")),
        ("article", news.url("/a/2")),
        ("skipped", news.url("/a/missing")),
    ]
    assert items[2] == Skipped(news.url("/a/missing"), "HTTP 404 Not Found")
    first = items[0]
    assert isinstance(first, WebArticle) and "bridge number 1" in first.text
    assert first.site == "The Daily Test" and first.url == news.url("/a/1")


def test_atom_feed_followed(news: LocalServer) -> None:
    items = list(iter_feed_articles(news.url("/atom.xml"), st(), allow_private=True))
    assert _origins(items) == [("article", news.url("/a/3"))]


def test_sitemap_index_with_gzipped_child(news: LocalServer) -> None:
    items = list(iter_feed_articles(news.url("/sitemap_index.xml"), st(), allow_private=True))
    got = _origins(items)
    assert ("skipped", news.url("/nope.xml")) in got
    articles = [o for k, o in got if k == "article"]
    assert articles == [news.url("/a/4"), news.url("/a/5"), news.url("/a/6")]


def test_feed_limit(news: LocalServer) -> None:
    items = list(iter_feed_articles(news.url("/rss.xml"), st(), allow_private=True, limit=1))
    assert isinstance(items[0], Skipped) and "only the first 1 are followed" in items[0].reason
    assert _origins(items[1:]) == [("article", news.url("/a/1"))]


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/broken.xml", "not valid XML (mismatched tag"),
        ("/laughs.xml", "XML with DOCTYPE/entities refused"),
        ("/xxe.xml", "XML with DOCTYPE/entities refused"),
        ("/bomb.xml.gz", "decompression bomb"),
        ("/empty-feed.xml", "the rss lists no http(s) article URLs"),
        ("/missing.xml", "HTTP 404 Not Found"),
    ],
)
def test_bad_feeds_are_skipped_with_reasons(news: LocalServer, path: str, reason: str) -> None:
    items = list(iter_feed_articles(news.url(path), st(), allow_private=True))
    assert len(items) == 1 and isinstance(items[0], Skipped)
    assert items[0].origin == news.url(path) and reason in items[0].reason
    assert "\n" not in items[0].reason


def test_iter_url_sources_mixed(news: LocalServer) -> None:
    specs = [
        news.url("/page"),
        news.url("/atom.xml"),
        "ftp://n.invalid/file",
        news.url("/other.xml"),
        news.url("/sitemap-2.xml.gz"),
        news.url("/gone"),
    ]
    items = list(iter_url_sources(specs, st(), allow_private=True))
    assert _origins(items) == [
        ("article", news.url("/page")),
        ("article", news.url("/a/3")),
        ("skipped", "ftp://n.invalid/file"),
        ("skipped", news.url("/other.xml")),
        ("article", news.url("/a/6")),
        ("article", news.url("/a/4")),
        ("skipped", news.url("/gone")),
    ]
    reasons = {i.origin: i.reason for i in items if isinstance(i, Skipped)}
    assert reasons["ftp://n.invalid/file"] == "only http(s) URLs are fetched"
    assert "not an RSS/Atom feed or sitemap" in reasons[news.url("/other.xml")]
    assert reasons[news.url("/gone")] == "HTTP 404 Not Found"


def test_iter_url_sources_refuses_loopback_without_allow_private(news: LocalServer) -> None:
    items = list(iter_url_sources([news.url("/rss.xml")], st()))
    assert len(items) == 1 and isinstance(items[0], Skipped)
    assert "127.0.0.1 is a loopback address" in items[0].reason
    assert news.requests == []


def test_utf16_feed_parses() -> None:
    body = (
        "<?xml version='1.0' encoding='utf-16'?>"
        "<rss><channel><item><link>/é</link></item></channel></rss>"
    )
    assert feed_item_urls(body.encode("utf-16"), "http://n.invalid/") == ["http://n.invalid/é"]
