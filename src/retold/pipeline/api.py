"""``run_pipeline``: read, sign, group, pick sources, audit and write tables, on this machine
(``engine="local"``) or on a Ray cluster (``engine="ray"``)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from retold.errors import RetoldError
from retold.inputs.sources import ColumnMapping, source_specs
from retold.pipeline import output
from retold.settings import Settings

ENGINES = ("local", "ray")


@dataclass
class RunResult:
    out: Path
    engine: str
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    loaded: dict[str, int] = field(default_factory=dict)  # what --db added to the store

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "engine": self.engine,
            "counts": self.counts,
            "timings": self.timings,
            "loaded": self.loaded,
        }


def input_paths(inputs: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Input files: folders expanded to the files under them (sorted, hidden ones left
    out), so each file is one read task."""
    paths: list[str] = []
    for spec in source_specs(inputs, "run"):
        p = Path(os.path.expanduser(os.fspath(spec)))
        if "://" in os.fspath(spec):
            raise RetoldError(f"run: {spec}: URLs are not read by `retold run`; use a file")
        if p.is_dir():
            paths += sorted(
                str(f)
                for f in p.rglob("*")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        elif p.exists():
            paths.append(str(p))
        else:
            raise RetoldError(f"run: {spec}: no such file or folder")
    if not paths:
        raise RetoldError("run: no input files")
    return paths


def run_pipeline(
    inputs: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    engine: str | None = None,
    address: str | None = None,
    settings: Settings | None = None,
    mapping: ColumnMapping | str | None = None,
    db: str | None = None,
    now: datetime | None = None,
) -> RunResult:
    """Run the whole pipeline over ``inputs`` (Parquet, JSONL, CSV, WARC files or folders)
    and write its tables to ``out`` (replaced whole when the run succeeds).

    Args: engine: "local" or "ray" (default ``settings.run_engine``); address: the Ray
    cluster ("auto", "ray://HOST:PORT"; default ``settings.run_address``, "" starts a
    local Ray); mapping: dataset columns; db: also load the result into this store;
    now: the present, for dates in the future (default: now).
    Returns: a ``RunResult`` with counts and seconds per stage.
    Raises: RetoldError for a bad engine, missing inputs, Ray not installed or not
    reachable, or an ``out`` folder that is not a run's.
    """
    st = settings or Settings()
    engine = engine or st.run_engine
    if engine not in ENGINES:
        raise RetoldError(f"run: unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    paths = input_paths(inputs)
    if not isinstance(mapping, ColumnMapping):
        mapping = ColumnMapping.parse(mapping)
    now = now or datetime.now(UTC)
    judge = st.run_judge or st.judge
    target = Path(out)
    started = time.perf_counter()
    tmp = output.staging(target)
    try:
        if engine == "ray":
            from retold.pipeline.ray_driver import run_ray

            info = run_ray(paths, tmp, st, mapping, now, judge, address)
        else:
            from retold.pipeline.local import run_local

            info = run_local(paths, tmp, st, mapping, now, judge)
        info["timings"]["total"] = round(time.perf_counter() - started, 3)
        manifest = {"engine": engine, "judge": judge, "now": now.isoformat(), **info}
        output.publish(tmp, target, manifest)
    except BaseException:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result = RunResult(target.resolve(), engine, info["counts"], info["timings"])
    if db:
        result.loaded = output.load_into_store(result.out, db, st)
    return result
