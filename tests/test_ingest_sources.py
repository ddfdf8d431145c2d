"""Ingest sources: folders, globs, JSONL, CSV, Parquet, column mapping, hostile paths.
All texts are invented."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from retold.errors import InputError, RetoldError
from retold.inputs.run import ingest
from retold.inputs.sources import ColumnMapping, estimate_total, iter_sources
from retold.settings import Settings
from retold.store import SqliteStore
from retold.store.base import Skipped, SourceArticle


def text(i: int) -> str:
    return (
        f"The Orlen valley water board said on Friday that pipe repair {i} would finish "
        f"before the spring rains, and that residents should expect short interruptions."
    )


HTML = """<!doctype html><html><head><title>Valley pipes repaired</title></head><body>
<nav><a href="/">Home</a></nav><article><h1>Valley pipes repaired</h1>
<p>The Orlen valley water board said on Friday that repairs to the main pipe were finished
ahead of schedule, and that supply to the northern villages was back to normal.</p>
<p>Engineers had worked through the night, a spokesperson for the board told reporters.</p>
</article></body></html>"""


def items(specs, **kw) -> tuple[list[SourceArticle], list[Skipped]]:
    got = list(iter_sources([str(s) for s in specs], **kw))
    return (
        [g for g in got if not isinstance(g, Skipped)],
        [g for g in got if isinstance(g, Skipped)],
    )


def test_folder_with_articles_binary_and_empty_files(tmp_path: Path) -> None:
    root = tmp_path / "news"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.html").write_text(HTML, encoding="utf-8")
    (root / "sub" / "b.txt").write_text("Pipes fixed\n\n" + text(1) + "\n", encoding="utf-8")
    (root / "sub" / "deeper" / "c.md").write_text("# Rain due\n\n" + text(2), encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    (root / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / ".hidden.txt").write_text(text(3), encoding="utf-8")
    arts, skipped = items([root])
    assert sorted(a.title for a in arts) == ["Pipes fixed", "Rain due", "Valley pipes repaired"]
    html = next(a for a in arts if a.title == "Valley pipes repaired")
    assert "Engineers had worked through the night" in html.text and "Home" not in html.text
    reasons = {Path(s.origin).name: s.reason for s in skipped}
    assert reasons["empty.txt"] == "file is empty"
    assert "PNG image" in reasons["photo.txt"]
    assert reasons["logo.png"].startswith("unsupported file type (.png)")
    assert ".hidden.txt" not in reasons
    stats = ingest([root], tmp_path / "r.db")
    assert (stats.read, stats.new, stats.skipped) == (3, 3, 3)
    assert stats.skipped_reasons["file is empty"] == 1
    assert estimate_total([root]) == 6


def test_glob_patterns(tmp_path: Path) -> None:
    for i, name in enumerate(["x/one.txt", "x/y/two.txt", "x/y/three.md"]):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text(i), encoding="utf-8")
    arts, _ = items([tmp_path / "x" / "**" / "*.txt"])
    assert sorted(Path(a.origin).name for a in arts) == ["one.txt", "two.txt"]
    arts, skipped = items([tmp_path / "nothing*.txt"])
    assert arts == [] and skipped[0].reason == "no files match this pattern"


def test_dotdot_spec_is_reported_by_real_path(tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    (tmp_path / "story.txt").write_text(text(1), encoding="utf-8")
    spec = tmp_path / "inner" / ".." / "story.txt"
    arts, _ = items([spec])
    assert arts[0].origin == str(tmp_path / "story.txt")
    arts, skipped = items([tmp_path / "inner" / ".." / "missing.txt"])
    assert skipped == [Skipped(str(tmp_path / "missing.txt"), "no such file or directory")]
    arts, _ = items([tmp_path / "inner" / ".."])  # a folder given through ..
    assert [a.origin for a in arts] == [str(tmp_path / "story.txt")]


def test_symlinks_outside_the_folder_are_skipped(tmp_path: Path) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_text(text(9), encoding="utf-8")
    root = tmp_path / "feed"
    root.mkdir()
    (root / "ok.txt").write_text(text(1), encoding="utf-8")
    (root / "inside.txt").symlink_to(root / "ok.txt")
    (root / "leak.txt").symlink_to(secret)
    (root / "etc").symlink_to(tmp_path, target_is_directory=True)
    arts, skipped = items([root])
    assert sorted(Path(a.origin).name for a in arts) == ["inside.txt", "ok.txt"]
    reasons = {Path(s.origin).name: s.reason for s in skipped}
    assert reasons["leak.txt"] == f"symbolic link points outside {root} (to {secret})"
    assert reasons["etc"].startswith("symbolic link points outside")


def test_jsonl_bad_lines_are_skipped_with_line_numbers(tmp_path: Path) -> None:
    src = tmp_path / "d.jsonl"
    lines = [
        json.dumps({"text": text(1), "title": "One", "url": "https://ex.org/1", "site": "Ex"}),
        "{not json",
        "",
        json.dumps([1, 2]),
        json.dumps({"title": "no text"}),
        json.dumps({"text": "too short"}),
        json.dumps({"text": 42}),
        json.dumps({"text": text(2), "published": "2024-05-01"}),
    ]
    src.write_bytes(("\n".join(lines) + "\n").encode() + b'{"text": "\xff\xfe bad"}\n')
    arts, skipped = items([src])
    assert [a.title for a in arts] == ["One", ""]
    assert (arts[0].url, arts[0].site, arts[1].published) == (
        "https://ex.org/1",
        "Ex",
        "2024-05-01",
    )
    got = {s.origin: s.reason for s in skipped}
    assert set(got) == {f"{src}:{n}" for n in (2, 4, 5, 6, 7, 9)}
    assert got[f"{src}:2"].startswith("not valid JSON")
    assert got[f"{src}:4"] == "expected a JSON object, got list"
    assert got[f"{src}:5"] == "no text in column 'text'"
    assert got[f"{src}:6"].startswith("only 2 words")
    assert got[f"{src}:7"] == "column 'text' is int, not text"
    assert got[f"{src}:9"] == "line is not valid UTF-8"
    stats = ingest([src], tmp_path / "r.db")
    assert (stats.read, stats.new, stats.skipped) == (2, 2, 6)
    assert ingest([src], tmp_path / "r.db").duplicates == 2


def test_jsonl_overlong_line_and_binary_file(tmp_path: Path) -> None:
    settings = Settings(max_input_bytes=2000)
    src = tmp_path / "d.jsonl"
    long = json.dumps({"text": "word " * 2000})
    src.write_text(long + "\n" + json.dumps({"text": text(1)}) + "\n", encoding="utf-8")
    arts, skipped = items([src], settings=settings)
    assert len(arts) == 1 and skipped[0].origin == f"{src}:1"
    assert skipped[0].reason.startswith("line is longer than")
    gz = tmp_path / "d2.jsonl"
    gz.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 50)
    _, skipped = items([gz])
    assert skipped == [
        Skipped(str(gz), "looks like gzip-compressed data (decompress it first), not text")
    ]


def test_html_in_a_record_is_extracted(tmp_path: Path) -> None:
    src = tmp_path / "d.jsonl"
    script_only = "<html><body><script>var a = 1;</script></body></html>"
    src.write_text(
        json.dumps({"text": HTML}) + "\n" + json.dumps({"text": script_only}) + "\n",
        encoding="utf-8",
    )
    arts, skipped = items([src])
    assert arts[0].title == "Valley pipes repaired" and "<p>" not in arts[0].text
    assert skipped[0].origin == f"{src}:2" and "no article text" in skipped[0].reason


def test_csv_embedded_newlines_and_wrong_columns(tmp_path: Path) -> None:
    src = tmp_path / "d.csv"
    src.write_text(
        "headline,body,link\n"
        f'"Pipes, fixed","{text(1)}\n\nSecond paragraph, with a comma, says the board.",https://ex.org/1\n'
        f'"Too many","{text(2)}",https://ex.org/2,extra\n'
        f'"Too few"\n'
        f'"Quoted ""title""","{text(3)}",\n',
        encoding="utf-8",
    )
    mapping = ColumnMapping.parse("text=body,title=headline,url=link")
    arts, skipped = items([src], mapping=mapping)
    assert [a.title for a in arts] == ["Pipes, fixed", 'Quoted "title"']
    assert "\n\nSecond paragraph, with a comma" in arts[0].text
    assert arts[0].url == "https://ex.org/1" and arts[1].url == ""
    assert [(s.origin, s.reason) for s in skipped] == [
        (f"{src}:5", "row has 4 fields; the header has 3"),
        (f"{src}:6", "row has 1 fields; the header has 3"),
    ]
    with pytest.raises(InputError) as info:
        list(iter_sources([src]))  # default mapping: no "text" column
    msg = str(info.value)
    assert msg.startswith(f"{src}: no text column 'text' (columns: headline, body, link)")
    assert "--map text=COLUMN" in msg and "\n" not in msg


def test_csv_missing_column_still_commits_earlier_sources(tmp_path: Path) -> None:
    good = tmp_path / "a.jsonl"
    good.write_text(json.dumps({"text": text(1)}) + "\n", encoding="utf-8")
    bad = tmp_path / "b.csv"
    bad.write_text("headline\nx\n", encoding="utf-8")
    db = tmp_path / "r.db"
    with pytest.raises(InputError, match="no text column"):
        ingest([good, bad], db)
    with SqliteStore.open(db) as store:
        assert store.count() == 1


def test_parquet_streamed_with_mapping(tmp_path: Path) -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "d.parquet"
    n = 2500
    table = pa.table(
        {
            "body": [text(i) if i % 500 else None for i in range(n)],
            "headline": [f"Repair {i}" for i in range(n)],
            "when": [dt.datetime(2024, 1, 1, 12, 0) for _ in range(n)],
            "ignored": list(range(n)),
        }
    )
    pq.write_table(table, src, row_group_size=700)
    mapping = ColumnMapping.parse(["text=body", "title=headline,date=when"])
    arts, skipped = items([src], mapping=mapping)
    assert len(arts) == n - 5 and len(skipped) == 5
    assert skipped[0] == Skipped(f"{src}#1", "no text in column 'body'")
    assert arts[0].title == "Repair 1" and arts[0].published == "2024-01-01T12:00:00"
    with pytest.raises(InputError, match="no text column 'text'"):
        list(iter_sources([src]))
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 definitely not parquet")
    _, skipped = items([broken])
    assert skipped[0].reason.startswith("not a valid Parquet file")
    assert estimate_total([src]) == n


def test_mapping_parse_errors() -> None:
    assert ColumnMapping.parse(None) == ColumnMapping()
    assert ColumnMapping.parse("text=body").title == ("title",)
    with pytest.raises(RetoldError, match="unknown field 'colour'"):
        ColumnMapping.parse("colour=red")
    with pytest.raises(RetoldError, match="expected FIELD=COLUMN"):
        ColumnMapping.parse("text")


def test_memory_stays_flat_streaming_jsonl(tmp_path: Path) -> None:
    """The source iterator holds one record at a time: peak traced memory while reading
    20,000 rows is about the same as for 2,000."""
    import tracemalloc

    def peak(n: int) -> int:
        src = tmp_path / f"{n}.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(json.dumps({"text": text(i)}) + "\n")
        tracemalloc.start()
        count = sum(1 for _ in iter_sources([src]))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == n
        return top

    small, large = peak(2000), peak(20000)
    assert large < small * 1.5 + 200_000, (small, large)


def test_os_error_paths_are_skips(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read files without permission")
    f = tmp_path / "locked.txt"
    f.write_text(text(1), encoding="utf-8")
    f.chmod(0)
    _, skipped = items([f])
    assert skipped[0].reason == "permission denied"
