"""Ingest and compare from the web and from crawls, end to end: URLs, feeds, robots.txt,
the private-address guard on the command line, WARC files in folders, stored bylines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from retold.inputs.run import ingest
from retold.inputs.sources import iter_sources
from retold.settings import Settings
from retold.store import open_store
from retold.store.base import Skipped, SourceArticle
from tests.conftest import run_cli
from tests.test_feeds import XML, rss
from tests.test_fetch import HTML, LocalServer, article_html, serve
from tests.test_warc import build_warc

FAST = Settings(fetch_host_delay_s=0.0)
TEXT = {"Content-Type": "text/plain"}


@pytest.fixture
def news() -> Iterator[LocalServer]:
    """A small news site: three articles, a feed listing them and one blocked by robots.txt."""
    with serve({}) as srv:
        srv.routes.update(
            {
                "/robots.txt": (200, TEXT, b"User-agent: *\nDisallow: /private/\n"),
                "/a/1": (200, HTML, article_html(1, srv.port)),
                "/a/2": (200, HTML, article_html(2, srv.port)),
                "/private/3": (200, HTML, article_html(3, srv.port)),
                "/rss.xml": (
                    200,
                    XML,
                    rss([srv.url("/a/1"), srv.url("/a/2"), srv.url("/private/3")]),
                ),
            }
        )
        yield srv


def split(items) -> tuple[list[SourceArticle], list[Skipped]]:
    items = list(items)
    return (
        [i for i in items if not isinstance(i, Skipped)],
        [i for i in items if isinstance(i, Skipped)],
    )


def test_urls_are_refused_on_private_addresses_without_the_flag(news: LocalServer) -> None:
    arts, skipped = split(iter_sources([news.url("/a/1")], FAST))
    assert arts == []
    assert skipped[0].origin == news.url("/a/1")
    assert "127.0.0.1" in skipped[0].reason and "--allow-private" in skipped[0].reason
    assert news.requests == []  # refused before any connection


def test_feed_is_followed_and_robots_txt_obeyed(news: LocalServer) -> None:
    arts, skipped = split(iter_sources([news.url("/rss.xml")], FAST, allow_private=True))
    assert [a.url for a in arts] == [
        news.url("/canonical/1"),
        news.url("/canonical/2"),
    ]
    assert arts[0].author == "Jane Reporter" and arts[0].site == "The Daily Test"
    assert arts[0].published.startswith("2024-03-02")
    assert [(s.origin, s.reason.split(" (")[0]) for s in skipped] == [
        (news.url("/private/3"), "disallowed by the site's robots.txt")
    ]
    assert "/private/3" not in news.paths()  # never fetched
    assert news.paths().count("/robots.txt") == 1  # fetched once per site


def test_robots_can_be_ignored_and_server_errors_stop_the_site(news: LocalServer) -> None:
    ignoring = Settings(fetch_host_delay_s=0.0, fetch_respect_robots=False)
    arts, _ = split(iter_sources([news.url("/private/3")], ignoring, allow_private=True))
    assert len(arts) == 1
    news.routes["/robots.txt"] = (503, TEXT, b"busy")
    arts, skipped = split(iter_sources([news.url("/a/1")], FAST, allow_private=True))
    assert arts == [] and "robots.txt answers HTTP 503" in skipped[0].reason
    news.routes.pop("/robots.txt")  # a site without robots.txt allows everything
    arts, _ = split(iter_sources([news.url("/a/1")], FAST, allow_private=True))
    assert len(arts) == 1


def test_order_of_mixed_specs_is_kept(news: LocalServer, tmp_path: Path) -> None:
    local = tmp_path / "local.txt"
    local.write_text(
        "Local title\n\n" + " ".join(f"The harbour board met on day {i}." for i in range(20))
    )
    items = list(
        iter_sources(
            [news.url("/a/1"), str(local), news.url("/a/2"), "ftp://example.org/x"],
            FAST,
            allow_private=True,
        )
    )
    assert [getattr(i, "url", None) or i.origin for i in items] == [
        news.url("/canonical/1"),
        str(local),
        news.url("/canonical/2"),
        "ftp://example.org/x",
    ]
    assert "http" in items[-1].reason  # only http(s) is fetched


def test_library_ingest_stores_byline_and_is_idempotent(news: LocalServer, tmp_path: Path):
    db = tmp_path / "web.db"
    first = ingest([news.url("/rss.xml")], db, settings=FAST, allow_private=True)
    assert (first.read, first.new, first.duplicates, first.skipped) == (2, 2, 0, 1)
    again = ingest([news.url("/a/1")], db, settings=FAST, allow_private=True)
    assert (again.new, again.duplicates) == (0, 1)
    with open_store(db) as store:
        rows = store.list(limit=10)
    assert {r.author for r in rows} == {"Jane Reporter"}
    assert {r.url for r in rows} == {news.url("/canonical/1"), news.url("/canonical/2")}


def test_cli_ingest_urls_and_warc_folder(news: LocalServer, tmp_path: Path) -> None:
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    build_warc(crawl / "part-1.warc.gz", n_pages=3)
    (crawl / "notes.bin").write_bytes(b"\x00\x01")
    cfg = tmp_path / "fast.toml"
    cfg.write_text("[fetch]\nhost_delay_s = 0.0\n")
    db = str(tmp_path / "cli.db")

    refused = run_cli("ingest", news.url("/a/1"), "--db", db, "--json", "--config", str(cfg))
    # nothing given could be read: exit 2 with a one-line error, the JSON summary still out
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.decode().count("\n") == 1 and "loopback" in refused.stderr.decode()
    summary = json.loads(refused.stdout)
    assert (summary["new"], summary["skipped"]) == (0, 1)

    proc = run_cli(
        "ingest",
        news.url("/rss.xml"),
        str(crawl),
        "--allow-private",
        "--db",
        db,
        "--json",
        "--config",
        str(cfg),
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["new"] == 5  # 2 feed items + 3 crawled pages
    reasons = " | ".join(r for r in summary["skipped_reasons"])
    assert "robots.txt" in reasons and "unsupported file type (.bin)" in reasons

    listed = json.loads(run_cli("list", "--db", db, "--format", "json").stdout)
    by_site = {a["site"] for a in listed}
    assert "The Daily Test" in by_site and len(listed) == 5
    shown = run_cli("show", str(listed[-1]["id"]), "--db", db, "--format", "json")
    assert json.loads(shown.stdout)["author"] in ("Jane Reporter", "")


def test_cli_compare_urls(news: LocalServer) -> None:
    proc = run_cli("compare", news.url("/a/1"), news.url("/a/2"), "--format", "json")
    assert proc.returncode == 2
    assert proc.stderr.decode().count("\n") == 1 and b"--allow-private" in proc.stderr
    proc = run_cli(
        "compare", news.url("/a/1"), news.url("/a/2"), "--format", "json", "--allow-private"
    )
    assert proc.returncode == 0, proc.stderr
    audit = json.loads(proc.stdout)
    assert audit["source"]["origin"] == news.url("/a/1")
    kinds = {c["kind"] for c in audit["changes"]}
    assert "number" in kinds  # bridge 1 -> bridge 2, 41 -> 42 million
