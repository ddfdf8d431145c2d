"""Site pages: ``/sites`` (profiles, highest content-farm score first, and a picture of the
copy network) and ``/sites/{site}`` (one profile with its evidence, linking to the
families behind it). The data comes from ``web.site_services``; the API is in ``web.api``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from retold.report.netplot import network_svg
from retold.web import site_services as sites
from retold.web.params import PER_PAGE, PageNo, SiteName
from retold.web.render import page
from retold.web.state import state_of

router = APIRouter()


@router.get("/sites", response_class=HTMLResponse)
def sites_page(request: Request, page_no: PageNo = 1) -> HTMLResponse:
    st = state_of(request)
    data = sites.sites_list(st, PER_PAGE, (page_no - 1) * PER_PAGE)
    pages = max((data["total"] + PER_PAGE - 1) // PER_PAGE, 1)
    picture = network_svg(sites.sites_network(st), st.settings.sites_farm_at)
    return page(
        request, "sites.html.j2", data=data, page_no=page_no, pages=pages, picture=picture,
        farm_at=st.settings.sites_farm_at,
    )  # fmt: skip


@router.get("/sites/{site}", response_class=HTMLResponse)
def site_page(site: SiteName, request: Request) -> HTMLResponse:
    st = state_of(request)
    p = sites.site_profile(st, site)
    return page(request, "site.html.j2", p=p, farm_at=st.settings.sites_farm_at)
