"""HTML responses of the web app: pages from ``retold.report.pages`` templates under a
Content-Security-Policy that allows only this server's own script and stylesheet (so article
text can never run), and audit reports from ``retold.report.html`` under their own CSP."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from retold.report.html import render_html, script_csp
from retold.report.pages import render
from retold.web.security import CSRF_SCOPE_TOKEN

__all__ = ["PAGE_CSP", "audit_report", "page"]

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page; its forms carry this request's CSRF token (set by the request guard)."""
    return HTMLResponse(
        render(
            template, status=status, csrf_token=request.scope.get(CSRF_SCOPE_TOKEN, ""), **context
        ),
        status_code=status,
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"},
    )


def audit_report(
    data: dict[str, Any], links: list[tuple[str, str]], *, no_store: bool = True
) -> HTMLResponse:
    """The audit dict as the full report page; ``links`` (label, href) are its nav bar.
    ``no_store``: the browser must not cache it (results of this session)."""
    headers = {"Content-Security-Policy": script_csp()}
    if no_store:
        headers["Cache-Control"] = "no-store"
    return HTMLResponse(render_html(data, links=links), headers=headers)
