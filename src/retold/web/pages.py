"""HTML pages of ``retold serve``: compare form and result, articles, ingest with job
progress, login, and a self-hosted API reference. Each route parses its request, calls a
service and renders a ``retold.report.pages`` template (``web.render``: autoescaped, under
a strict Content-Security-Policy)."""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from retold.errors import InputError, RetoldError
from retold.report.plots import style_plot
from retold.web import services
from retold.web.forms import form_field, form_upload, read_form
from retold.web.inputs import http_urls
from retold.web.params import PER_PAGE, ArticleId, PageNo
from retold.web.render import audit_report, page
from retold.web.security import COOKIE, session_value
from retold.web.state import state_of

router = APIRouter()
UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl", ".ndjson", ".csv", ".parquet")


# --------------------------------------------------------------------------- compare


@router.get("/", response_class=HTMLResponse)
def compare_form(request: Request) -> HTMLResponse:
    judge = state_of(request).settings.judge
    return page(request, "compare.html.j2", form={}, error=None, judge=judge)


@router.post("/compare", response_class=HTMLResponse)
async def compare_submit(request: Request) -> Response:
    st = state_of(request)
    form = await read_form(request)
    values = {k: form_field(form, k) for k in ("source_text", "source_url", "retelling_text",
                                               "retelling_url", "judge")}  # fmt: skip
    parts: dict[str, dict[str, Any]] = {}
    for side in ("source", "retelling"):
        data, name = await form_upload(form, f"{side}_file")
        parts[side] = {
            "text": values[f"{side}_text"],
            "url": values[f"{side}_url"],
            "upload": data,
            "upload_name": name,
        }
    try:
        src, ret = await run_in_threadpool(
            services.read_pair, st, parts["source"], parts["retelling"]
        )
        result_id, payload, kept = await services.run_compare(st, src, ret, values["judge"] or None)
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
    return await run_in_threadpool(
        lambda: audit_report(json.loads(payload), _result_links(None, note))
    )


def _result_links(result_id: str | None, note: str | None = None) -> list[tuple[str, str]]:
    links = [("retold", "/"), ("New comparison", "/")]
    if result_id is not None:
        links.append(("JSON", f"/api/results/{result_id}"))
    links.append(("Articles", "/articles"))
    if note:
        links.append((note, "#summary"))
    return links


@router.get("/results/{result_id}", response_class=HTMLResponse)
def result_page(result_id: str, request: Request) -> HTMLResponse:
    data = services.result(state_of(request), result_id)
    return audit_report(data, _result_links(result_id))


# --------------------------------------------------------------------------- articles


@router.get("/articles", response_class=HTMLResponse)
def articles_page(
    request: Request,
    q: str = Query("", max_length=500),
    site: str = Query("", max_length=500),
    page_no: PageNo = 1,
) -> Any:
    st = state_of(request)
    offset = (page_no - 1) * PER_PAGE
    rows, total = services.list_articles(st, PER_PAGE, offset, site or None, q or None)
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
    st = state_of(request)
    row = services.get_article(st, article_id)
    if row is None:
        return page(request, "error.html.j2", status=404, message=f"no article {article_id}")
    style = services.style_of(st, row.to_article())
    spans = sorted(style["spans"], key=lambda s: -s["confidence"])[:40]
    plot = style_plot(style["scores"])
    return page(request, "article.html.j2", a=row, style=style, plot=plot, spans=spans)


# --------------------------------------------------------------------------- ingest


@router.get("/ingest", response_class=HTMLResponse)
def ingest_form(request: Request) -> HTMLResponse:
    return page(request, "ingest.html.j2", error=None, urls="")


@router.post("/ingest", response_class=HTMLResponse)
async def ingest_submit(request: Request) -> Response:
    st = state_of(request)
    form = await read_form(request)
    urls_text = form_field(form, "urls")
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
    job = services.start_ingest(st, urls + paths, [], None, cleanup=folder)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, request: Request) -> Any:
    job = services.get_job(state_of(request), job_id)
    if job is None:
        return page(request, "error.html.j2", status=404, message=f"no job {job_id[:40]!r}")
    return page(request, "job.html.j2", job=job.to_dict())


# --------------------------------------------------------------------------- login


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return page(request, "login.html.j2", error=None)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    st = state_of(request)
    form = await read_form(request)
    token = form_field(form, "token")
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
