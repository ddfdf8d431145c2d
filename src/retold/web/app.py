"""``create_app(...)``: the FastAPI application behind ``retold serve``.

It builds the app's ``WebState`` (``web.state``), mounts the routers (``web.api`` under
``/api``, ``web.family_pages``, ``web.site_pages``, ``web.pages``) and the pages' static
files, answers errors as JSON under ``/api`` and as an error page elsewhere, and wraps
everything in the request guard (``web.security``).
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from retold import __version__
from retold.errors import InputError, RetoldError
from retold.report.pages import STATIC
from retold.settings import Settings
from retold.web import api, family_pages, pages, site_pages
from retold.web.errors import ApiError
from retold.web.forms import require_form_token
from retold.web.render import page
from retold.web.security import Guard, parse_allowed_hosts
from retold.web.state import WebState

__all__ = ["WebState", "create_app"]

_LOG = logging.getLogger("retold.web")


def create_app(
    settings: Settings | None = None,
    *,
    db: str | None = None,
    token: str | None = None,
    loopback_only: bool = True,
    allow_private: bool = False,
    files_root: str | Path | None = None,
) -> Any:
    """The ASGI app (FastAPI wrapped in the request guard).

    Args:
        settings: the server's settings (default: ``Settings()``).
        db: the article store's location (default: the SQLite file of ``open_store``).
        token: the login token; None serves without login (loopback only).
        loopback_only: answer only loopback Host names (and ``web_allowed_hosts``).
        allow_private: URLs may reach private addresses.
        files_root: a folder the ingest API may read files from (None: none).

    Returns:
        The guard; ``.fastapi`` is the FastAPI app and ``.state`` its ``WebState``.
    """
    settings = settings or Settings()
    allowed_hosts = parse_allowed_hosts(settings.web_allowed_hosts)
    state = WebState(
        settings=settings,
        db=db,
        token=token,
        allow_private=allow_private,
        files_root=Path(files_root).resolve() if files_root else None,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        state.pool.start()
        try:
            yield
        finally:
            state.jobs.shutdown()
            state.pool.shutdown()

    app = FastAPI(
        lifespan=lifespan,
        title="retold",
        version=__version__,
        description="Trace retold news to its source and show what each retelling changed.",
        docs_url=None,  # /api/docs is our own page: Swagger UI would load from a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
        # every page form post (any route, present or future) must carry the CSRF token
        dependencies=[Depends(require_form_token)],
    )
    app.state.retold = state
    app.include_router(api.router)
    app.include_router(family_pages.router)
    app.include_router(site_pages.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _error_handlers(app)
    guarded = Guard(
        app,
        max_body=settings.web_max_body_bytes,
        token=token,
        loopback_only=loopback_only,
        allowed_hosts=allowed_hosts,
    )
    guarded.fastapi = app  # type: ignore[attr-defined]  # tests and `serve` reach the app
    guarded.state = state  # type: ignore[attr-defined]
    return guarded


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _error(request: Request, status: int, message: str) -> Any:
    if _is_api(request):
        return JSONResponse({"error": {"status": status, "message": message}}, status)
    return page(request, "error.html.j2", status=status, message=message)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Any:
        return _error(request, exc.status, exc.message)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> Any:
        return _error(request, 422, str(exc))

    @app.exception_handler(RetoldError)
    async def retold_error(request: Request, exc: RetoldError) -> Any:
        return _error(request, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Any:
        problems = []
        for e in exc.errors()[:5]:
            if e.get("type") == "json_invalid":
                return _error(request, 400, "request body is not valid JSON")
            where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {e.get('msg', 'invalid')}")
        return _error(request, 422, "invalid request: " + "; ".join(problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        return _error(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Any:
        # the client gets one line; the server log keeps the traceback for the operator
        _LOG.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return _error(request, 500, f"internal error: {type(exc).__name__}")
