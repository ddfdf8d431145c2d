from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from retold.demo.gold import corpus_dir, load_gold
from retold.settings import Settings

if TYPE_CHECKING:
    from retold.store.pg_local import LocalPostgres

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def corpus() -> Path:
    return Path(str(corpus_dir()))


@pytest.fixture(scope="session")
def gold() -> dict:
    return load_gold()


@pytest.fixture(scope="session")
def demo_audits() -> dict:
    from retold.demo.run import audit_corpus

    return audit_corpus(Settings())


def run_cli(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "retold", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[LocalPostgres]:
    """A throw-away PostgreSQL server for the session (skips when it cannot start)."""
    pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'psycopg[binary]'")
    from retold.store.pg_local import LocalPostgres

    server = LocalPostgres()
    try:
        problem = server.start()
    except (OSError, subprocess.SubprocessError) as exc:
        problem = f"cannot run the PostgreSQL binaries ({exc})"
    if problem:
        server.stop()
        pytest.skip(f"PostgreSQL test server did not start: {problem}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: LocalPostgres) -> str:
    """A fresh database on the session's server."""
    return pg_server.new_database()
