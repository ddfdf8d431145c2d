"""Story families in the web app: REST endpoints under ``/api/families`` and the pages
``/families`` (list) and ``/families/{id}`` (members, their audit summaries, a fidelity
plot, source override, audit job). Grouping and auditing are background jobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from retold.errors import RetoldError
from retold.family.summary import sites_line, time_span
from retold.report.family import fidelity_plot
from retold.web.api import accepted, state_of
from retold.web.app import ApiError, WebState
from retold.web.params import (
    MAX_ID,
    MAX_LIST,
    PER_PAGE,
    ArticleId,
    FamilyId,
    Offset,
    PageNo,
    form_id,
)

router = APIRouter()


# --------------------------------------------------------------------------- library side


def family_view(st: WebState, family_id: int, judge: str) -> dict[str, Any]:
    """``retold.family.summary.family_view`` over the server's store; 404 when missing."""
    from retold.family.summary import family_view as view

    with st.store() as store:
        data = view(store, family_id, judge)
    if data is None:
        raise ApiError(404, f"no family {family_id} (group articles first)")
    return data


def families_list(st: WebState, limit: int, offset: int) -> dict[str, Any]:
    from retold.family.upkeep import load_from_store

    with st.store() as store:
        # the page is chosen and counted in the database: a million-article store is not
        # read whole for twenty rows
        page = store.family_page(limit, offset)
        result = load_from_store(store, ids=page.ids)
    rows = []
    for f in result.families:
        src = next((m for m in f.members if m.id == f.source), None)
        rows.append(
            {
                **f.to_dict(),
                "source_title": src.title if src else "",
                "time_span": time_span([m.published for m in f.members]),
                "sites": sites_line(f.members),
            }
        )
    return {
        "total": page.families,
        "singletons": page.singletons,
        "excluded": page.excluded,
        "families": rows,
    }


def start_update(st: WebState) -> Any:
    from retold.family.upkeep import update_store

    def job(progress: Any) -> dict[str, Any]:
        def step(stage: str, done: int, total: int) -> None:
            progress({"stage": stage, "done": done, "total": total})

        with st.store() as store:
            return update_store(store, st.settings, progress=step)

    return st.jobs.submit("families", job)


def start_audit(st: WebState, family_id: int, judge: str) -> Any:
    from retold.family.audit import audit_families
    from retold.judges.base import JUDGES

    if judge not in JUDGES:
        raise RetoldError(f"judge: unknown judge {judge[:40]!r} (available: {', '.join(JUDGES)})")

    def job(progress: Any) -> dict[str, Any]:
        with st.store() as store:
            rows = audit_families(
                store,
                st.settings,
                judge,
                family_id,
                progress=lambda n, total: progress({"done": n, "total": total}),
            )
        return {"family": family_id, "audited": len(rows), "members": rows}

    return st.jobs.submit("audit", job)


def set_source(st: WebState, family_id: int, article_id: int) -> None:
    from retold.store import NoSuchFamily, NotAMember

    with st.store() as store:
        try:
            store.set_family_source(family_id, article_id)
        except NoSuchFamily:
            raise ApiError(404, f"no family {family_id}") from None
        except NotAMember as exc:
            raise ApiError(422, str(exc)) from None


# --------------------------------------------------------------------------- API


class SourceIn(BaseModel):
    article: int = Field(
        ..., ge=0, le=MAX_ID, description="Stored id of the member to make the source."
    )


class AuditIn(BaseModel):
    judge: str | None = None


@router.get("/api/families")
def families_api(
    request: Request,
    limit: int = Query(50, ge=1, le=MAX_LIST),
    offset: Offset = 0,
) -> dict[str, Any]:
    """Story families, largest first: id, source, members (id, path or url, site,
    membership confidence), time span and sites."""
    return families_list(state_of(request), limit, offset)


@router.get("/api/families/{family_id}")
def family_api(
    family_id: FamilyId, request: Request, judge: str | None = Query(None, max_length=40)
) -> dict[str, Any]:
    """One family with each member's audit summary (after an audit job)."""
    st = state_of(request)
    return family_view(st, family_id, judge or st.settings.judge)


@router.post("/api/families/update", status_code=202)
def families_update_api(request: Request) -> JSONResponse:
    """Place articles ingested since the last run into families (a background job)."""
    return accepted(start_update(state_of(request)))


@router.post("/api/families/{family_id}/audit", status_code=202)
def family_audit_api(family_id: FamilyId, body: AuditIn, request: Request) -> JSONResponse:
    """Audit every member against the family's source (a background job)."""
    st = state_of(request)
    family_view(st, family_id, st.settings.judge)  # 404 before queueing
    return accepted(start_audit(st, family_id, body.judge or st.settings.judge))


@router.post("/api/families/{family_id}/source")
def family_source_api(family_id: FamilyId, body: SourceIn, request: Request) -> dict[str, Any]:
    """Override the family's source with one of its members."""
    st = state_of(request)
    set_source(st, family_id, body.article)
    return family_view(st, family_id, st.settings.judge)


# --------------------------------------------------------------------------- pages


@router.get("/families", response_class=HTMLResponse)
def families_page(request: Request, page_no: PageNo = 1) -> HTMLResponse:
    from retold.web.pages import page

    data = families_list(state_of(request), PER_PAGE, (page_no - 1) * PER_PAGE)
    pages = max((data["total"] + PER_PAGE - 1) // PER_PAGE, 1)
    return page(request, "families.html.j2", data=data, page_no=page_no, pages=pages)


@router.post("/families/update")
def families_update_page(request: Request) -> Response:
    job = start_update(state_of(request))
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/families/{family_id}", response_class=HTMLResponse)
def family_page(family_id: FamilyId, request: Request) -> HTMLResponse:
    from retold.web.pages import page

    st = state_of(request)
    fam = family_view(st, family_id, st.settings.judge)
    return page(
        request,
        "family.html.j2",
        fam=fam,
        plot=fidelity_plot(fam),
        member_href=lambda mid: f"/families/{family_id}/audits/{mid}",
    )


@router.post("/families/{family_id}/audit")
def family_audit_page(family_id: FamilyId, request: Request) -> Response:
    st = state_of(request)
    family_view(st, family_id, st.settings.judge)
    job = start_audit(st, family_id, st.settings.judge)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.post("/families/{family_id}/source")
async def family_source_page(family_id: FamilyId, request: Request) -> Response:
    from retold.web.pages import read_form

    form = await read_form(request)
    set_source(state_of(request), family_id, form_id(form.get("article"), "article"))
    return RedirectResponse(f"/families/{family_id}", status_code=303)


@router.get("/families/{family_id}/audits/{article_id}", response_class=HTMLResponse)
def member_audit_page(family_id: FamilyId, article_id: ArticleId, request: Request) -> HTMLResponse:
    """The stored audit of one member against the family's source, as the full report."""
    from retold.report.html import render_html, script_csp

    st = state_of(request)
    with st.store() as store:
        audits = store.family_audits(family_id, st.settings.judge)
    if article_id not in audits:
        raise ApiError(404, f"article {article_id} of family {family_id} is not audited yet")
    links = [("retold", "/"), (f"Family {family_id}", f"/families/{family_id}")]
    html = render_html(audits[article_id].audit, links=links)
    return HTMLResponse(html, headers={"Content-Security-Policy": script_csp()})
