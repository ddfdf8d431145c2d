"""``create_app(...)``: the FastAPI application behind ``retold serve``.

Pages (Jinja2, autoescaped, strict CSP, no external assets) and a REST API under ``/api``
(OpenAPI docs at ``/api/docs``) share one state object: settings, the article store location,
the background job registry and a cache of recent compare results (their JSON), bounded by
count and by bytes.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from retold import __version__
from retold.errors import InputError, RetoldError
from retold.settings import Settings
from retold.web.jobs import JobRegistry
from retold.web.security import Guard, parse_allowed_hosts
from retold.web.workers import ComparePool

STATIC = Path(__file__).parent / "static"
_LOG = logging.getLogger("retold.web")


@dataclass
class WebState:
    settings: Settings
    db: str | None = None  # store location (None: the default SQLite file)
    token: str | None = None
    allow_private: bool = False  # URLs may reach private addresses (serve --allow-private)
    files_root: Path | None = None  # server-side files the ingest API may read
    jobs: JobRegistry = field(init=False)
    # result id -> the audit's JSON: bytes, so the budget counts what is really held
    results: OrderedDict[str, bytes] = field(default_factory=OrderedDict)
    results_bytes: int = 0
    pool: ComparePool = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        st = self.settings
        self.jobs = JobRegistry(st.web_job_workers, st.web_jobs_kept)
        self.pool = ComparePool(st)

    def remember(self, result_id: str, payload: bytes) -> bool:
        """Keep a result, dropping the oldest past ``web_results_kept`` results or
        ``web_results_max_bytes`` bytes; False (not kept) when it alone is over the budget."""
        budget = self.settings.web_results_max_bytes
        if len(payload) > budget:
            return False
        with self.lock:
            self.results[result_id] = payload
            self.results_bytes += len(payload)
            while (
                len(self.results) > max(self.settings.web_results_kept, 1)
                or self.results_bytes > budget
            ):
                _, old = self.results.popitem(last=False)
                self.results_bytes -= len(old)
        return True

    def result(self, result_id: str) -> bytes | None:
        with self.lock:
            return self.results.get(result_id)

    @contextmanager
    def store(self):
        from retold.store import open_store

        store = open_store(self.db, self.settings)
        try:
            yield store
        finally:
            store.close()


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def create_app(
    settings: Settings | None = None,
    *,
    db: str | None = None,
    token: str | None = None,
    loopback_only: bool = True,
    allow_private: bool = False,
    files_root: str | Path | None = None,
) -> Any:
    """The ASGI app (FastAPI wrapped in the request guard)."""
    from retold.web import api, families, pages

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
        dependencies=[Depends(pages.require_form_token)],
    )
    app.state.retold = state
    app.include_router(api.router)
    app.include_router(families.router)
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
    from retold.web.pages import page

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
