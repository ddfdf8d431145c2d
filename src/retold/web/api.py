"""The REST API under ``/api``: each route parses its request and calls a service. Errors
are ``{"error": {"status": N, "message": "..."}}`` with a matching HTTP status; long work
(ingest, families) returns 202 and a job to poll."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from retold import __version__
from retold.web import family_services as families
from retold.web import services
from retold.web import site_services as sites
from retold.web.errors import ApiError
from retold.web.inputs import http_urls
from retold.web.jobs import Job
from retold.web.params import MAX_ID, MAX_LIST, ArticleId, FamilyId, Offset, SiteName
from retold.web.schemas import ArticleIn, AuditIn, CompareIn, IngestIn, SourceIn, StyleIn
from retold.web.state import state_of

router = APIRouter(prefix="/api")


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


def _accepted(job: Job) -> JSONResponse:
    """202 with the job and where to poll it."""
    url = f"/api/jobs/{job.id}"
    return JSONResponse(
        {"job": job.to_dict(), "status_url": url}, status_code=202, headers={"Location": url}
    )


# --------------------------------------------------------------------------- compare


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
        services.read_pair, st, _with_title(body.source), _with_title(body.retelling)
    )
    result_id, payload, kept = await services.run_compare(st, src, ret, body.judge)
    report_url = f"/results/{result_id}" if kept else None
    return _json_with_audit({"id": result_id, "report_url": report_url, "kept": kept}, payload)


@router.get("/results/{result_id}", response_model=None)
def result_api(result_id: str, request: Request) -> Response:
    return _json_with_audit({"id": result_id}, services.result_json(state_of(request), result_id))


# --------------------------------------------------------------------------- style


@router.post("/style")
async def style_api(body: StyleIn, request: Request) -> dict[str, Any]:
    """How each article is told: propaganda technique spans, sensationalism (0-100),
    machine-rewrite evidence (not proof) and headline clickbait."""
    parts = [_with_title(a) for a in body.articles]
    return {"results": await run_in_threadpool(services.style_many, state_of(request), parts)}


# --------------------------------------------------------------------------- ingest


@router.post("/ingest", status_code=202)
def ingest_api(body: IngestIn, request: Request) -> JSONResponse:
    """Start ingesting URLs (pages, feeds, sitemaps), inline articles and server-side
    files into the store; poll ``status_url`` for progress and the summary."""
    st = state_of(request)
    if not (body.urls or body.articles or body.paths):
        raise ApiError(422, "give at least one of urls, articles or paths")
    sources = http_urls("urls", body.urls) + services.resolve_paths(st, body.paths)
    articles = [a.model_dump() for a in body.articles]
    return _accepted(services.start_ingest(st, sources, articles, body.map))


@router.get("/jobs/{job_id}")
def job_api(job_id: str, request: Request) -> dict[str, Any]:
    job = services.get_job(state_of(request), job_id)
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
    rows, total = services.list_articles(state_of(request), limit, offset, site or None, q or None)
    return {"total": total, "articles": [r.to_dict(with_text=False) for r in rows]}


@router.get("/articles/{article_id}")
def article_api(article_id: ArticleId, request: Request) -> dict[str, Any]:
    row = services.get_article(state_of(request), article_id)
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
    audit = services.stored_audit(state_of(request), source_id, retelling_id, judge)
    return {"id": audit.id, "created_at": audit.created_at, "audit": audit.data}


# --------------------------------------------------------------------------- families


@router.get("/families")
def families_api(
    request: Request,
    limit: int = Query(50, ge=1, le=MAX_LIST),
    offset: Offset = 0,
) -> dict[str, Any]:
    """Story families, largest first: id, source, members (id, path or url, site,
    membership confidence), time span and sites."""
    return families.families_list(state_of(request), limit, offset)


@router.get("/families/{family_id}")
def family_api(
    family_id: FamilyId, request: Request, judge: str | None = Query(None, max_length=40)
) -> dict[str, Any]:
    """One family with each member's audit summary (after an audit job)."""
    st = state_of(request)
    return families.family_view(st, family_id, judge or st.settings.judge)


@router.post("/families/update", status_code=202)
def families_update_api(request: Request) -> JSONResponse:
    """Place articles ingested since the last run into families (a background job)."""
    return _accepted(families.start_update(state_of(request)))


@router.post("/families/{family_id}/audit", status_code=202)
def family_audit_api(family_id: FamilyId, body: AuditIn, request: Request) -> JSONResponse:
    """Audit every member against the family's source (a background job)."""
    st = state_of(request)
    families.family_view(st, family_id, st.settings.judge)  # 404 before queueing
    return _accepted(families.start_audit(st, family_id, body.judge or st.settings.judge))


@router.post("/families/{family_id}/source")
def family_source_api(family_id: FamilyId, body: SourceIn, request: Request) -> dict[str, Any]:
    """Override the family's source with one of its members."""
    st = state_of(request)
    families.set_source(st, family_id, body.article)
    return families.family_view(st, family_id, st.settings.judge)


# --------------------------------------------------------------------------- sites

SitesJudge = Annotated[
    str | None, Query(max_length=40, description="Judge whose stored audits are read.")
]


@router.get("/sites")
def sites_api(
    request: Request,
    limit: int = Query(50, ge=1, le=MAX_LIST),
    offset: Offset = 0,
    judge: SitesJudge = None,
) -> dict[str, Any]:
    """Site profiles, highest content-farm score first: articles, retell share, top sources,
    lag, fidelity, invented quotes, style, copying, the score, its parts and its evidence,
    and the community (null: runs with nobody); ``counts`` of the run."""
    return sites.sites_list(state_of(request), limit, offset, judge or None)


@router.get("/sites/network")
def sites_network_api(request: Request, judge: SitesJudge = None) -> dict[str, Any]:
    """The copy network: nodes, edges (retelling site -> source site: stories, verbatim
    copies, fabrications) and the communities of more than one site."""
    return sites.sites_network(state_of(request), judge or None)


@router.get("/sites/{site}")
def site_api(site: SiteName, request: Request, judge: SitesJudge = None) -> dict[str, Any]:
    """One site's profile (a site name, a subdomain or a URL of it) with its evidence
    (families, findings), whom it retells, who retells it and its community."""
    return sites.site_profile(state_of(request), site, judge or None)
