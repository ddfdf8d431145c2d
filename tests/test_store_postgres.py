"""The PostgreSQL article store against a real server: the same behaviour as the SQLite
store (idempotence, SQL safety, filters, audits, concurrent writers, SIGKILL and resume).

A session fixture (``pg_server``, conftest) starts a throw-away PostgreSQL server from the
Debian binaries (``/usr/lib/postgresql/*/bin``; package ``postgresql``) in a temporary
folder, listening only on 127.0.0.1 on a free port, with password authentication; as root
it runs the server as the ``postgres`` user. Every test gets its own database. When the binaries
are missing or the server cannot start, the tests are skipped with the reason."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

psycopg = pytest.importorskip(
    "psycopg", reason="psycopg is not installed (pip install 'psycopg[binary]')"
)

from retold.errors import RetoldError  # noqa: E402
from retold.store import ArticleStore, FamilyPage, FamilyStore  # noqa: E402
from retold.store.base import Skipped, SourceArticle, content_hash  # noqa: E402
from retold.store.postgres import SCHEMA_VERSION, PostgresStore, redact_url  # noqa: E402

SRC = str(Path(__file__).resolve().parents[1] / "src")


def body(i: int) -> str:
    return (
        f"The regional council said on day {i} that the new footbridge over the Varn river "
        f"would open to walkers after inspection number {i} was finished by engineers."
    )


def art(i: int, **kw) -> SourceArticle:
    return SourceArticle(text=body(i), title=f"Bridge update {i}", origin=f"t:{i}", **kw)


# --------------------------------------------------------------------------- the server


def _sql(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


# --------------------------------------------------------------------------- behaviour


def test_open_creates_schema_and_reopens(pg_url: str) -> None:
    with PostgresStore.open(pg_url) as store:
        assert isinstance(store, ArticleStore) and isinstance(store, FamilyStore)
        assert store.schema_version == SCHEMA_VERSION
        assert "***" in store.location and pg_url.split(":")[2].split("@")[0] not in store.location
    tables = {
        r[0] for r in _sql(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    }
    assert {"articles", "audits", "schema_version"} <= tables
    with PostgresStore.open(pg_url) as store:  # nothing applied twice
        assert store.schema_version == SCHEMA_VERSION
    assert _sql(pg_url, "SELECT COUNT(*) FROM schema_version") == [(SCHEMA_VERSION,)]


def test_newer_schema_and_bad_connection_are_one_line_errors(pg_url: str, pg_server) -> None:
    PostgresStore.open(pg_url).close()
    _sql(pg_url, "INSERT INTO schema_version VALUES (999, 'x')")
    with pytest.raises(RetoldError, match="newer than this retold supports"):
        PostgresStore.open(pg_url)
    wrong = pg_url.replace(pg_server.password, "wrong-password")
    with pytest.raises(RetoldError) as info:
        PostgresStore.open(wrong)
    msg = str(info.value)
    assert "cannot connect to PostgreSQL" in msg and "wrong-password" not in msg
    assert "\n" not in msg
    assert redact_url("postgresql://u:secret@h:1/d") == "postgresql://u:***@h:1/d"
    assert redact_url("postgresql://u@h/d") == "postgresql://u@h/d"


def test_open_store_dispatches_postgres_urls(pg_url: str) -> None:
    from retold.store import open_store

    try:
        store = open_store(pg_url)
    except RetoldError as exc:
        if "not supported yet" in str(exc):
            pytest.skip("retold.store.open_store does not dispatch to PostgresStore yet")
        raise
    with store:
        assert isinstance(store, PostgresStore)


def test_add_is_idempotent_by_hash_and_canonical_url(pg_url: str) -> None:
    with PostgresStore.open(pg_url) as store:
        items = [art(i) for i in range(7)] + [Skipped("x.txt", "file is empty")]
        stats = store.add_articles(items, batch_size=3)
        assert (stats.read, stats.new, stats.duplicates, stats.skipped) == (7, 7, 0, 1)
        assert stats.skipped_reasons == {"file is empty": 1}
        again = store.add_articles([art(i) for i in range(10)], batch_size=4)
        assert (again.new, again.duplicates) == (3, 7)
        rewrapped = SourceArticle(text=body(1).replace(" ", "\n  ", 3), origin="w")
        assert store.add_articles([rewrapped]).duplicates == 1
        u1 = art(100, url="https://News.example.org/story/1/?utm_source=feed#top")
        u2 = art(101, url="https://news.example.org:443/story/1")
        s = store.add_articles([u1, u2])
        assert (s.new, s.duplicates) == (1, 1)
        # duplicates inside one batch count too
        s = store.add_articles([art(200), art(200), art(201)])
        assert (s.new, s.duplicates) == (2, 1)
        assert store.count() == 13
        got = store.get(store.list(limit=1, query="inspection number 100")[0].id)
        assert got is not None and got.canonical_url == "https://news.example.org/story/1"
        assert got.url.startswith("https://News.example.org")
        assert store.get(123456) is None
        assert store.get(2**70) is None


def test_sql_metacharacters_and_unstorable_characters(pg_url: str) -> None:
    evil = 'Robert\'); DROP TABLE articles; -- "100%" _under_ \\ back $1 %s %(x)s'
    with PostgresStore.open(pg_url) as store:
        store.add_articles([SourceArticle(text=body(1), title=evil, site="x'; --", origin="t")])
        store.add_articles([art(2, site="plain")])
        rows = store.list(query="DROP TABLE articles;")
        assert [r.title for r in rows] == [evil]
        assert [r.title for r in store.list(site="x'; --")] == [evil]
        assert len(store.list(query="100%")) == 1
        assert len(store.list(query="%")) == 1
        assert len(store.list(query="_under_")) == 1
        assert len(store.list(query="\\ back")) == 1
        assert len(store.list(query="%s %(x)s")) == 1
        assert store.list(query="' OR 1=1 --") == []
        assert len(store.list(query="BRIDGE UPDATE")) == 1  # case-insensitive, like SQLite
        assert store.count() == 2
        # PostgreSQL text cannot hold NUL: it is dropped rather than failing the batch
        s = store.add_articles([art(3, site="nul\x00site", url="https://e.org/\x00x")])
        assert s.new == 1
        assert store.list(limit=1)[0].site == "nulsite"


def test_list_paging_site_filter_and_iteration(pg_url: str) -> None:
    with PostgresStore.open(pg_url) as store:
        store.add_articles([art(i, site="a" if i % 2 else "b") for i in range(10)])
        first = store.list(limit=4)
        second = store.list(limit=4, offset=4)
        assert len(first) == 4 and len(second) == 4
        assert not {a.id for a in first} & {a.id for a in second}
        assert first[0].id > first[-1].id
        assert {a.site for a in store.list(limit=100, site="a")} == {"a"}
        assert store.count(site="b") == 5
        assert store.count(site="b", query="day 4 ") == 1
        assert [a.id for a in store.iter_articles(chunk_size=3)] == sorted(
            a.id for a in store.list(limit=100)
        )
        a = store.list(limit=1)[0]
        assert a.to_dict(with_text=False)["words"] == len(a.text.split())
        assert a.ingested_at[:2] == "20"


def test_audits_saved_replaced_and_checked(pg_url: str) -> None:
    with PostgresStore.open(pg_url) as store:
        store.add_articles([art(1), art(2)])
        src, ret = sorted(a.id for a in store.list())
        first = store.save_audit(src, ret, "heuristic", {"schema_version": "1.2", "claims": []})
        second = store.save_audit(src, ret, "heuristic", {"schema_version": "1.3", "claims": [1]})
        assert first == second
        audit = store.get_audit(src, ret, "heuristic")
        assert audit is not None and audit.schema_version == "1.3"
        assert audit.data["claims"] == [1]
        assert store.save_audit(src, ret, "llm", {"x": 'caf\u00e9 \u2014 "q"'}) != first
        assert store.get_audit(src, ret, "llm").data == {"x": 'caf\u00e9 \u2014 "q"'}
        assert store.get_audit(src, ret, "nli") is None
        with pytest.raises(RetoldError, match="no stored article"):
            store.save_audit(src, 999, "heuristic", {})
        with pytest.raises(RetoldError, match="no stored article"):
            store.save_audit(2**70, ret, "heuristic", {})
        # a failed save leaves no transaction open: the next one works
        assert store.save_audit(src, ret, "heuristic", {"claims": [2]}) == first
        assert store.get_audit(src, ret, "heuristic").data["claims"] == [2]
        # the failed save left the connection usable
        assert store.count() == 2


def test_ingest_error_still_commits_what_was_read(pg_url: str) -> None:
    def items():
        yield art(1)
        yield art(2)
        raise RetoldError("source broke")

    with PostgresStore.open(pg_url) as store:
        with pytest.raises(RetoldError, match="source broke"):
            store.add_articles(items(), batch_size=100)
        assert store.count() == 2


def test_waiting_writer_gives_one_line_lock_error(pg_url: str) -> None:
    PostgresStore.open(pg_url).close()
    blocker = psycopg.connect(pg_url)
    try:
        blocker.execute("LOCK TABLE articles IN EXCLUSIVE MODE")
        with PostgresStore.open(pg_url, busy_timeout_s=0.3) as store:
            with pytest.raises(RetoldError) as info:
                store.add_articles([art(1)])
            msg = str(info.value)
            assert msg.startswith("database is locked by another writer (")
            assert "\n" not in msg
    finally:
        blocker.rollback()
        blocker.close()
    with PostgresStore.open(pg_url) as store:
        assert store.add_articles([art(1)]).new == 1


# --------------------------------------------------------------------------- processes

_WORKER = """
import sys, time
from retold.inputs.sources import iter_sources
from retold.store.postgres import PostgresStore

url, path, batch, delay = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
def slow():
    for item in iter_sources([path]):
        if delay:
            time.sleep(delay)
        yield item
with PostgresStore.open(url) as store:
    s = store.add_articles(slow(), batch_size=batch)
print(s.read, s.new, s.duplicates, s.skipped)
"""


def _write_rows(path: Path, ids: list[int]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in ids:
            fh.write(json.dumps({"text": body(i), "title": f"Row {i}"}) + "\n")


def _worker(url: str, src: Path, batch: int, delay: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, url, str(src), str(batch), str(delay)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def _count(url: str) -> int:
    try:
        return _sql(url, "SELECT COUNT(*) FROM articles")[0][0]
    except psycopg.errors.UndefinedTable:
        return 0


def test_sigkill_mid_ingest_loses_and_duplicates_nothing(pg_url: str, tmp_path: Path) -> None:
    ids = list(range(4000)) + list(range(0, 4000, 10))  # 400 repeated rows
    distinct = 4000
    src = tmp_path / "rows.jsonl"
    _write_rows(src, ids)
    proc = _worker(pg_url, src, 200, 0.0005)
    deadline = time.monotonic() + 60
    while _count(pg_url) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.15)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it was killed"
    time.sleep(0.2)  # let the server notice the dropped connection and roll back
    before = dict(_sql(pg_url, "SELECT content_hash, id FROM articles"))
    assert 0 < len(before) < distinct
    assert len(before) % 200 == 0  # only whole batches were committed
    again = _worker(pg_url, src, 200, 0)
    out, errs = again.communicate(timeout=120)
    assert again.returncode == 0, errs
    read, new, dups, skipped = map(int, out.split())
    assert (read, skipped) == (len(ids), 0)
    assert new == distinct - len(before) and dups == len(ids) - new
    with PostgresStore.open(pg_url) as store:
        assert store.integrity_check() == "ok"
        assert store.count() == distinct
    after = dict(_sql(pg_url, "SELECT content_hash, id FROM articles"))
    assert all(after.get(h) == i for h, i in before.items())
    assert set(after) == {content_hash(body(i)) for i in range(distinct)}


def test_two_concurrent_writers(pg_url: str, tmp_path: Path) -> None:
    PostgresStore.open(pg_url).close()  # (also covered: both may migrate at once, below)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _write_rows(a, list(range(0, 3000)))
    _write_rows(b, list(range(3000, 0, -1)))  # reverse order: overlapping keys, crossing
    procs = [_worker(pg_url, a, 50, 0.0002), _worker(pg_url, b, 50, 0.0002)]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (_out, errs) in zip(procs, results, strict=True):
        assert p.returncode == 0, errs
    news = [int(out.split()[1]) for out, _ in results]
    dups = [int(out.split()[2]) for out, _ in results]
    assert sum(news) == 3001 and sum(dups) == 6000 - 3001
    assert all(n > 0 for n in news)  # both really wrote
    with PostgresStore.open(pg_url) as store:
        assert store.integrity_check() == "ok"
        assert store.count() == 3001


def test_two_processes_migrate_a_fresh_database_once(pg_url: str, tmp_path: Path) -> None:
    src = tmp_path / "one.jsonl"
    _write_rows(src, [1, 2, 3])
    procs = [_worker(pg_url, src, 10, 0) for _ in range(3)]
    results = [p.communicate(timeout=60) for p in procs]
    for p, (_out, errs) in zip(procs, results, strict=True):
        assert p.returncode == 0, errs
    assert sum(int(out.split()[1]) for out, _ in results) == 3
    versions = _sql(pg_url, "SELECT version FROM schema_version ORDER BY version")
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]  # each applied once


def test_cli_ingest_list_show_export_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.txt").write_text(f"Bridge update {i}\n\n{body(i)} {body(i + 10)}")
    (folder / "rows.jsonl").write_text(
        json.dumps({"text": body(7) + " " + body(8), "author": "R. Writer", "site": "Ex"}) + "\n"
    )
    proc = run_cli("ingest", str(folder), "--db", pg_url, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["new"] == 4
    again = json.loads(run_cli("ingest", str(folder), "--db", pg_url, "--json").stdout)
    assert (again["new"], again["duplicates"]) == (0, 4)
    listed = json.loads(run_cli("list", "--db", pg_url, "--format", "json").stdout)
    assert len(listed) == 4
    row = next(a for a in listed if a["site"] == "Ex")
    shown = json.loads(run_cli("show", str(row["id"]), "--db", pg_url, "--format", "json").stdout)
    assert shown["author"] == "R. Writer" and body(7) in shown["text"]
    out = tmp_path / "all.jsonl"
    assert run_cli("export", "-o", str(out), "--db", pg_url).returncode == 0
    assert len(out.read_text().splitlines()) == 4
    bad = run_cli("list", "--db", pg_url.replace("@127.0.0.1", "@127.0.0.1:1").rsplit(":", 1)[0])
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr


def test_family_tables_work_on_postgres(pg_url: str) -> None:
    """Story families use the same tables and queries as on SQLite."""
    from retold.demo.gold import corpus_dir
    from retold.family import load_from_store, update_store
    from retold.types import Article

    corpus = Path(str(corpus_dir()))
    names = ("source", "faithful", "numbers", "unrelated")
    arts = [Article((corpus / f"{n}.txt").read_text("utf-8"), origin=n) for n in names]
    with PostgresStore.open(pg_url) as store:
        store.add_articles(arts[:3])
        assert update_store(store)["new_articles"] == 3
        store.add_articles(arts[3:])
        assert update_store(store)["signed"] == 1
        # which document model made the vectors is recorded; --resign recomputes them all
        assert store.signature_doc_models() == {"minilm-int8 (128 word pieces)": 4}
        assert update_store(store, resign=True)["signed"] == 4
        assert store.signature_doc_models() == {"minilm-int8 (128 word pieces)": 4}
        # signatures stored before the machine-text score get it from their text alone
        store._tx(
            lambda: store._conn.execute(
                "UPDATE family_signatures SET machine_text = NULL, machine_text_model = NULL"
            )
        )
        stats = update_store(store)
        assert stats["signed"] == 0 and stats["machine_text_filled"] == 4
        assert stats["families_written"] == 1  # the family's source picked again
        assert all(s.packed["machine_text"] is not None for s in store.iter_signatures())
        (fam,) = load_from_store(store).families
        assert {m.path for m in fam.members} == {"source", "faithful", "numbers"}
        assert fam.source == next(m.id for m in fam.members if m.path == "source")
        # one family reads its members' metadata only, and the same as the full listing
        (one,) = load_from_store(store, fam.id).families
        assert [(m.id, m.path, m.title) for m in one.members] == [
            (m.id, m.path, m.title) for m in fam.members
        ]
        ids = [m.id for m in fam.members]
        assert set(store.article_meta(ids)) == set(ids)
        assert store.family_page(10, 0) == FamilyPage([fam.id], 1, 1, 0)  # "unrelated" alone
        store.set_family_source(fam.id, fam.members[-1].id)
        assert load_from_store(store).families[0].source_status == "set by user"
