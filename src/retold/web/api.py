"""The REST API under ``/api``. Errors are ``{"error": {"status": N, "message": "..."}}``
with a matching HTTP status; long work (ingest) returns 202 and a job to poll."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from retold import __version__
from retold.errors import RetoldError
from retold.settings import Settings
from retold.web.app import ApiError, WebState
from retold.web.inputs import article_from_parts, http_urls
from retold.web.params import MAX_ID, MAX_LIST, ArticleId, Offset

router = APIRouter(prefix="/api")
_ID_RE = re.compile(r"^[0-9a-f]{16}$")


def state_of(request: Request) -> WebState:
    return request.app.state.retold


# --------------------------------------------------------------------------- models


class ArticleIn(BaseModel):
    """One article: ``text`` (plain, Markdown or HTML) or ``url`` (fetched)."""

    text: str | None = Field(None, description="Article text (plain, Markdown or HTML).")
    url: str | None = Field(None, description="http(s) URL of the article page to fetch.")
    title: str | None = None


class CompareIn(BaseModel):
    source: ArticleIn
    retelling: ArticleIn
    judge: str | None = Field(None, description="Claim judge (default: the server's).")


class StoredArticleIn(BaseModel):
    text: str
    title: str = ""
    url: str = ""
    site: str = ""
    published: str = ""
    author: str = ""


class IngestIn(BaseModel):
    urls: list[str] = Field(default_factory=list, max_length=10_000)
    articles: list[StoredArticleIn] = Field(default_factory=list, max_length=10_000)
    paths: list[str] = Field(
        default_factory=list,
        max_length=1_000,
        description="Files or folders under the server's --files folder.",
    )
    map: str | None = Field(None, description="Dataset columns, e.g. text=body,title=headline")


# --------------------------------------------------------------------------- compare


def read_pair(st: WebState, settings: Settings, source: dict, retelling: dict) -> tuple:
    """Both articles of a compare request (``article_from_parts`` keyword dicts)."""
    src = article_from_parts("source", settings, allow_private=st.allow_private, **source)
    ret = article_from_parts("retelling", settings, allow_private=st.allow_private, **retelling)
    return src, ret


async def run_compare(
    st: WebState, src: Any, ret: Any, judge: str | None
) -> tuple[str, bytes, bool]:
    """Audit (in the compare pool) and remember the result: its id, the audit's JSON and
    whether it was kept (a result over ``web_results_max_bytes`` is returned, not kept)."""
    from retold.judges.base import JUDGES

    name = judge or st.settings.judge
    if name not in JUDGES:  # a clear error before any work
        raise RetoldError(f"judge: unknown judge {name[:40]!r} (available: {', '.join(JUDGES)})")
    payload = await st.pool.audit(src, ret, name)
    result_id = secrets.token_hex(8)
    return result_id, payload, st.remember(result_id, payload)


def _json_with_audit(fields: dict[str, Any], payload: bytes) -> Response:
    """``{**fields, "audit": <payload>}`` without parsing the audit's JSON again."""
    head = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))[:-1].encode()
    sep = b"," if fields else b""
    return Response(head + sep + b'"audit":' + payload + b"}", media_type="application/json")


def _with_title(article: ArticleIn) -> dict[str, Any]:
    text = article.text
    if text is not None and article.title:
        text = f"{article.title.strip()}\n\n{text}"
    return {"text": text, "url": article.url}


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.post("/compare", response_model=None)
async def compare_api(body: CompareIn, request: Request) -> Response:
    """Audit ``retelling`` against ``source`` (texts or URLs): ``{"id", "report_url",
    "kept", "audit"}``; the audit follows the JSON contract (``schema/audit.schema.json``).
    ``kept`` is false (and ``report_url`` null) when the result is larger than the
    server's result cache (``web_results_max_bytes``)."""
    st = state_of(request)
    src, ret = await run_in_threadpool(
        read_pair, st, st.settings, _with_title(body.source), _with_title(body.retelling)
    )
    result_id, payload, kept = await run_compare(st, src, ret, body.judge)
    report_url = f"/results/{result_id}" if kept else None
    return _json_with_audit({"id": result_id, "report_url": report_url, "kept": kept}, payload)


@router.get("/results/{result_id}", response_model=None)
def result_api(result_id: str, request: Request) -> Response:
    return _json_with_audit({"id": result_id}, get_result_json(state_of(request), result_id))


def get_result_json(st: WebState, result_id: str) -> bytes:
    payload = st.result(result_id) if _ID_RE.match(result_id) else None
    if payload is None:
        raise ApiError(404, f"no result {result_id[:40]!r} (results are kept in memory)")
    return payload


def get_result(st: WebState, result_id: str) -> dict[str, Any]:
    return json.loads(get_result_json(st, result_id))


# --------------------------------------------------------------------------- style


class StyleIn(BaseModel):
    articles: list[ArticleIn] = Field(..., min_length=1, max_length=50)


def style_of(st: WebState, article: Any) -> dict[str, Any]:
    from retold.style import analyze_style

    return analyze_style(article.text, article.title, st.settings).to_dict()


@router.post("/style")
async def style_api(body: StyleIn, request: Request) -> dict[str, Any]:
    """How each article is told: propaganda technique spans, sensationalism (0-100),
    machine-rewrite evidence (not proof) and headline clickbait."""
    st = state_of(request)

    def run() -> list[dict[str, Any]]:
        out = []
        for i, a in enumerate(body.articles, 1):
            art = article_from_parts(
                f"articles[{i}]", st.settings, allow_private=st.allow_private, **_with_title(a)
            )
            out.append({"origin": art.origin, **style_of(st, art)})
        return out

    return {"results": await run_in_threadpool(run)}


# --------------------------------------------------------------------------- ingest


def resolve_paths(st: WebState, paths: list[str]) -> list[str]:
    """Server-side paths, each inside ``files_root`` (no traversal, no absolute escapes)."""
    if not paths:
        return []
    root = st.files_root
    if root is None:
        raise ApiError(403, "server-side files are not enabled (start serve with --files DIR)")
    out = []
    for p in paths:
        if "\x00" in p or any(c in p for c in "*?["):
            raise ApiError(422, f"paths: {p[:80]!r} is not a plain file or folder name")
        target = (root / p).resolve()
        if not target.is_relative_to(root):
            raise ApiError(403, f"paths: {p[:80]!r} is outside the served folder")
        if not target.exists():
            raise ApiError(404, f"paths: {p[:80]!r} does not exist")
        out.append(str(target))
    return out


def start_ingest(
    st: WebState,
    sources: list,
    articles: list,
    mapping: str | None,
    cleanup: Path | None = None,
) -> Any:
    """Submit an ingest job; ``cleanup`` (a temporary upload folder) is removed after it."""
    from retold.inputs.sources import ColumnMapping, iter_sources, record_article

    column_map = ColumnMapping.parse(mapping)
    settings = st.settings

    def items() -> Any:
        for i, a in enumerate(articles, 1):
            yield record_article(a, f"request#{i}", ColumnMapping(), settings)
        yield from iter_sources(sources, settings, column_map, st.allow_private)

    def job(progress: Any) -> dict[str, Any]:
        try:
            with st.store() as store:
                stats = store.add_articles(
                    items(),
                    batch_size=min(settings.ingest_batch_size, 100),
                    on_progress=lambda s: progress(s.to_dict()),
                )
            return stats.to_dict()
        finally:
            if cleanup is not None:
                shutil.rmtree(cleanup, ignore_errors=True)

    return st.jobs.submit("ingest", job)


@router.post("/ingest", status_code=202)
def ingest_api(body: IngestIn, request: Request) -> JSONResponse:
    """Start ingesting URLs (pages, feeds, sitemaps), inline articles and server-side
    files into the store; poll ``status_url`` for progress and the summary."""
    st = state_of(request)
    if not (body.urls or body.articles or body.paths):
        raise ApiError(422, "give at least one of urls, articles or paths")
    sources = http_urls("urls", body.urls) + resolve_paths(st, body.paths)
    job = start_ingest(st, sources, [a.model_dump() for a in body.articles], body.map)
    return accepted(job)


def accepted(job: Any) -> JSONResponse:
    """202 with the job and where to poll it."""
    url = f"/api/jobs/{job.id}"
    return JSONResponse(
        {"job": job.to_dict(), "status_url": url}, status_code=202, headers={"Location": url}
    )


@router.get("/jobs/{job_id}")
def job_api(job_id: str, request: Request) -> dict[str, Any]:
    job = state_of(request).jobs.get(job_id) if _ID_RE.match(job_id) else None
    if job is None:
        raise ApiError(404, f"no job {job_id[:40]!r}")
    return job.to_dict()


# --------------------------------------------------------------------------- stored data


@router.get("/articles")
def articles_api(
    request: Request,
    limit: int = Query(20, ge=1, le=MAX_LIST),
    offset: Offset = 0,
    site: str | None = Query(None, max_length=500),
    q: str | None = Query(None, max_length=500, description="Title or text contains this."),
) -> dict[str, Any]:
    st = state_of(request)
    with st.store() as store:
        rows = store.list(limit=limit, offset=offset, site=site or None, query=q or None)
        total = store.count(site=site or None, query=q or None)
    return {"total": total, "articles": [r.to_dict(with_text=False) for r in rows]}


@router.get("/articles/{article_id}")
def article_api(article_id: ArticleId, request: Request) -> dict[str, Any]:
    with state_of(request).store() as store:
        row = store.get(article_id)
    if row is None:
        raise ApiError(404, f"no article {article_id}")
    return row.to_dict()


@router.get("/audits")
def audit_api(
    request: Request,
    source_id: int = Query(..., ge=0, le=MAX_ID),
    retelling_id: int = Query(..., ge=0, le=MAX_ID),
    judge: str = Query("heuristic", max_length=100),
) -> dict[str, Any]:
    with state_of(request).store() as store:
        audit = store.get_audit(source_id, retelling_id, judge)
    if audit is None:
        raise ApiError(404, f"no stored audit of {retelling_id} against {source_id} ({judge})")
    return {"id": audit.id, "created_at": audit.created_at, "audit": audit.data}
