"""Atomic file writes: a crash or a full disk never leaves a half-written report."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from retold.errors import RetoldError


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise RetoldError(f"{target}: folder {parent} does not exist")
    if target.is_dir():
        raise RetoldError(f"{target}: is a folder, expected a file path")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a report is meant to be shared
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise RetoldError(f"{target}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
