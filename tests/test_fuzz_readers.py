"""Property-based tests of every reader: files, bytes and text in memory, JSONL / CSV /
Parquet / WARC datasets, feeds and sitemaps. Whatever the input, a reader gives a result or
the project's one-line ``RetoldError`` (``InputError``); never another exception, a
traceback or a hang. Budgets are fixed and derandomised, so CI runs the same examples."""

from __future__ import annotations

import codecs
import gzip
import io
import itertools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retold.errors import RetoldError
from retold.inputs.decoding import decode_bytes, normalise_text
from retold.inputs.feeds import parse_feed, sniff_feed_kind
from retold.inputs.formats import clean_markdown, extract_html, split_plain_title
from retold.inputs.reading import read_article, read_bytes_input, read_text_input
from retold.inputs.sources import iter_sources
from retold.settings import Settings
from retold.store.base import Skipped
from retold.types import Article

T = TypeVar("T")
# RETOLD_FUZZ_SCALE=20 (and RETOLD_FUZZ_RANDOM=1 for new examples) for a deeper local hunt
SCALE = float(os.environ.get("RETOLD_FUZZ_SCALE", "1"))
FAST = settings(
    max_examples=int(500 * SCALE),
    deadline=None,
    derandomize=not os.environ.get("RETOLD_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW = settings(FAST, max_examples=int(150 * SCALE))  # trafilatura, pyarrow, warcio: ~10 ms
ST = Settings(min_words=3)

WORDS = (
    "the minister said on Tuesday that the new railway will open in 2026 and cost "
    "€1.2 billion according to officials who asked not to be named because they were "
    "not authorised to speak"
).split()
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252")
ENCODINGS += ("latin-1", "iso8859-7", "koi8-r", "shift_jis", "gb18030", "mac_roman")


def one_line_error(call: Callable[[], T]) -> T | None:
    """``call()``; a RetoldError is allowed when its message is one non-empty line."""
    try:
        return call()
    except RetoldError as exc:
        msg = str(exc)
        assert msg.strip() and "\n" not in msg and "\r" not in msg, repr(msg)
        return None


# --------------------------------------------------------------------------- strategies

any_char = st.characters(codec=None, exclude_categories=())  # surrogates and controls too
noise = st.text(alphabet=any_char, max_size=40)
word = st.one_of(st.sampled_from(WORDS), noise, st.sampled_from(list(".,;:!?\"'“”‘’«»—\n\t ")))


@st.composite
def prose(draw: st.DrawFn, max_words: int = 120) -> str:
    """Mostly English words with noise, punctuation, quotes and line breaks between."""
    parts = draw(st.lists(word, max_size=max_words))
    return " ".join(parts)


@st.composite
def encoded(draw: st.DrawFn) -> bytes:
    """Random text in a random encoding, maybe with a BOM, cut short or with NULs."""
    text = draw(prose())
    enc = draw(st.sampled_from(ENCODINGS))
    data = text.encode(enc, "replace")
    if draw(st.booleans()):
        bom = draw(st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE]))
        data = bom + data
    if data and draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # truncated (odd UTF-16 lengths too)
    if data and draw(st.booleans()):
        k = draw(st.integers(0, len(data)))
        data = data[:k] + b"\x00" * draw(st.integers(1, 4)) + data[k:]
    return data


HTML_BITS = [
    "<html>",
    "<!doctype html>",
    "<head><title>Deal signed</title>",
    "<script>alert('x')</script>",
    "<script>",
    "<style>p{color:red}</style>",
    "<body>",
    "<article>",
    "<p>",
    "</p>",
    "<div class=x>",
    "</div>",
    "<br>",
    "<h1>Railway</h1>",
    "<table><tr><td>a</td><td>b</td></tr></table>",
    "<ul><li>one</li><li>two",
    "<!--",
    "-->",
    "<![CDATA[",
    "&amp;",
    "&shy;",
    "&#0;",
    "&#xD800;",
    "<a href='javascript:x'>",
    "<",
    ">",
    "</html>",
    "<meta charset=koi8-r>",
]


@st.composite
def html_page(draw: st.DrawFn) -> str:
    bits = draw(st.lists(st.one_of(st.sampled_from(HTML_BITS), prose(20)), max_size=40))
    return "".join(bits)


# --------------------------------------------------------------------------- files and bytes


@FAST
@given(st.binary(max_size=4096))
def test_random_bytes_are_read_or_refused(data: bytes) -> None:
    art = one_line_error(lambda: read_bytes_input(data, "x.txt", ST))
    assert art is None or isinstance(art, Article) and art.text.strip()
    one_line_error(lambda: decode_bytes(data, "x"))


@FAST
@given(encoded())
def test_any_encoding_is_read_or_refused(data: bytes) -> None:
    art = one_line_error(lambda: read_bytes_input(data, "x.txt", ST))
    if art is not None:
        assert "\x00" not in art.text and art.text == normalise_text(art.text)


@SLOW
@given(st.binary(max_size=2048), st.sampled_from([".txt", ".md", ".html", ".htm", ""]))
def test_files_on_disk_are_read_or_refused(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, suffix: str
) -> None:
    path = tmp_path_factory.mktemp("f") / f"article{suffix}"
    path.write_bytes(data)
    one_line_error(lambda: read_article(path, ST))


@FAST
@given(prose(300), st.integers(1, 5))
def test_huge_lines_and_small_limits(text: str, times: int) -> None:
    line = " ".join([text.replace("\n", " ")] * times)
    small = Settings(max_input_bytes=max(1, len(line) // 2), min_words=3)
    one_line_error(lambda: read_text_input(line, "x.txt", small))
    one_line_error(lambda: read_bytes_input(line.encode("utf-8", "surrogatepass"), "x", small))


@FAST
@given(st.text(alphabet=any_char, max_size=2000))
def test_text_helpers_never_fail(text: str) -> None:
    clean = normalise_text(text)
    assert normalise_text(clean) == clean  # idempotent
    title, body = split_plain_title(clean)
    assert isinstance(title, str) and isinstance(body, str)
    title, body = clean_markdown(clean)
    assert isinstance(title, str) and isinstance(body, str)
    one_line_error(lambda: read_text_input(text, "x.md", ST))


@SLOW
@given(html_page())
def test_html_fragments_are_extracted_or_refused(page: str) -> None:
    got = one_line_error(lambda: extract_html(page, "page.html"))
    if got is not None:
        title, body = got
        assert body.strip() and "<script" not in body.lower()
    one_line_error(lambda: read_text_input(page, "page.html", ST))


# --------------------------------------------------------------------------- datasets

_names = (f"d{i}" for i in itertools.count())
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(alphabet=any_char),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
record = st.fixed_dictionaries(
    {},
    optional={
        "text": st.one_of(json_value, prose()),
        "title": json_value,
        "url": json_value,
        "date": json_value,
        "site": json_value,
        "author": json_value,
    },
)


def items(spec: str | Path, settings_: Settings = ST) -> list[Any]:
    """Everything ``iter_sources`` yields for ``spec`` (an InputError allowed, one line)."""
    out = one_line_error(lambda: list(iter_sources([str(spec)], settings_)))
    for item in out or []:
        assert isinstance(item, Article | Skipped), type(item)
        if isinstance(item, Skipped):
            assert item.reason and "\n" not in item.reason
    return out or []


def _mangle(draw: st.DrawFn, data: bytes) -> bytes:
    # where to cut or flip is drawn as a share of the length, not an index: a WARC's size
    # varies run to run (record ids, dates) and draws must not depend on it
    how = draw(st.sampled_from(["keep", "truncate", "flip", "gzip", "garbage-gzip"]))
    at = int(draw(st.floats(0, 1, exclude_max=True)) * len(data))
    if how == "truncate" and data:
        return data[:at]
    if how == "flip" and data:
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if how == "gzip":
        return gzip.compress(data)
    if how == "garbage-gzip":
        return b"\x1f\x8b" + data
    return data


@SLOW
@given(st.data())
def test_jsonl_records_of_any_shape(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    rows = data.draw(st.lists(st.one_of(record, json_value), max_size=6))
    lines = [json.dumps(r, ensure_ascii=data.draw(st.booleans())) for r in rows]
    lines += data.draw(st.lists(st.text(alphabet=any_char, max_size=30), max_size=2))
    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    path = tmp_path_factory.mktemp("j") / f"{next(_names)}.jsonl"
    path.write_bytes(_mangle(data.draw, raw))
    items(path)


@SLOW
@given(st.data())
def test_csv_rows_of_any_shape(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    header = data.draw(st.sampled_from(["text,title", "title,url", "text", '"te""xt",x', ""]))
    rows = data.draw(st.lists(st.lists(st.one_of(prose(20), noise), max_size=3), max_size=5))
    body = "\n".join([header, *(",".join(f'"{c}"' for c in r) for r in rows)])
    raw = body.encode(data.draw(st.sampled_from(["utf-8", "utf-16", "cp1252"])), "replace")
    path = tmp_path_factory.mktemp("c") / f"{next(_names)}.csv"
    path.write_bytes(_mangle(data.draw, raw))
    items(path)


@SLOW
@given(st.data())
def test_parquet_with_wrong_types_or_damage(
    tmp_path_factory: pytest.TempPathFactory, data: Any
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = data.draw(st.integers(0, 4))
    column = data.draw(
        st.sampled_from(
            [
                pa.array([data.draw(prose(30).map(_no_surrogates)) for _ in range(n)]),
                pa.array(list(range(n)), pa.int64()),
                pa.array([[1, 2]] * n, pa.list_(pa.int64())),
                pa.array([b"\xff\x00"] * n, pa.binary()),
                pa.array([None] * n, pa.string()),
            ]
        )
    )
    name = data.draw(st.sampled_from(["text", "body"]))
    buf = io.BytesIO()
    pq.write_table(pa.table({name: column, "title": pa.array(["t"] * n)}), buf)
    path = tmp_path_factory.mktemp("p") / f"{next(_names)}.parquet"
    path.write_bytes(_mangle(data.draw, buf.getvalue()))
    items(path)


def _no_surrogates(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")  # Arrow strings are valid UTF-8


def _warc(pages: list[tuple[str, bytes]]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for ctype, body in pages:
        http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        rec = writer.create_warc_record(
            "http://example.com/a", "response", payload=io.BytesIO(body), http_headers=http
        )
        writer.write_record(rec)
    return out.getvalue()


@SLOW
@given(st.data())
def test_warc_of_any_page_or_damage(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    pages = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(["text/html", "text/html; charset=bogus", "", "image/png"]),
                st.one_of(html_page().map(lambda p: p.encode("utf-8", "replace")), st.binary()),
            ),
            max_size=3,
        )
    )
    raw = _warc(pages) if data.draw(st.booleans()) else data.draw(st.binary(max_size=512))
    path = tmp_path_factory.mktemp("w") / f"{next(_names)}.warc.gz"
    path.write_bytes(_mangle(data.draw, raw))
    items(path)


@SLOW
@given(st.binary(max_size=1024), st.sampled_from([".jsonl", ".csv", ".parquet", ".warc", ".txt"]))
def test_random_bytes_as_any_dataset(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes, suffix: str
) -> None:
    folder = tmp_path_factory.mktemp("r")
    (folder / f"x{suffix}").write_bytes(raw)
    items(folder)  # through the folder walk too


# --------------------------------------------------------------------------- feeds

FEED_BITS = [
    "<?xml version='1.0'?>",
    "<rss>",
    "<channel>",
    "<item>",
    "<link>https://example.com/a</link>",
    "<link> javascript:alert(1) </link>",
    "<guid isPermaLink='true'>/rel</guid>",
    "</item>",
    "</channel></rss>",
    "<feed xmlns='http://www.w3.org/2005/Atom'>",
    "<entry><link href='x'/></entry>",
    "</feed>",
    "<urlset>",
    "<url><loc>http://[::1/</loc></url>",
    "<sitemapindex><sitemap><loc>https://e.com/s.xml</loc></sitemap>",
    "<!DOCTYPE x [<!ENTITY a 'b'>]>",
    "&a;",
    "<![CDATA[x]]>",
    "<",
    "\x00",
]


@FAST
@given(st.one_of(st.binary(max_size=1024), st.lists(st.sampled_from(FEED_BITS)).map("".join)))
def test_feeds_and_sitemaps_parse_or_refuse(raw: bytes | str) -> None:
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    sniff_feed_kind(data)
    feed = one_line_error(lambda: parse_feed(data, "https://example.com/feed", ST))
    if feed is not None:
        assert all(u.startswith(("http://", "https://")) for u in feed.urls)
    one_line_error(lambda: parse_feed(gzip.compress(data), "https://example.com/f.xml.gz", ST))


# --------------------------------------------------------------------------- found by fuzzing


def test_empty_bytes_decode_to_empty_text() -> None:
    assert decode_bytes(b"", "x") == ""  # was ZeroDivisionError
    with pytest.raises(RetoldError, match="^x.txt: input is empty$"):
        read_bytes_input(b"", "x.txt")


def _parquet(column: str, value: str) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({column: pa.array([value])}), buf, compression="none")
    return buf.getvalue()


def test_parquet_with_invalid_utf8_is_skipped_not_a_crash(tmp_path: Path) -> None:
    # "é" (C3 A9) made invalid UTF-8 (C3 28) in place: in a column name pyarrow fails in
    # ParquetFile(), in a value in to_pylist(); both were an uncaught UnicodeDecodeError
    for column, value in (("texté", "plain words here"), ("text", "valeur é ici")):
        path = tmp_path / f"{len(column)}.parquet"
        path.write_bytes(_parquet(column, value).replace(b"\xc3\xa9", b"\xc3\x28"))
        got = items(path)
        assert got and all(isinstance(i, Skipped) and "Parquet" in i.reason for i in got)


def test_parquet_damage_reason_is_one_line(tmp_path: Path) -> None:
    # a gzip magic before the data: pyarrow's thrift error spans three lines
    path = tmp_path / "g.parquet"
    path.write_bytes(b"\x1f\x8b" + _parquet("text", ""))
    got = items(path)  # items() asserts every reason is one line
    assert got and isinstance(got[-1], Skipped)


def test_csv_header_with_a_line_break_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(b'"te""xt#,x\n"","00","00"')  # a quoted header field with a newline
    with pytest.raises(RetoldError) as exc:
        list(iter_sources([str(path)], ST))
    assert "\n" not in str(exc.value) and "no text column" in str(exc.value)


def test_language_refusal_names_an_odd_origin_on_one_line() -> None:
    with pytest.raises(RetoldError) as exc:
        read_text_input("Это статья на русском языке о железной дороге.", "a\nb.txt")
    assert str(exc.value).startswith("a?b.txt: text looks like") and "\n" not in str(exc.value)
