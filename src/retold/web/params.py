"""Integer parameters of the web routes, bounded at the edge: a value the store cannot hold
(SQLite and PostgreSQL integers are 64-bit signed) is a 422 naming the parameter, never an
``OverflowError`` deep in a query. Every int path, query, body or form value of a route uses
one of these (tests/test_web_guard.py walks the routes and checks)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from retold.errors import InputError

# the store's integer range: ids and offsets are 0..MAX_ID (a storage bound, not a tunable)
MAX_ID = 2**63 - 1
MAX_LIST = 500  # rows per API page
PER_PAGE = 50  # rows per HTML page
MAX_PAGE = MAX_ID // PER_PAGE  # so (page_no - 1) * PER_PAGE stays a valid offset

ArticleId = Annotated[int, Path(ge=0, le=MAX_ID, description="Stored article id.")]
FamilyId = Annotated[int, Path(ge=0, le=MAX_ID, description="Story family id.")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Rows to skip.")]
PageNo = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
# a site name (registrable domain) or a URL of one; longer values are a 422, not a search
SiteName = Annotated[
    str, Path(min_length=1, max_length=300, description="Site (registrable domain) or a URL.")
]


def form_id(value: object, field: str) -> int:
    """A stored id from a form field: ASCII digits within 0..MAX_ID, else an ``InputError``
    naming ``field`` (``str.isdigit`` would pass "²", which ``int`` then refuses)."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise InputError(f"{field}: a stored id (digits) is needed")
    digits = value.lstrip("0") or "0"
    if len(digits) > 19 or int(digits) > MAX_ID:  # length first: int() of 5000 digits fails
        raise InputError(f"{field}: {value[:40]} is larger than the largest id {MAX_ID}")
    return int(digits)
