"""Loaders for the benchmark sets in ../shared/data (each yields plain dicts)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from retold.errors import RetoldError


def find_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """``--data``, then $RETOLD_DATA, then ``shared/data`` beside the checkout or the cwd."""
    if explicit:
        p = Path(explicit)
        if not p.is_dir():
            raise RetoldError(f"{p}: data folder not found")
        return p
    candidates = [os.environ.get("RETOLD_DATA")]
    here = Path(__file__).resolve()
    candidates += [str(parent / "shared" / "data") for parent in here.parents[2:5]]
    candidates += [str(Path.cwd().parent / "shared" / "data"), str(Path.cwd() / "shared" / "data")]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    return None


def read_jsonl(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise RetoldError(f"{path}:{n}: not valid JSON ({exc.msg})") from None


def dev_split(key: str, share: int = 3) -> bool:
    """Deterministic dev/test split for sets that ship without one: ~30% dev by key hash."""
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % 10 < share


def sample_rows(rows: Iterable[dict], limit: int | None, key: str = "id") -> list[dict]:
    """All rows, or a deterministic sample of ``limit`` mixing every split, in input order."""
    rows = list(rows)
    if not limit or limit >= len(rows):
        return rows
    keep = {
        id(r) for r in sorted(rows, key=lambda r: hashlib.sha1(r[key].encode()).digest())[:limit]
    }
    return [r for r in rows if id(r) in keep]
