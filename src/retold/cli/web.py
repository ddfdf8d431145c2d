"""``retold serve``: the local web app and REST API (``retold.web``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from retold.errors import RetoldError
from retold.settings import Settings


def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    db: Annotated[
        str | None, typer.Option("--db", help="Article store: SQLite file or postgresql:// URL.")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="RETOLD_TOKEN",
            help="Bearer token for the API and login for pages (required off loopback).",
        ),
    ] = None,
    allow_private: Annotated[
        bool,
        typer.Option("--allow-private", help="Let URLs reach loopback and private addresses."),
    ] = False,
    files: Annotated[
        Path | None,
        typer.Option("--files", help="Folder whose files the ingest API may read."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML settings file (see retold.settings).")
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="A Host name the server also answers to, e.g. one a local reverse proxy "
            "forwards (repeatable; loopback addresses always work).",
        ),
    ] = None,
) -> None:
    """Serve the web app (compare, articles, ingest, families) and the REST API under /api."""
    import uvicorn

    from retold.web.app import create_app
    from retold.web.security import is_loopback_host, parse_allowed_hosts

    loopback = is_loopback_host(host)
    if not loopback and not token:
        raise RetoldError(
            f"--host {host} is reachable from other machines: give --token (or $RETOLD_TOKEN)"
        )
    if token is not None and len(token) < 16:
        raise RetoldError("--token must be at least 16 characters")
    if files is not None and not files.is_dir():
        raise RetoldError(f"--files {files}: not a folder")
    if not 0 < port < 65536:
        raise RetoldError(f"--port {port}: not a TCP port")
    settings = Settings.load(config)
    if allowed_host:
        names = parse_allowed_hosts(allowed_host)  # a one-line error naming a bad one
        known = parse_allowed_hosts(settings.web_allowed_hosts)
        settings = settings.with_overrides(web_allowed_hosts=",".join(sorted(known | names)))
    app = create_app(
        settings,
        db=db,
        token=token,
        loopback_only=loopback,
        allow_private=allow_private,
        files_root=files,
    )
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"retold serving on http://{shown}:{port}/ (API docs: /api/docs)", err=True)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    grace = settings.web_shutdown_grace_s
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        # a SIGTERM'd server must not wait forever on a long audit before it stops workers
        timeout_graceful_shutdown=grace if grace > 0 else None,  # type: ignore[arg-type]
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
