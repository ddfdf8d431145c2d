"""What every command shares: the --db/--config options, settings, the store, consoles and
the one-line failure."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from retold.settings import Settings

if TYPE_CHECKING:
    from retold.store import FamilyStore

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite database file or postgresql://user@host/db URL (default: setting "
        "db_path, else ~/.local/share/retold/retold.db).",
    ),
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="TOML settings file (see retold.settings).")
]


def load_settings(config: Path | None, **overrides: object) -> Settings:
    """The settings file (or the defaults) with command-line overrides on top; a deprecation
    in the file is one line on stderr, not a Python warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FutureWarning)
        settings = Settings.load(config)
    for w in caught:
        sys.stderr.write(one_line(f"retold: warning: {w.message}") + "\n")
    return settings.with_overrides(**overrides)


def open_db(db: str | None, settings: Settings) -> FamilyStore:
    from retold.store import open_store

    return open_store(db, settings)


def console() -> Console:
    """stdout; rich assumes 80 columns when piped, reports read better a little wider."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 110)


def err_console() -> Console:
    return Console(stderr=True, highlight=False)


def one_line(text: str) -> str:
    return " ".join(text.split())


def fail(message: str, code: int) -> None:
    """Print one line on stderr (never wrapped, whatever the terminal width) and exit."""
    sys.stderr.write(one_line(message) + "\n")
    sys.exit(code)
