"""The web guards as a property of every route, not of the routes someone remembered: walk
all routes of the app (API, pages, OpenAPI, docs, static) and send each hostile Host
headers, cross-site Origins and Sec-Fetch-Site, and out-of-range or oversized values for
every parameter; fuzz the JSON API bodies with Hypothesis (derandomized, bounded). A new
route is covered the day it is added. Nothing may answer 500 or show a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from annotated_types import Ge, Le
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from retold.settings import Settings
from retold.store import open_store
from retold.store.base import SourceArticle
from retold.web.app import create_app
from retold.web.params import MAX_ID
from tests.test_web_api import RETELLING, SOURCE, csrf

BASE = "http://127.0.0.1:8000"
MAX_BODY = 200_000  # small, so "up to the body limit" stays cheap
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
FOREIGN_HOSTS = ["127.0.0.1.evil.example", "127.evil.example", "evil.com", "127.0.0.1.nip.io"]
MALFORMED_HOSTS = ["", "[::1]x", "::1", "a:b:c", "127.0.0.1:x"]
CROSS_SITE = [
    {"Origin": "null"},
    {"Origin": "http://evil.example"},
    {"Origin": "http://127.0.0.1:1"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
]
# httpx refuses URLs over 64 KiB: 60k here, 100k through raw ASGI below
BAD_VALUES = [str(2**64), str(2**63), "-1", str(10**30), "abc", "x" * 60_000, "", "1.5", "٣"]
SAMPLE = {int: "1", str: "0123456789abcdef"}


def _walk(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        sub = getattr(route, "original_router", None)  # an included router (FastAPI >= 0.16x)
        if sub is not None:
            yield from _walk(sub.routes)
        else:
            yield route


def _base_type(annotation: Any) -> type | None:
    args = getattr(annotation, "__args__", None)
    if args:  # str | None
        return next((a for a in args if a in (int, str)), None)
    return annotation if annotation in (int, str) else None


def _params(route: APIRoute) -> list[tuple[str, str, type]]:
    d = route.dependant
    out = [("path", p.name, _base_type(p.field_info.annotation)) for p in d.path_params]
    out += [("query", p.name, _base_type(p.field_info.annotation)) for p in d.query_params]
    return [(where, name, kind) for where, name, kind in out if kind is not None]


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Any:
    db = tmp_path_factory.mktemp("walk") / "walk.db"
    with open_store(db) as store:  # id 1 exists: valid ids reach real code
        store.add_articles([SourceArticle(text=SOURCE, title="s", origin="s", url="javascript:x")])
    return create_app(
        Settings(web_compare_processes=0, web_max_body_bytes=MAX_BODY, fetch_host_delay_s=0.0),
        db=str(db),
    )


@pytest.fixture(scope="module")
def c(app) -> TestClient:
    return TestClient(app, base_url=BASE)


@pytest.fixture(scope="module")
def token(c: TestClient) -> str:
    return csrf(c)


def endpoints(app: Any) -> list[tuple[str, str, APIRoute | None]]:
    """(method, path, route) for every route; paths with sample values filled in."""
    out = []
    for route in _walk(app.fastapi.routes):
        path = getattr(route, "path", None)
        if path is None:
            continue
        if isinstance(route, APIRoute):
            for where, name, kind in _params(route):
                if where == "path":
                    path = path.replace("{" + name + "}", SAMPLE[kind])
            methods = sorted(route.methods)
        elif path == "/static":  # the mount
            path, methods = "/static/app.css", ["GET"]
        else:
            methods = sorted(getattr(route, "methods", None) or {"GET"})
        out.extend((m, path, route if isinstance(route, APIRoute) else None) for m in methods)
    return out


def send(c: TestClient, method: str, path: str, token: str = "", **kw: Any) -> Any:
    if method in UNSAFE and not path.startswith("/api"):
        kw.setdefault("data", {"csrf_token": token})
    elif method in UNSAFE:
        kw.setdefault("json", {})
    return c.request(method, path, follow_redirects=False, **kw)


def no_crash(r: Any, what: str) -> None:
    assert r.status_code < 500, f"{what}: {r.status_code} {r.text[:300]}"
    assert "Traceback" not in r.text and 'File "/' not in r.text, what


def test_the_walk_sees_every_route_of_the_spec(app, c: TestClient) -> None:
    spec = c.get("/api/openapi.json").json()
    walked = {(m, r.path) for m, _, r in endpoints(app) if r is not None}
    in_spec = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert in_spec <= walked
    assert ("POST", "/compare") in walked and ("GET", "/articles/{article_id}") in walked
    assert len(walked) >= 30


def test_every_integer_parameter_is_bounded(app) -> None:
    """An int the store cannot hold must be refused at the edge: each int path, query and
    body field carries ge/le bounds within the 64-bit range."""

    def bounded(metadata: list[Any], what: str) -> None:
        ge = [m.ge for m in metadata if isinstance(m, Ge)]
        le = [m.le for m in metadata if isinstance(m, Le)]
        assert ge and le and ge[0] >= 0 and le[0] <= MAX_ID, f"{what} is not bounded"

    def body_ints(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, Any]]:
        for name, field in model.model_fields.items():
            ann = field.annotation
            if ann is int:
                yield f"{prefix}.{name}", field
            for sub in (ann, *getattr(ann, "__args__", ())):
                if isinstance(sub, type) and issubclass(sub, BaseModel):
                    yield from body_ints(sub, f"{prefix}.{name}")

    checked = 0
    for _, _path, route in endpoints(app):
        if route is None:
            continue
        for p in route.dependant.path_params + route.dependant.query_params:
            if _base_type(p.field_info.annotation) is int:
                bounded(p.field_info.metadata, f"{route.path} {p.name}")
                checked += 1
        for b in route.dependant.body_params:
            model = b.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                for what, field in body_ints(model, route.path):
                    bounded(field.metadata, what)
                    checked += 1
    assert checked >= 15


@pytest.mark.parametrize("host", FOREIGN_HOSTS + MALFORMED_HOSTS)
def test_every_route_refuses_hostile_hosts(app, c: TestClient, token: str, host: str) -> None:
    expected = 403 if host in FOREIGN_HOSTS else 400
    for method, path, _ in endpoints(app):
        r = send(c, method, path, token, headers={"Host": host})
        assert r.status_code == expected, (method, path, host, r.status_code)
        no_crash(r, f"{method} {path} Host {host!r}")


@pytest.mark.parametrize("headers", CROSS_SITE, ids=lambda h: "-".join(h.values()))
def test_every_unsafe_route_refuses_cross_site(app, c, token: str, headers: dict) -> None:
    unsafe = [(m, p) for m, p, _ in endpoints(app) if m in UNSAFE]
    assert len(unsafe) >= 10
    for method, path in unsafe:
        r = send(c, method, path, token, headers=headers)
        assert r.status_code == 403 and "cross-site" in r.text, (method, path, r.status_code)


def test_every_page_post_needs_the_csrf_token(app, c: TestClient) -> None:
    pages = [(m, p) for m, p, _ in endpoints(app) if m in UNSAFE and not p.startswith("/api")]
    assert len(pages) >= 6
    for method, path in pages:
        r = c.request(method, path, data={"csrf_token": "0" * 64}, follow_redirects=False)
        assert r.status_code == 403 and "csrf_token" in r.text, (method, path)


def test_every_parameter_survives_hostile_values(app, c: TestClient, token: str) -> None:
    sent = 0
    for method, _, route in endpoints(app):
        if route is None:
            continue
        params = _params(route)
        for where, name, kind in params:
            for value in BAD_VALUES:
                path, query = route.path, {}
                for w2, n2, k2 in params:
                    v = value if (w2, n2) == (where, name) else SAMPLE[k2]
                    if w2 == "path":
                        path = path.replace("{" + n2 + "}", quote(v, safe=""))
                    else:
                        query[n2] = v
                r = send(c, method, path, token, params=query)
                what = f"{method} {route.path} {name}={value[:20]!r}"
                no_crash(r, what)
                if kind is int and where == "query":
                    assert r.status_code == 422, what  # any of these is out of range
                if kind is int and where == "path" and value:
                    assert r.status_code == 422, what
                sent += 1
    assert sent >= 150


_INT_STRATEGY = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.text(max_size=200),
    st.sampled_from(BAD_VALUES),
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_query_values_property(app, c: TestClient, token: str, data: st.DataObject) -> None:
    candidates = [
        (m, r, p) for m, _, r in endpoints(app) if r is not None for p in _params(r) if m == "GET"
    ]
    method, route, (where, name, kind) = data.draw(st.sampled_from(candidates))
    value = data.draw(_INT_STRATEGY)
    path = route.path
    query: dict[str, str] = {}
    for w2, n2, k2 in _params(route):
        v = value if n2 == name else SAMPLE[k2]
        if w2 == "path":
            path = path.replace("{" + n2 + "}", quote(v, safe="") or "0")
        else:
            query[n2] = v
    r = send(c, method, path, token, params=query)
    no_crash(r, f"{method} {route.path} {name}={value[:30]!r}")
    event(f"status {r.status_code}")
    if kind is int and where == "query":
        stripped = value.strip()
        in_range = stripped.lstrip("+-").isdigit() and 0 <= int(stripped) <= MAX_ID
        if not in_range:
            assert r.status_code == 422, (route.path, name, value[:30])


# --------------------------------------------------------------------------- JSON bodies

NOT_FETCHABLE = ["file:///etc/passwd", "javascript:alert(1)", "ftp://x.example/", "",
                 "http://127.0.0.1:9/x", "http://[::1]:9/", "http://10.0.0.1/", "//x"]  # fmt: skip
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
# a filler that is no English text: checked and refused fast, never audited at length
_big = st.sampled_from([MAX_BODY // 2, MAX_BODY - 300, MAX_BODY + 10]).map(
    lambda n: "zq " * (n // 3)
)
_text = st.one_of(st.text(max_size=300), _big, st.just(SOURCE), st.just(RETELLING))
_article = st.one_of(
    st.fixed_dictionaries({}, optional={"text": _text, "title": st.text(max_size=30)}),
    st.fixed_dictionaries({"url": st.sampled_from(NOT_FETCHABLE)}),
    _json,
)
_compare = st.one_of(
    st.fixed_dictionaries(
        {"source": _article, "retelling": _article},
        optional={"judge": st.one_of(st.text(max_size=20), _json)},
    ),
    _json,
)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.sampled_from(
        ["/api/compare", "/api/style", "/api/families/1/source", "/api/families/1/audit"]
    ),
    body=st.one_of(
        _compare,
        st.fixed_dictionaries({"articles": st.lists(_article, max_size=3)}),
        st.fixed_dictionaries({"article": _json}),
        _json,
    ),
    raw=st.booleans(),
)
def test_json_bodies_property(c: TestClient, target: str, body: Any, raw: bool) -> None:
    if raw:  # NaN, Infinity and huge ints as Python writes them: not strict JSON
        r = c.post(target, content=json.dumps(body), headers={"content-type": "application/json"})
    else:
        try:
            payload = json.dumps(body, allow_nan=False)
        except ValueError:
            payload = "[NaN"
        r = c.post(target, content=payload, headers={"content-type": "application/json"})
    no_crash(r, f"POST {target}")
    event(f"{target} -> {r.status_code}")  # --hypothesis-show-statistics: what was reached
    assert r.status_code in (200, 400, 404, 413, 422), (target, r.status_code, r.text[:300])
    err = r.json().get("error") if r.status_code != 200 else None
    if err is not None:
        assert err["status"] == r.status_code and "\n" not in err["message"]


def test_unknown_paths_and_methods_answer_cleanly(c: TestClient) -> None:
    cases = [("GET", "/nope"), ("DELETE", "/api/articles/1"), ("PUT", "/compare"),
             ("GET", "/api/" + "a" * 60_000), ("POST", "/static/app.css")]  # fmt: skip
    for method, path in cases:
        r = c.request(method, path)
        no_crash(r, f"{method} {path[:40]}")
        assert r.status_code in (403, 404, 405), (method, path[:40], r.status_code)


async def _asgi_get(app: Any, path: str, query: bytes) -> tuple[int, bytes]:
    """One GET straight through the ASGI app: no client-side URL length limit."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "headers": [(b"host", b"127.0.0.1:8000")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_100k_character_values_through_asgi(app) -> None:
    import anyio

    huge = "x" * 100_000
    digits = "9" * 100_000
    for method, _, route in endpoints(app):
        if route is None or method != "GET":
            continue
        for where, name, kind in _params(route):
            for value in (huge, digits):
                path, query = route.path, []
                for w2, n2, k2 in _params(route):
                    v = value if n2 == name else SAMPLE[k2]
                    if w2 == "path":
                        path = path.replace("{" + n2 + "}", v)
                    else:
                        query.append(f"{n2}={v}")
                status, body = anyio.run(_asgi_get, app, path, "&".join(query).encode())
                assert status < 500 and b"Traceback" not in body, (route.path, name, status)
                if kind is int:
                    assert status == 422, (route.path, name, where, status)
