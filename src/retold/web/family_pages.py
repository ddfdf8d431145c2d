"""Story family pages: ``/families`` (list) and ``/families/{id}`` (members, their audit
summaries, a fidelity plot, source override, audit job) and each member's audit report.
Grouping and auditing are background jobs; their API is in ``web.api``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from retold.report.plots import fidelity_plot
from retold.web import family_services as families
from retold.web.forms import read_form
from retold.web.params import PER_PAGE, ArticleId, FamilyId, PageNo, form_id
from retold.web.render import audit_report, page
from retold.web.state import state_of

router = APIRouter()


@router.get("/families", response_class=HTMLResponse)
def families_page(request: Request, page_no: PageNo = 1) -> HTMLResponse:
    data = families.families_list(state_of(request), PER_PAGE, (page_no - 1) * PER_PAGE)
    pages = max((data["total"] + PER_PAGE - 1) // PER_PAGE, 1)
    return page(request, "families.html.j2", data=data, page_no=page_no, pages=pages)


@router.post("/families/update")
def families_update_page(request: Request) -> Response:
    job = families.start_update(state_of(request))
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/families/{family_id}", response_class=HTMLResponse)
def family_page(family_id: FamilyId, request: Request) -> HTMLResponse:
    st = state_of(request)
    fam = families.family_view(st, family_id, st.settings.judge)
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
    families.family_view(st, family_id, st.settings.judge)  # 404 before queueing
    job = families.start_audit(st, family_id, st.settings.judge)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.post("/families/{family_id}/source")
async def family_source_page(family_id: FamilyId, request: Request) -> Response:
    form = await read_form(request)
    families.set_source(state_of(request), family_id, form_id(form.get("article"), "article"))
    return RedirectResponse(f"/families/{family_id}", status_code=303)


@router.get("/families/{family_id}/audits/{article_id}", response_class=HTMLResponse)
def member_audit_page(family_id: FamilyId, article_id: ArticleId, request: Request) -> HTMLResponse:
    """The stored audit of one member against the family's source, as the full report."""
    data = families.member_audit(state_of(request), family_id, article_id)
    links = [("retold", "/"), (f"Family {family_id}", f"/families/{family_id}")]
    return audit_report(data, links, no_store=False)
