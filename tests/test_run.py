"""`retold run` on this machine: the batch pipeline gives the families of `retold.families`,
does not depend on how the input is split, re-runs idempotently, loads into a store, and
fails in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from retold.errors import RetoldError
from retold.family.group import families
from retold.pipeline.api import run_pipeline
from retold.pipeline.output import read_table
from retold.pipeline.records import article_id
from retold.settings import Settings
from retold.store.base import SourceArticle, content_hash
from retold.training.synth_families import generate
from tests.conftest import run_cli

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def write_corpus(path: Path, n: int, seed: int = 3, files: int = 1) -> list[dict]:
    """The synthetic families corpus as JSONL, dealt round-robin into ``files`` files."""
    rows = [
        {"text": a.text, "title": a.title, "url": a.url, "site": a.site, "date": a.published}
        for a, _, _ in generate(n, seed)
    ]
    path.mkdir(parents=True, exist_ok=True)
    for k in range(files):
        with (path / f"part{k}.jsonl").open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows[k::files])
    return rows


def write_parquet(rows: list[dict], path: Path, row_group_size: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=row_group_size)


def families_of(out: Path) -> list[tuple]:
    """Each family as (sorted (article, confidence) pairs, source, source status)."""
    by: dict[int, list[dict]] = {}
    for r in read_table(out, "families"):
        by.setdefault(r["family"], []).append(r)
    return sorted(
        (
            tuple(sorted((m["article"], m["confidence"]) for m in ms)),
            ms[0]["source"],
            ms[0]["source_status"],
        )
        for ms in by.values()
    )


def verdicts_of(out: Path) -> list[tuple]:
    return sorted(
        (r["article"], r["source"], r["verdicts"], r["only_here"], r["fidelity"])
        for r in read_table(out, "audits")
    )


@pytest.fixture(scope="module")
def corpus_rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    where = tmp_path_factory.mktemp("corpus")
    return where, write_corpus(where / "one", 40)


@pytest.fixture(scope="module")
def local_out(
    tmp_path_factory: pytest.TempPathFactory, corpus_rows: tuple[Path, list[dict]]
) -> Path:
    where, _ = corpus_rows
    out = tmp_path_factory.mktemp("runs") / "local"
    run_pipeline([where / "one"], out, engine="local", now=NOW)
    return out


def test_local_run_gives_the_families_and_sources_of_retold_families(
    corpus_rows: tuple[Path, list[dict]], local_out: Path
) -> None:
    _, rows = corpus_rows
    arts = [
        SourceArticle(r["text"], r["title"], "x", "en", r["url"], r["site"], r["date"])
        for r in rows
    ]
    ids = [article_id(content_hash(a.text)) for a in arts]
    expected = families(arts, now=NOW)
    want = sorted(
        (sorted(ids[m.id] for m in f.members), ids[f.source] if f.source is not None else -1)
        for f in expected.families
    )
    got = sorted((sorted(a for a, _ in ms), src) for ms, src, _ in families_of(local_out))
    assert len(want) >= 4
    assert got == want
    manifest = json.loads((local_out / "run.json").read_text())
    assert manifest["engine"] == "local"
    assert manifest["counts"]["articles"] == len(rows)
    audits = read_table(local_out, "audits")
    members = read_table(local_out, "families")
    # every member but the source of a family with a source is audited, once
    retellings = {(m["family"], m["article"]) for m in members if m["source"] >= 0} - {
        (m["family"], m["article"]) for m in members if m["is_source"]
    }
    assert {(a["family"], a["article"]) for a in audits} == retellings
    assert all(json.loads(a["verdicts"]) for a in audits)
    sites = read_table(local_out, "sites")
    assert sum(s["articles"] for s in sites) == len(rows)


def test_a_different_split_of_the_input_gives_the_same_tables(
    corpus_rows: tuple[Path, list[dict]], local_out: Path, tmp_path: Path
) -> None:
    where, rows = corpus_rows
    write_corpus(where / "three", 40, files=3)
    st = Settings().with_overrides(run_sign_batch=7)
    out = tmp_path / "split"
    run_pipeline([where / "three"], out, engine="local", settings=st, now=NOW)
    assert families_of(out) == families_of(local_out)
    assert verdicts_of(out) == verdicts_of(local_out)
    ids = sorted(r["id"] for r in read_table(out, "articles"))
    assert ids == sorted(r["id"] for r in read_table(local_out, "articles"))


def test_rerun_is_idempotent_and_copies_are_folded(tmp_path: Path) -> None:
    rows = write_corpus(tmp_path / "in", 12, seed=5)
    with (tmp_path / "in" / "part0.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(rows[0] | {"url": "https://mirror.example/copy"}) + "\n")
    out = tmp_path / "out"
    st = Settings().with_overrides(run_audit=False)
    first = run_pipeline([tmp_path / "in"], out, settings=st, now=NOW)
    before = sorted((r["id"], r["copies"], r["family"]) for r in read_table(out, "articles"))
    second = run_pipeline([tmp_path / "in"], out, settings=st, now=NOW)
    after = sorted((r["id"], r["copies"], r["family"]) for r in read_table(out, "articles"))
    assert before == after
    assert first.counts == second.counts
    assert first.counts["read"] == 13 and first.counts["articles"] == 12
    assert [c for _, c, _ in after].count(2) == 1
    assert len({i for i, _, _ in after}) == len(after)
    # no staging folder is left behind
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_cli_run_loads_the_store(
    corpus_rows: tuple[Path, list[dict]], tmp_path: Path, local_out: Path
) -> None:
    where, rows = corpus_rows
    db = tmp_path / "run.db"
    res = run_cli(
        "run", str(where / "one"), "--out", str(tmp_path / "o"), "--db", str(db), "--json"
    )
    assert res.returncode == 0, res.stderr.decode()
    summary = json.loads(res.stdout)
    assert summary["loaded"]["articles_added"] == len(rows)
    assert summary["loaded"]["families_added"] == len(families_of(local_out))
    from retold.family.upkeep import load_from_store
    from retold.store import open_store

    with open_store(str(db)) as store:
        stored = load_from_store(store)
        assert len(stored.families) == len(families_of(local_out))
        judge = Settings().judge  # the run audits with the default judge
        assert sum(len(store.family_audits(f.id, judge)) for f in stored.families) == len(
            read_table(local_out, "audits")
        )
    # loading the same run again adds nothing
    again = run_cli(
        "run", str(where / "one"), "--out", str(tmp_path / "o"), "--db", str(db), "--json"
    )
    assert again.returncode == 0, again.stderr.decode()
    assert json.loads(again.stdout)["loaded"] == {
        "articles_added": 0,
        "families_added": 0,
        "audits_added": 0,
    }


def test_errors_are_one_line(tmp_path: Path, corpus_rows: tuple[Path, list[dict]]) -> None:
    where, _ = corpus_rows
    with pytest.raises(RetoldError, match="unknown engine"):
        run_pipeline([where / "one"], tmp_path / "o", engine="spark")
    with pytest.raises(RetoldError, match="no such file"):
        run_pipeline([tmp_path / "missing.jsonl"], tmp_path / "o")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    res = run_cli("run", str(where / "one"), "--out", str(tmp_path / "busy"))
    assert res.returncode == 2
    err = res.stderr.decode().strip()
    assert "not the output of a retold run" in err and "\n" not in err
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_engine_ray_without_ray_is_one_line(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "from retold.cli import main\n"
        f"sys.argv = ['retold', 'run', {str(tmp_path)!r}, '--out', {str(tmp_path / 'o')!r},"
        " '--engine', 'ray']\n"
        "main()\n"
    )
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": "word " * 40}) + "\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.strip() == (
        "retold: error: --engine ray needs Ray: pip install 'retold[ray]' (or use --engine local)"
    )


def test_importing_retold_does_not_import_ray() -> None:
    code = "import sys, retold, retold.cli.app, retold.pipeline.api; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_run_settings_are_a_config_section(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[run]\nengine = 'ray'\nsign_batch = 64\nshuffle_partitions = 4\n")
    st = Settings.load(cfg)
    assert (st.run_engine, st.run_sign_batch, st.run_shuffle_partitions) == ("ray", 64, 4)
    assert "[run]" in st.to_toml()


def test_keyed_candidates_are_those_of_retold_families() -> None:
    """The shuffle form of the candidate step (key groups, ANN shards, per-article merge)
    proposes exactly what ``family.candidates.propose`` proposes, in the same order."""
    import numpy as np

    from retold.family.candidates import CandidateIndex, propose
    from retold.pipeline import keys, records
    from retold.pipeline.local import ann_candidates, group_by

    st = Settings().with_overrides(run_ann_shard_rows=15)  # three ANN shards
    rows = sorted((records.article_row(a) for a, _, _ in generate(45, 11)), key=records.order_key)
    signed = records.sign_rows(rows, st)
    sigs = {r["id"]: records.sig_from_bytes(r["sig"]) for r in signed}
    ok = [r["id"] for r in signed if not r["excluded"]]
    index = CandidateIndex(st, len(sigs[ok[0]].embedding))
    index.add(
        np.asarray(ok, dtype=np.uint64),
        np.stack([sigs[i].minhash for i in ok]),
        np.stack([sigs[i].embedding for i in ok]),
    )
    want: dict[int, list[int]] = {}
    for _, found in propose(ok, sigs, index, st):
        want.update(found)
    key_groups = group_by(keys.key_rows(signed, st), lambda r: (r["kind"], r["key"]))
    cands = [c for g in key_groups for c in keys.pairs_of_key(g, st)]
    cands += ann_candidates([r for r in signed if not r["excluded"]], st)
    got = {g[0]["a"]: keys.candidates(g, len(ok), st)[0] for g in group_by(cands, lambda r: r["a"])}
    assert sum(len(v) for v in want.values()) > 3 * len(ok)
    assert {i: got.get(i, []) for i in ok} == {i: want.get(i, []) for i in ok}


def test_an_unreachable_ray_cluster_is_one_line(
    tmp_path: Path, corpus_rows: tuple[Path, list[dict]]
) -> None:
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'retold[ray]'")
    where, _ = corpus_rows
    out = tmp_path / "o"
    res = run_cli(
        "run", str(where / "one"), "--out", str(out), "--engine", "ray", "--address", "auto"
    )
    assert res.returncode == 2
    err = res.stderr.decode().strip()
    assert err.startswith("retold: error: cannot reach the Ray cluster at 'auto': ")
    assert "\n" not in err
    assert not out.exists() and not list(tmp_path.glob(".o.tmp-*"))  # nothing left behind


def test_a_parquet_file_is_read_in_row_group_tasks_with_file_wide_origins(tmp_path: Path) -> None:
    from retold.pipeline.records import read_tasks

    rows = write_corpus(tmp_path / "jsonl", 23, seed=4)
    day = tmp_path / "day.parquet"
    write_parquet(rows, day, row_group_size=5)
    split = Settings().with_overrides(run_read_rows=8, run_audit=False)
    tasks = read_tasks([str(day)], split)
    # row groups of 5 (5 5 5 5 3): tasks close at 8+ records
    assert [(t["first"], t["last"]) for t in tasks] == [(0, 1), (2, 3), (4, 4)]
    whole = Settings().with_overrides(run_audit=False)
    assert len(read_tasks([str(day)], whole)) == 1
    run_pipeline([day], tmp_path / "a", settings=split, now=NOW)
    run_pipeline([day], tmp_path / "b", settings=whole, now=NOW)
    origins = [
        sorted((r["id"], r["origin"]) for r in read_table(tmp_path / o, "articles")) for o in "ab"
    ]
    assert origins[0] == origins[1]
    assert {o for _, o in origins[0]} == {f"{day}#{n}" for n in range(1, 24)}
    assert families_of(tmp_path / "a") == families_of(tmp_path / "b")
