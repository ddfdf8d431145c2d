"""HTML form posts: the form (parsed once, within the server's body limit), its fields and
uploads, and the CSRF check every page form post passes (an app-wide dependency)."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from retold.web.errors import ApiError
from retold.web.security import CSRF_FIELD, CSRF_SCOPE_EXPECTED, UNSAFE_METHODS, is_api_path
from retold.web.state import state_of


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


def form_field(form: Any, name: str) -> str:
    """A text field's value ("" when absent or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def form_upload(form: Any, name: str) -> tuple[bytes | None, str]:
    """An uploaded file's bytes and name ((None, "") when none was chosen)."""
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return await value.read(), value.filename
    return None, ""
