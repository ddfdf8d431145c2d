"""The SQLite article store: schema, idempotence, SQL safety, audits, crash safety and
concurrent writers. All texts are invented."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from retold.cli.store import register
from retold.errors import RetoldError
from retold.inputs.run import ingest
from retold.store import ArticleStore, FamilyStore, open_store
from retold.store.base import Skipped, SourceArticle, canonical_url, content_hash
from retold.store.sqlite import SCHEMA_VERSION, SqliteStore, default_db_path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def body(i: int) -> str:
    return (
        f"The regional council said on day {i} that the new footbridge over the Varn river "
        f"would open to walkers after inspection number {i} was finished by engineers."
    )


def art(i: int, **kw) -> SourceArticle:
    return SourceArticle(text=body(i), title=f"Bridge update {i}", origin=f"t:{i}", **kw)


def test_open_creates_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "r.db"
    with SqliteStore.open(path) as store:
        assert isinstance(store, ArticleStore) and isinstance(store, FamilyStore)
        assert store.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"articles", "audits", "schema_version"} <= tables
    conn.close()
    with SqliteStore.open(path) as store:  # reopening applies nothing twice
        assert store.schema_version == SCHEMA_VERSION


def test_default_path_is_documented_location(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_db_path() == tmp_path / ".local" / "share" / "retold" / "retold.db"


def test_newer_schema_and_non_database_are_one_line_errors(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    SqliteStore.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (999, 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(RetoldError, match="newer than this retold supports"):
        SqliteStore.open(path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all " * 100)
    with pytest.raises(RetoldError, match="not a retold database"):
        SqliteStore.open(junk)
    with pytest.raises(RetoldError, match="cannot connect to PostgreSQL"):
        open_store("postgresql://u@127.0.0.1/x")


def test_add_is_idempotent_by_hash_and_canonical_url(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / "r.db") as store:
        items = [art(i) for i in range(7)] + [Skipped("x.txt", "file is empty")]
        stats = store.add_articles(items, batch_size=3)
        assert (stats.read, stats.new, stats.duplicates, stats.skipped) == (7, 7, 0, 1)
        assert stats.skipped_reasons == {"file is empty": 1}
        again = store.add_articles([art(i) for i in range(10)], batch_size=4)
        assert (again.new, again.duplicates) == (3, 7)
        # same text re-wrapped: same hash
        rewrapped = SourceArticle(text=body(1).replace(" ", "\n  ", 3), origin="w")
        assert store.add_articles([rewrapped]).duplicates == 1
        # different text, same canonical URL (tracking params, case, fragment differ)
        u1 = art(100, url="https://News.example.org/story/1/?utm_source=feed#top")
        u2 = art(101, url="https://news.example.org:443/story/1")
        s = store.add_articles([u1, u2])
        assert (s.new, s.duplicates) == (1, 1)
        assert store.count() == 11
        got = store.get(store.list(limit=1)[0].id)
        assert got is not None and got.canonical_url == "https://news.example.org/story/1"
        assert got.url.startswith("https://News.example.org")
        assert store.get(123456) is None


def test_hash_and_url_normalisation() -> None:
    assert content_hash("a  b\nc") == content_hash(" a b c ")
    assert content_hash("a b c") != content_hash("a b d")
    assert canonical_url("ftp://x.org/a") is None
    assert canonical_url("not a url") is None
    assert canonical_url("http://x.org:80/a/?b=1&utm_medium=2") == "http://x.org/a?b=1"


def test_sql_metacharacters_are_stored_and_listed_verbatim(tmp_path: Path) -> None:
    evil = 'Robert\'); DROP TABLE articles; -- "100%" _under_ \\ back'
    with SqliteStore.open(tmp_path / "r.db") as store:
        store.add_articles([SourceArticle(text=body(1), title=evil, site="x'; --", origin="t")])
        store.add_articles([art(2, site="plain")])
        rows = store.list(query="DROP TABLE articles;")
        assert [r.title for r in rows] == [evil]
        assert [r.title for r in store.list(site="x'; --")] == [evil]
        assert len(store.list(query="100%")) == 1  # % matches itself, not everything
        assert len(store.list(query="%")) == 1
        assert len(store.list(query="_under_")) == 1
        assert store.list(query="' OR 1=1 --") == []
        assert store.count() == 2
    runner = CliRunner()
    app = typer.Typer()
    register(app)
    res = runner.invoke(app, ["list", "--db", str(tmp_path / "r.db"), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert evil in [r["title"] for r in json.loads(res.output)]


def test_list_paging_and_site_filter(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / "r.db") as store:
        store.add_articles([art(i, site="a" if i % 2 else "b") for i in range(10)])
        first = store.list(limit=4)
        second = store.list(limit=4, offset=4)
        assert len(first) == 4 and len(second) == 4
        assert not {a.id for a in first} & {a.id for a in second}
        assert first[0].id > first[-1].id  # newest first
        assert {a.site for a in store.list(limit=100, site="a")} == {"a"}
        assert store.count(site="b") == 5
        assert [a.id for a in store.iter_articles(chunk_size=3)] == sorted(
            a.id for a in store.list(limit=100)
        )


def test_audits_saved_replaced_and_checked(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / "r.db") as store:
        store.add_articles([art(1), art(2)])
        src, ret = sorted(a.id for a in store.list())
        first = store.save_audit(src, ret, "heuristic", {"schema_version": "1.2", "claims": []})
        second = store.save_audit(src, ret, "heuristic", {"schema_version": "1.3", "claims": [1]})
        assert first == second
        audit = store.get_audit(src, ret, "heuristic")
        assert audit is not None and audit.schema_version == "1.3"
        assert audit.data["claims"] == [1]
        assert store.save_audit(src, ret, "llm", {"x": 1}) != first
        with pytest.raises(RetoldError, match="no stored article"):
            store.save_audit(src, 999, "heuristic", {})
        with pytest.raises(RetoldError, match="no stored article"):
            store.save_audit(2**70, ret, "heuristic", {})
        # a failed save leaves no transaction open: the next one works
        assert store.save_audit(src, ret, "heuristic", {"claims": [2]}) == first
        assert store.get_audit(src, ret, "heuristic").data["claims"] == [2]


def test_busy_writer_gives_one_line_lock_error(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    SqliteStore.open(path).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with SqliteStore.open(path, busy_timeout_s=0.3) as store:
            with pytest.raises(RetoldError) as info:
                store.add_articles([art(1)])
            msg = str(info.value)
            assert msg.startswith("database is locked by another writer (")
            assert "\n" not in msg
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with SqliteStore.open(path) as store:
        assert store.add_articles([art(1)]).new == 1


def test_export_formats_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with SqliteStore.open(db) as store:
        store.add_articles(
            [
                art(i, url=f"https://example.org/{i}", site="ex", published="2024-03-01")
                for i in range(25)
            ]
        )
    runner = CliRunner()
    app = typer.Typer()
    register(app)
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"all.{fmt}"
        res = runner.invoke(app, ["export", "--db", str(db), "--format", fmt, "-o", str(out)])
        assert res.exit_code == 0, res.output
        assert not list(tmp_path.glob(".all.*.tmp"))
        stats = ingest([out], db)
        assert (stats.read, stats.new, stats.duplicates, stats.skipped) == (25, 0, 25, 0), fmt
    rows = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    assert rows[0]["site"] == "ex" and rows[0]["published"] == "2024-03-01"
    other = tmp_path / "other.db"
    fresh = ingest([tmp_path / "all.parquet"], other)
    assert fresh.new == 25
    with SqliteStore.open(other) as store:
        a = store.list(limit=1, query="inspection number 24")[0]
        assert (a.title, a.site, a.url) == ("Bridge update 24", "ex", "https://example.org/24")
    res = runner.invoke(app, ["export", "--db", str(db), "-o", str(tmp_path / "no" / "x.csv")])
    assert isinstance(res.exception, RetoldError)


def test_cli_show_and_ingest_json(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    (tmp_path / "a.txt").write_text("Bridge opens\n\n" + body(5) + "\n", encoding="utf-8")
    runner = CliRunner()
    app = typer.Typer()
    register(app)
    res = runner.invoke(app, ["ingest", str(tmp_path / "a.txt"), "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert {k: data[k] for k in ("read", "new", "duplicates", "skipped")} == {
        "read": 1,
        "new": 1,
        "duplicates": 0,
        "skipped": 0,
    }
    assert data["skipped_reasons"] == {}
    res = runner.invoke(app, ["show", "1", "--db", db])
    assert res.exit_code == 0 and "# Bridge opens" in res.output and body(5) in res.output
    res = runner.invoke(app, ["show", "1", "--db", db, "--format", "json"])
    assert json.loads(res.output)["text"] == body(5)
    res = runner.invoke(app, ["show", "42", "--db", db])
    assert isinstance(res.exception, RetoldError)
    assert str(res.exception) == f"no article with id 42 in {db}"
    res = runner.invoke(app, ["ingest", str(tmp_path / "a.txt"), "--db", db])
    assert res.exit_code == 0
    assert "read 1, new 0, duplicates 1, skipped 0" in res.output


# --------------------------------------------------------------------------- processes

_WORKER = """
import sys, time
from retold.inputs.run import ingest
from retold.inputs.sources import iter_sources
from retold.store import SqliteStore

db, path, batch, delay = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
def slow():
    for item in iter_sources([path]):
        if delay:
            time.sleep(delay)
        yield item
with SqliteStore.open(db) as store:
    s = store.add_articles(slow(), batch_size=batch)
print(s.read, s.new, s.duplicates, s.skipped)
"""


def _write_rows(path: Path, ids: list[int]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in ids:
            fh.write(json.dumps({"text": body(i), "title": f"Row {i}"}) + "\n")


def _worker(db: Path, src: Path, batch: int, delay: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(db), str(src), str(batch), str(delay)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def _count(db: Path) -> int:
    try:
        conn = sqlite3.connect(db, timeout=5)
        try:
            return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:  # not created yet
        return 0


@pytest.mark.slow
def test_sigkill_mid_ingest_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    ids = list(range(5000)) + list(range(0, 5000, 10))  # 500 repeated rows
    distinct = 5000
    src = tmp_path / "rows.jsonl"
    _write_rows(src, ids)
    db = tmp_path / "r.db"
    proc = _worker(db, src, 200, 0.0005)
    deadline = time.monotonic() + 60
    while _count(db) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.15)  # a little further into the run: kill between or during commits
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it was killed"
    conn = sqlite3.connect(db)
    before = dict(conn.execute("SELECT content_hash, id FROM articles").fetchall())
    conn.close()
    assert 0 < len(before) < distinct
    assert len(before) % 200 == 0  # only whole batches were committed
    again = _worker(db, src, 200, 0)
    out, errs = again.communicate(timeout=120)
    assert again.returncode == 0, errs
    read, new, dups, skipped = map(int, out.split())
    assert (read, skipped) == (len(ids), 0)
    assert new == distinct - len(before) and dups == len(ids) - new
    with SqliteStore.open(db) as store:
        assert store.integrity_check() == "ok"
        assert store.count() == distinct
    conn = sqlite3.connect(db)
    after = dict(conn.execute("SELECT content_hash, id FROM articles").fetchall())
    conn.close()
    assert all(after.get(h) == i for h, i in before.items())  # committed rows kept their ids
    assert set(after) == {content_hash(body(i)) for i in range(distinct)}


@pytest.mark.slow
def test_two_concurrent_writers_on_one_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _write_rows(a, list(range(0, 3000)))
    _write_rows(b, list(range(2000, 5000)))  # 1,000 rows overlap
    db = tmp_path / "r.db"
    # a small per-row delay keeps both writers busy at the same time
    procs = [_worker(db, a, 50, 0.0003), _worker(db, b, 50, 0.0003)]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (_out, errs) in zip(procs, results, strict=True):
        assert "malformed" not in errs
        assert p.returncode == 0, errs  # 30 s busy timeout: both writers get their turn
    news = [int(out.split()[1]) for out, _ in results]
    dups = [int(out.split()[2]) for out, _ in results]
    assert sum(news) == 5000 and sum(dups) == 1000
    with SqliteStore.open(db) as store:
        assert store.integrity_check() == "ok"
        assert store.count() == 5000


def test_version_1_database_is_migrated_keeping_its_articles(tmp_path: Path) -> None:
    import sqlite3

    from retold.store.sqlite import MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
    conn.execute("INSERT INTO schema_version VALUES (1, '2026-01-01')")
    conn.execute(
        "INSERT INTO articles (content_hash, title, text, ingested_at) VALUES ('h', 'Old', ?, 'x')",
        (body(1),),
    )
    conn.commit()
    conn.close()
    with SqliteStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        (old,) = store.list()
        assert (old.title, old.author) == ("Old", "")
        store.add_articles([art(2, author="A. Byline")])
        assert {a.author for a in store.list()} == {"", "A. Byline"}


def test_ids_beyond_64_bits_are_not_found(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / "ids.db") as store:
        store.add_articles([art(1)])
        assert store.get(2**70) is None and store.get(-(2**70)) is None
        assert store.get(store.list()[0].id) is not None
