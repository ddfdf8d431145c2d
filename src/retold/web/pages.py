"""HTML pages of ``retold serve``: compare form and result, articles, ingest with job
progress, login, and a self-hosted API reference. Every page is rendered with Jinja2
autoescaping under a Content-Security-Policy that allows only this server's own script
and stylesheet, so article text can never run."""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from retold.errors import InputError, RetoldError
from retold.web.api import get_result, read_pair, run_compare, start_ingest, state_of, style_of
from retold.web.app import ApiError
from retold.web.inputs import http_urls
from retold.web.params import PER_PAGE, ArticleId, PageNo
from retold.web.render import render
from retold.web.security import (
    COOKIE,
    CSRF_FIELD,
    CSRF_SCOPE_EXPECTED,
    CSRF_SCOPE_TOKEN,
    UNSAFE_METHODS,
    is_api_path,
    session_value,
)

router = APIRouter()
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl", ".ndjson", ".csv", ".parquet")


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page; its forms carry this request's CSRF token (set by the request guard)."""
    return HTMLResponse(
        render(
            template, status=status, csrf_token=request.scope.get(CSRF_SCOPE_TOKEN, ""), **context
        ),
        status_code=status,
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"},
    )


async def read_form(request: Request) -> Any:
    """The request's form (parsed once per request, with the server's body limit)."""
    st = state_of(request)
    return await request.form(max_part_size=st.settings.web_max_body_bytes)


async def require_form_token(request: Request) -> None:
    """App-wide dependency: a page form post (not the JSON API) must carry the CSRF token
    its page rendered, an HMAC of this browser's CSRF cookie under the server's secret."""
    if request.method not in UNSAFE_METHODS or is_api_path(request.scope.get("path", "/")):
        return
    expected = request.scope.get(CSRF_SCOPE_EXPECTED)
    given = (await read_form(request)).get(CSRF_FIELD)
    if not (
        expected
        and isinstance(given, str)
        and given.isascii()
        and secrets.compare_digest(given, expected)
    ):
        raise ApiError(
            403,
            f"{CSRF_FIELD}: the form's security token is missing or stale "
            "(reload the page and submit again)",
        )


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _upload(form: Any, name: str) -> tuple[bytes | None, str]:
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return await value.read(), value.filename
    return None, ""


# --------------------------------------------------------------------------- compare


@router.get("/", response_class=HTMLResponse)
def compare_form(request: Request) -> HTMLResponse:
    judge = state_of(request).settings.judge
    return page(request, "compare.html.j2", form={}, error=None, judge=judge)


@router.post("/compare", response_class=HTMLResponse)
async def compare_submit(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    st = state_of(request)
    form = await read_form(request)
    values = {k: _field(form, k) for k in ("source_text", "source_url", "retelling_text",
                                            "retelling_url", "judge")}  # fmt: skip
    parts: dict[str, dict[str, Any]] = {}
    for side in ("source", "retelling"):
        data, name = await _upload(form, f"{side}_file")
        parts[side] = {
            "text": values[f"{side}_text"],
            "url": values[f"{side}_url"],
            "upload": data,
            "upload_name": name,
        }
    try:
        src, ret = await run_in_threadpool(
            read_pair, st, st.settings, parts["source"], parts["retelling"]
        )
        result_id, payload, kept = await run_compare(st, src, ret, values["judge"] or None)
    except RetoldError as exc:
        return page(
            request,
            "compare.html.j2",
            status=422,
            form=values,
            error=str(exc),
            judge=values["judge"],
        )
    if kept:
        return RedirectResponse(f"/results/{result_id}", status_code=303)
    # too large to keep: this response is the only copy, so show it now and say so
    size_mb = len(payload) / 1e6
    budget_mb = st.settings.web_results_max_bytes / 1e6
    note = (
        f"Not kept: this result ({size_mb:,.1f} MB) is larger than the server keeps "
        f"(web_results_max_bytes, {budget_mb:,.1f} MB); save this page to keep it"
    )
    # parsing and rendering a result this size takes a while: off the event loop
    return await run_in_threadpool(lambda: _report(json.loads(payload), _links(None, note)))


def _links(result_id: str | None, note: str | None = None) -> list[tuple[str, str]]:
    links = [("retold", "/"), ("New comparison", "/")]
    if result_id is not None:
        links.append(("JSON", f"/api/results/{result_id}"))
    links.append(("Articles", "/articles"))
    if note:
        links.append((note, "#summary"))
    return links


def _report(data: dict[str, Any], links: list[tuple[str, str]]) -> HTMLResponse:
    from retold.report.html import render_html, script_csp

    html = render_html(data, links=links)
    return HTMLResponse(
        html, headers={"Content-Security-Policy": script_csp(), "Cache-Control": "no-store"}
    )


@router.get("/results/{result_id}", response_class=HTMLResponse)
def result_page(result_id: str, request: Request) -> HTMLResponse:
    return _report(get_result(state_of(request), result_id), _links(result_id))


# --------------------------------------------------------------------------- articles


@router.get("/articles", response_class=HTMLResponse)
def articles_page(
    request: Request,
    q: str = Query("", max_length=500),
    site: str = Query("", max_length=500),
    page_no: PageNo = 1,
) -> Any:
    st = state_of(request)
    with st.store() as store:
        rows = store.list(
            limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE, site=site or None, query=q or None
        )
        total = store.count(site=site or None, query=q or None)
    return page(
        request,
        "articles.html.j2",
        rows=rows,
        total=total,
        q=q,
        site=site,
        page_no=page_no,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        location=st.db or "default store",
    )


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(article_id: ArticleId, request: Request) -> Any:
    with state_of(request).store() as store:
        row = store.get(article_id)
    if row is None:
        return page(request, "error.html.j2", status=404, message=f"no article {article_id}")
    from retold.web.plots import bars

    style = style_of(state_of(request), row.to_article())
    sc = style["scores"]
    plot = bars(
        [
            ("sensationalism", sc["sensationalism"]),
            ("machine-rewrite evidence (not proof)", sc["machine_rewrite"]),
            ("headline clickbait", sc["clickbait"]),
        ],
        maximum=100,
        fmt="{:.0f}",
        title="How it is told (0-100)",
    )
    spans = sorted(style["spans"], key=lambda s: -s["confidence"])[:40]
    return page(request, "article.html.j2", a=row, style=style, plot=plot, spans=spans)


# --------------------------------------------------------------------------- ingest


@router.get("/ingest", response_class=HTMLResponse)
def ingest_form(request: Request) -> HTMLResponse:
    return page(request, "ingest.html.j2", error=None, urls="")


@router.post("/ingest", response_class=HTMLResponse)
async def ingest_submit(request: Request) -> Response:
    st = state_of(request)
    form = await read_form(request)
    urls_text = _field(form, "urls")
    try:
        urls = http_urls("urls", urls_text.split())
    except InputError as exc:
        return page(request, "ingest.html.j2", status=422, error=str(exc), urls=urls_text)
    folder = Path(tempfile.mkdtemp(prefix="retold-upload-"))
    paths = []
    for value in form.getlist("files"):
        if not isinstance(value, UploadFile) or not value.filename:
            continue
        # only the base name is kept: "../../x.html" cannot leave the upload folder
        name = Path(value.filename.replace("\\", "/")).name
        if not name.lower().endswith(UPLOAD_SUFFIXES) or name.startswith("."):
            shutil.rmtree(folder, ignore_errors=True)
            return page(
                request,
                "ingest.html.j2",
                status=422,
                error=f"files: {name[:80]!r} is not a .txt, .md, .html, .jsonl, .csv or "
                ".parquet file",
                urls=urls_text,
            )
        target = folder / f"{len(paths):04d}-{name}"
        target.write_bytes(await value.read())
        paths.append(str(target))
    if not urls and not paths:
        shutil.rmtree(folder, ignore_errors=True)
        return page(
            request, "ingest.html.j2", status=422, error="give URLs or files", urls=urls_text
        )
    job = start_ingest(st, urls + paths, [], None, cleanup=folder)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, request: Request) -> Any:
    job = state_of(request).jobs.get(job_id)
    if job is None:
        return page(request, "error.html.j2", status=404, message=f"no job {job_id[:40]!r}")
    return page(request, "job.html.j2", job=job.to_dict())


# --------------------------------------------------------------------------- login


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return page(request, "login.html.j2", error=None)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    import secrets

    st = state_of(request)
    form = await read_form(request)
    token = _field(form, "token")
    if st.token is None:
        return RedirectResponse("/", status_code=303)
    if not secrets.compare_digest(token.encode(), st.token.encode()):
        return page(request, "login.html.j2", status=401, error="wrong token")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, session_value(st.token), httponly=True, samesite="strict", path="/")
    return response


@router.get("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# --------------------------------------------------------------------------- API reference


@router.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request) -> HTMLResponse:
    """The OpenAPI description as a plain page (no CDN-hosted Swagger UI: works offline)."""
    spec = request.app.openapi()
    ops = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = [p["name"] for p in op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            ops.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "doc": (op.get("description") or "").strip(),
                    "params": params,
                    "body": ref,
                }
            )
    return page(request, "api_docs.html.j2", ops=ops)
