"""`retold run --engine ray` on a local Ray (2 CPUs, 127.0.0.1): the same families, sources
and audit verdicts as the local driver for two partitionings of the input, and a complete,
duplicate-free output when a signing worker dies mid-run."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from retold.pipeline import ray_driver, ray_ops
from retold.pipeline.api import run_pipeline
from retold.pipeline.output import read_table
from retold.settings import Settings
from tests.test_run import NOW, families_of, verdicts_of, write_corpus, write_parquet

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'retold[ray]'")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    # a short path: Ray's socket paths live under it
    where = tempfile.mkdtemp(prefix="rtray-")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        _temp_dir=where,
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
    )
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("raycorpus")
    rows = write_corpus(where / "one", 36, seed=11)
    write_corpus(where / "three", 36, seed=11, files=3)
    write_parquet(rows, where / "parquet" / "day.parquet", row_group_size=7)
    return where


@pytest.fixture(scope="module")
def local_out(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    out = tmp_path_factory.mktemp("rayruns") / "local"
    run_pipeline([corpus / "one"], out, engine="local", now=NOW)
    return out


@pytest.mark.parametrize(
    ("inputs", "overrides"),
    [
        # one Parquet file read by 3 tasks (row groups of 7, tasks of ~14 records), 3 blocks
        (
            "parquet",
            {
                "run_read_rows": 14,
                "run_partitions": 3,
                "run_sign_batch": 8,
                "run_shuffle_partitions": 2,
            },
        ),
        ("three", {"run_partitions": 0, "run_sign_batch": 5, "run_shuffle_partitions": 1}),
    ],
    ids=["parquet-row-groups-3-blocks", "three-jsonl-files"],
)
def test_ray_run_matches_the_local_run(
    local_ray: None,
    corpus: Path,
    local_out: Path,
    tmp_path: Path,
    inputs: str,
    overrides: dict[str, Any],
) -> None:
    out = tmp_path / "ray"
    st = Settings().with_overrides(**overrides)
    result = run_pipeline([corpus / inputs], out, engine="ray", settings=st, now=NOW)
    assert result.engine == "ray"
    assert len(families_of(local_out)) >= 3
    assert families_of(out) == families_of(local_out)
    assert verdicts_of(out) == verdicts_of(local_out)
    ray_ids = sorted(r["id"] for r in read_table(out, "articles"))
    assert ray_ids == sorted(r["id"] for r in read_table(local_out, "articles"))
    assert sorted((s["site"], s["articles"]) for s in read_table(out, "sites")) == sorted(
        (s["site"], s["articles"]) for s in read_table(local_out, "sites")
    )


class CrashOnce(ray_ops.Signer):
    """A signing actor that dies (no exception: the process exits) on the first batch any
    actor of the run takes; the marker file makes it once per run."""

    def __init__(self, settings: Settings, marker: str) -> None:
        super().__init__(settings)
        self.marker = marker

    def __call__(self, batch: Any) -> Any:
        if not os.path.exists(self.marker):
            Path(self.marker).write_text("crashed")
            os._exit(1)
        return super().__call__(batch)


def test_a_killed_worker_is_retried_and_nothing_is_lost_or_doubled(
    local_ray: None,
    corpus: Path,
    local_out: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    marker = tmp_path / "crashed"
    monkeypatch.setattr(
        ray_driver,
        "signer_pool",
        lambda st: (CrashOnce, {"settings": st, "marker": str(marker)}),
    )
    st = Settings().with_overrides(run_audit=False, run_partitions=4, run_sign_batch=6)
    out = tmp_path / "ray"
    result = run_pipeline([corpus / "three"], out, engine="ray", settings=st, now=NOW)
    assert marker.read_text() == "crashed"  # the worker did die
    ids = [r["id"] for r in read_table(out, "articles")]
    expected = sorted(r["id"] for r in read_table(local_out, "articles"))
    assert len(ids) == len(set(ids))  # no article twice
    assert sorted(ids) == expected  # and none missing
    assert result.counts["articles"] == len(expected)
    want = [(m, src) for m, src, _ in families_of(local_out)]
    assert [(m, src) for m, src, _ in families_of(out)] == want


def test_ray_run_of_unreadable_records_and_lone_stories(
    local_ray: None, corpus: Path, tmp_path: Path
) -> None:
    """Skipped records and a corpus without any family: the same (empty) families as the
    local run, every readable article written once, the unreadable ones listed."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "too short"}\n{"body": "no text column"}\n')
    alone = tmp_path / "alone.jsonl"
    first = (corpus / "one" / "part0.jsonl").read_text().splitlines()[:1]
    alone.write_text("\n".join(first) + "\n")
    outs = {}
    for engine in ("local", "ray"):
        outs[engine] = tmp_path / engine
        result = run_pipeline([bad, alone], outs[engine], engine=engine, now=NOW)
        assert (result.counts["skipped"], result.counts["articles"]) == (2, 1)
        assert result.counts["families"] == 0
    for table in ("articles", "skipped", "families", "audits"):
        rows = [read_table(outs[e], table) for e in ("local", "ray")]
        key = "origin"
        assert sorted(r[key] for r in rows[0]) == sorted(r[key] for r in rows[1])
    assert len(read_table(outs["ray"], "skipped")) == 2
