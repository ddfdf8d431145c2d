"""WARC/ARC ingestion: HTML responses become articles, everything else is passed over,
damaged archives keep what came before the damage. Archives are built here with warcio;
every page is invented."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from retold.inputs.warc import is_warc_path, iter_warc
from retold.settings import Settings
from retold.store.base import Skipped, SourceArticle


def page(i: int, title: str | None = None) -> str:
    title = title or f"Harbour ferry timetable {i}"
    paras = "".join(
        f"<p>The harbour authority of Lunmouth said on day {i} that ferry route {i} "
        f"would run every {10 + i} minutes from the north pier after sea trial {j} "
        f"was completed by the crew and the inspectors who checked the engines.</p>"
        for j in range(4)
    )
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{paras}</article>"
        "<footer>Contact us</footer></body></html>"
    )


def _response(
    writer: WARCWriter,
    url: str,
    body: bytes,
    *,
    status: str = "200 OK",
    ctype: str = "text/html; charset=utf-8",
    extra: list[tuple[str, str]] | None = None,
    warc_date: str = "2024-03-01T12:00:00Z",
) -> None:
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body))), *(extra or [])]
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    rec = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": warc_date},
    )
    writer.write_record(rec)


def build_warc(path: Path, n_pages: int = 5, *, gz: bool = True) -> None:
    """warcinfo, then per page a request + a response; plus an image, a 404 and a
    redirect that must be passed over."""
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "test"}))
        for i in range(n_pages):
            url = f"https://www.lunmouth-news.example/ferries/{i}"
            req = StatusAndHeaders(
                f"GET /ferries/{i} HTTP/1.1",
                [("Host", "www.lunmouth-news.example")],
                is_http_request=True,
            )
            w.write_record(
                w.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=req)
            )
            extra = [("Last-Modified", "Tue, 27 Feb 2024 08:30:00 GMT")] if i == 0 else None
            _response(w, url, page(i).encode("utf-8"), extra=extra)
            if i == 1:
                _response(
                    w,
                    "https://www.lunmouth-news.example/logo.png",
                    b"\x89PNG\r\n\x1a\n" + b"\0" * 50,
                    ctype="image/png",
                )
                _response(
                    w,
                    "https://www.lunmouth-news.example/gone",
                    page(99).encode(),
                    status="404 Not Found",
                )
                _response(
                    w, "https://www.lunmouth-news.example/old", b"", status="301 Moved Permanently"
                )


def collect(
    path: Path, settings: Settings | None = None
) -> tuple[list[SourceArticle], list[Skipped]]:
    arts: list[SourceArticle] = []
    skips: list[Skipped] = []
    for item in iter_warc(str(path), settings or Settings()):
        (skips if isinstance(item, Skipped) else arts).append(item)  # type: ignore[arg-type]
    return arts, skips


@pytest.mark.parametrize("gz", [True, False])
def test_html_responses_become_articles(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    build_warc(path, 5, gz=gz)
    arts, skips = collect(path)
    assert skips == []
    assert [a.url for a in arts] == [
        f"https://www.lunmouth-news.example/ferries/{i}" for i in range(5)
    ]
    a0, a1 = arts[0], arts[1]
    assert a0.title == "Harbour ferry timetable 0"
    assert a0.site == "lunmouth-news.example"
    assert a0.published == "2024-02-27T08:30:00+00:00"  # Last-Modified wins
    assert a1.published == "2024-03-01T12:00:00Z"  # else the capture date
    assert "ferry route 1 would run every 11 minutes" in a1.text
    assert "Contact us" not in a1.text and "Home" not in a1.text
    assert a0.origin == f"{path}#3"  # warcinfo, request, response
    assert a0.language == "en"


def test_whole_file_gzip_is_read(tmp_path: Path) -> None:
    plain = tmp_path / "crawl.warc"
    build_warc(plain, 3, gz=False)
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    arts, skips = collect(whole)
    assert len(arts) == 3 and skips == []


def test_truncated_gzip_keeps_articles_before_the_damage(tmp_path: Path) -> None:
    full = tmp_path / "crawl.warc.gz"
    build_warc(full, 8)
    data = full.read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) // 2])
    arts, skips = collect(cut)
    assert 1 <= len(arts) < 8
    assert [a.url for a in arts] == [
        f"https://www.lunmouth-news.example/ferries/{i}" for i in range(len(arts))
    ]
    assert len(skips) == 1
    assert skips[0].origin == str(cut)
    assert skips[0].reason.startswith("truncated WARC after ")
    assert "\n" not in skips[0].reason


def test_truncated_plain_warc_is_reported(tmp_path: Path) -> None:
    full = tmp_path / "crawl.warc"
    build_warc(full, 6, gz=False)
    data = full.read_bytes()
    cut = tmp_path / "cut.warc"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    arts, skips = collect(cut)
    assert 1 <= len(arts) < 6
    assert len(skips) == 1 and skips[0].reason.startswith("truncated WARC after ")


def test_garbage_and_empty_files_are_one_skip_each(tmp_path: Path, capsys) -> None:
    junk = tmp_path / "junk.warc"
    junk.write_bytes(bytes(range(256)) * 40)
    arts, skips = collect(junk)
    assert arts == [] and len(skips) == 1
    assert skips[0].origin == str(junk) and "WARC" in skips[0].reason
    text = tmp_path / "notes.warc"
    text.write_text("these are my notes, not a crawl\n" * 20)
    arts, skips = collect(text)
    assert arts == [] and len(skips) == 1
    fake_gz = tmp_path / "junk.warc.gz"
    fake_gz.write_bytes(b"\x1f\x8b\x08\x00" + b"garbage" * 100)
    arts, skips = collect(fake_gz)
    assert arts == [] and len(skips) == 1 and "gzip" in skips[0].reason
    empty = tmp_path / "empty.arc"
    empty.write_bytes(b"")
    assert collect(empty) == ([], [Skipped(str(empty), "file is empty")])
    missing = list(iter_warc(str(tmp_path / "nope.warc")))
    assert len(missing) == 1 and "cannot read" in missing[0].reason  # type: ignore[union-attr]


def test_size_cap_encoding_and_bad_pages(tmp_path: Path) -> None:
    path = tmp_path / "mixed.warc.gz"
    big = page(1).replace("</article>", "<p>" + "filler words here " * 20000 + "</p></article>")
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=True)
        _response(w, "https://a.example/big", big.encode())
        _response(
            w, "https://a.example/script", b"<html><body><script>var x = 1;</script></body></html>"
        )
        latin = page(2, "Caf\u00e9 na\u00efve ferry").encode("cp1252")
        _response(w, "https://a.example/latin", latin, ctype="text/html; charset=windows-1252")
        bomb = gzip.compress(b"<html><body>" + b" " * 5_000_000 + b"</body></html>")
        _response(w, "https://a.example/bomb", bomb, extra=[("Content-Encoding", "gzip")])
        _response(w, "https://a.example/notype", page(3).encode(), ctype="")
    arts, skips = collect(path, Settings(max_input_bytes=200_000))
    assert [a.url for a in arts] == ["https://a.example/latin", "https://a.example/notype"]
    assert arts[0].title == "Caf\u00e9 na\u00efve ferry"
    reasons = {s.origin.rsplit("#", 1)[1]: s.reason for s in skips}
    assert set(reasons) == {"1", "2", "4"}
    assert "larger than the limit" in reasons["1"] and "larger than the limit" in reasons["4"]
    assert "no article text" in reasons["2"]


def test_arc_files_are_read(tmp_path: Path) -> None:
    body = page(7).encode()
    http = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    desc_body = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
    arc = (
        b"filedesc://test.arc 0.0.0.0 20240301120000 text/plain "
        + str(len(desc_body)).encode()
        + b"\n"
        + desc_body
        + b"\n"
        + b"http://www.ferries.example/7 192.0.2.1 20240301120000 text/html "
        + str(len(http)).encode()
        + b"\n"
        + http
        + b"\n"
    )
    for name, data in (("t.arc", arc), ("t.arc.gz", gzip.compress(arc))):
        path = tmp_path / name
        path.write_bytes(data)
        arts, skips = collect(path)
        assert skips == [], name
        assert [(a.url, a.site) for a in arts] == [
            ("http://www.ferries.example/7", "ferries.example")
        ]
        assert arts[0].published.startswith("2024-03-01")


def test_suffixes() -> None:
    for name in ("a.warc", "A.WARC.GZ", "x/y.arc", "b.arc.gz"):
        assert is_warc_path(name)
    for name in ("a.gz", "a.html", "warc.txt"):
        assert not is_warc_path(name)


def test_memory_stays_flat_on_a_large_crawl(tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "many.warc.gz"
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=True)
        filler = b"<!-- " + b"x" * 200_000 + b" -->"
        for i in range(60):
            _response(
                w, f"https://b.example/{i}", page(i).encode().replace(b"<body>", b"<body>" + filler)
            )
    tracemalloc.start()
    n = 0
    for item in iter_warc(str(path), Settings()):
        n += isinstance(item, SourceArticle)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 60
    assert peak < 30_000_000  # 12 MB of pages; only one page is held at a time
