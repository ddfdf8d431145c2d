"""HTML pages of ``retold serve``: compare form and result, articles, ingest with job
progress, login, and a self-hosted API reference. Every page is rendered with Jinja2
autoescaping under a Content-Security-Policy that allows only this server's own script
and stylesheet, so article text can never run."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from retold.errors import InputError, RetoldError
from retold.web.api import get_result, read_pair, run_compare, start_ingest, state_of, style_of
from retold.web.inputs import http_urls
from retold.web.render import render
from retold.web.security import COOKIE, session_value

router = APIRouter()
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl", ".ndjson", ".csv", ".parquet")


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(
        render(template, status=status, **context),
        status_code=status,
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"},
    )


async def _form(request: Request) -> Any:
    st = state_of(request)
    return await request.form(max_part_size=st.settings.web_max_body_bytes)


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
    return page("compare.html.j2", form={}, error=None, judge=state_of(request).settings.judge)


@router.post("/compare", response_class=HTMLResponse)
async def compare_submit(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    st = state_of(request)
    form = await _form(request)
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
        result_id, _ = await run_compare(st, src, ret, values["judge"] or None)
    except RetoldError as exc:
        return page(
            "compare.html.j2", status=422, form=values, error=str(exc), judge=values["judge"]
        )
    return RedirectResponse(f"/results/{result_id}", status_code=303)


@router.get("/results/{result_id}", response_class=HTMLResponse)
def result_page(result_id: str, request: Request) -> HTMLResponse:
    from retold.report.html import render_html, script_csp

    links = [
        ("retold", "/"),
        ("New comparison", "/"),
        ("JSON", f"/api/results/{result_id}"),
        ("Articles", "/articles"),
    ]
    html = render_html(get_result(state_of(request), result_id), links=links)
    return HTMLResponse(html, headers={"Content-Security-Policy": script_csp()})


# --------------------------------------------------------------------------- articles


@router.get("/articles", response_class=HTMLResponse)
def articles_page(request: Request, q: str = "", site: str = "", page_no: int = 1) -> Any:
    st = state_of(request)
    per_page = 50
    page_no = max(page_no, 1)
    with st.store() as store:
        rows = store.list(
            limit=per_page, offset=(page_no - 1) * per_page, site=site or None, query=q or None
        )
        total = store.count(site=site or None, query=q or None)
    return page(
        "articles.html.j2",
        rows=rows,
        total=total,
        q=q,
        site=site,
        page_no=page_no,
        pages=max((total + per_page - 1) // per_page, 1),
        location=st.db or "default store",
    )


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(article_id: int, request: Request) -> Any:
    with state_of(request).store() as store:
        row = store.get(article_id)
    if row is None:
        return page("error.html.j2", status=404, message=f"no article {article_id}")
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
    return page("article.html.j2", a=row, style=style, plot=plot, spans=spans)


# --------------------------------------------------------------------------- ingest


@router.get("/ingest", response_class=HTMLResponse)
def ingest_form(request: Request) -> HTMLResponse:
    return page("ingest.html.j2", error=None, urls="")


@router.post("/ingest", response_class=HTMLResponse)
async def ingest_submit(request: Request) -> Response:
    st = state_of(request)
    form = await _form(request)
    urls_text = _field(form, "urls")
    try:
        urls = http_urls("urls", urls_text.split())
    except InputError as exc:
        return page("ingest.html.j2", status=422, error=str(exc), urls=urls_text)
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
        return page("ingest.html.j2", status=422, error="give URLs or files", urls=urls_text)
    job = start_ingest(st, urls + paths, [], None, cleanup=folder)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, request: Request) -> Any:
    job = state_of(request).jobs.get(job_id)
    if job is None:
        return page("error.html.j2", status=404, message=f"no job {job_id[:40]!r}")
    return page("job.html.j2", job=job.to_dict())


# --------------------------------------------------------------------------- login


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return page("login.html.j2", error=None)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    import secrets

    st = state_of(request)
    form = await _form(request)
    token = _field(form, "token")
    if st.token is None:
        return RedirectResponse("/", status_code=303)
    if not secrets.compare_digest(token.encode(), st.token.encode()):
        return page("login.html.j2", status=401, error="wrong token")
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
    return page("api_docs.html.j2", ops=ops)
