from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from retold.demo.gold import corpus_dir, load_gold
from retold.settings import Settings

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
