"""Regression tests for the web guards: DNS rebinding through look-alike Host names,
``Origin: null`` and ``Sec-Fetch-Site`` cross-site posts, the CSRF token of page forms,
the byte-bounded result cache, integers beyond 64 bits, exceptions after a response, and
stored ``javascript:`` URLs. Each failed before its fix."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from retold.errors import RetoldError
from retold.report.pages import TEMPLATES, http_href, url_link
from retold.settings import Settings
from retold.web.app import WebState, create_app
from retold.web.security import is_loopback_host, parse_allowed_hosts, parse_host
from tests.test_web_api import RETELLING, SOURCE, client, csrf, error_of

PAIR = {"source": {"text": SOURCE}, "retelling": {"text": RETELLING}}


def one_line(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text, text[:300]


# --------------------------------------------------------------------------- Host


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1.evil.example:8000",  # a name that starts like a loopback address
        "127.evil.example",
        "127.0.0.1.nip.io",
        "localhost.evil.example",
        "evil.com",
        "127.1",  # inet_aton shorthand: not a dotted-quad literal
        "2130706433",
        "[::ffff:127.0.0.1]",
    ],
)
def test_look_alike_hosts_are_refused(tmp_path: Path, host: str) -> None:
    r = client(tmp_path).get("/api/health", headers={"Host": host})
    assert r.status_code == 403, (host, r.text)
    assert host[:30] in error_of(r) and "--allowed-host" in error_of(r)
    page = client(tmp_path).get("/", headers={"Host": host})
    assert page.status_code == 403 and "is not served" in page.text


@pytest.mark.parametrize(
    "host",
    ["", " ", "[::1]x", "::1", "a:b:c", "127.0.0.1:", "127.0.0.1:abc", "127.0.0.1:99999",
     "evil@127.0.0.1", "127.0.0.1/x", "exa mple", "[zz::1]", "127.0.0.1:+80"],
)  # fmt: skip
def test_malformed_hosts_are_400(tmp_path: Path, host: str) -> None:
    r = client(tmp_path).get("/api/health", headers={"Host": host})
    assert r.status_code == 400, (host, r.text)
    message = error_of(r)
    assert message.startswith("Host header") and "\n" not in message


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST:8000", "localhost.", "127.0.0.1", "127.8.9.10:1", "[::1]:80"]
)
def test_loopback_hosts_are_served(tmp_path: Path, host: str) -> None:
    assert client(tmp_path).get("/api/health", headers={"Host": host}).status_code == 200


def test_is_loopback_host_parses_addresses() -> None:
    for yes in ("127.0.0.1", "127.255.255.254", "localhost", "::1", "[::1]", "[::1]:8000"):
        assert is_loopback_host(yes), yes
    for no in ("127.0.0.1.evil.example", "127.evil.example", "0.0.0.0", "::", "128.0.0.1", ""):
        assert not is_loopback_host(no), no
    assert parse_host("[0:0::1]:8080") == ("[::1]", 8080)
    with pytest.raises(ValueError, match="brackets"):
        parse_host("::1")


def test_allowed_hosts_setting_and_option(tmp_path: Path) -> None:
    app = create_app(
        Settings(web_compare_processes=0, web_allowed_hosts="retold.lan, Proxy.Example."),
        db=str(tmp_path / "a.db"),
    )
    c = TestClient(app, base_url="http://127.0.0.1")
    for ok in ("retold.lan:8080", "proxy.example", "127.0.0.1"):
        assert c.get("/api/health", headers={"Host": ok}).status_code == 200, ok
    r = c.get("/api/health", headers={"Host": "retold.lan.evil.example"})
    assert r.status_code == 403 and "retold.lan" in error_of(r)
    with pytest.raises(RetoldError, match="web_allowed_hosts: 'bad!' is not a host name"):
        parse_allowed_hosts("good.example, bad!")
    with pytest.raises(RetoldError, match="without a port"):
        parse_allowed_hosts(["x.example:80"])
    with pytest.raises(RetoldError, match="web_allowed_hosts"):
        create_app(Settings(web_allowed_hosts="a..b"))
    # a non-loopback server given names checks them too (the token guards the rest)
    app = create_app(
        Settings(web_compare_processes=0, web_allowed_hosts="retold.lan"),
        db=str(tmp_path / "b.db"),
        token="t" * 20,
        loopback_only=False,
    )
    c = TestClient(app, base_url="http://127.0.0.1")
    assert c.get("/api/health", headers={"Host": "retold.lan"}).status_code == 200
    assert c.get("/api/health", headers={"Host": "other.example"}).status_code == 403


def test_serve_rejects_a_bad_allowed_host() -> None:
    from tests.conftest import run_cli

    r = run_cli("serve", "--port", "1", "--allowed-host", "bad host!")
    assert r.returncode == 2 and b"web_allowed_hosts: 'bad host!'" in r.stderr
    assert b"Traceback" not in r.stderr


# --------------------------------------------------------------------------- cross-site


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "null"},  # sandboxed iframes, data: pages
        {"Origin": "http://127.0.0.1:1"},  # another port on localhost is another origin
        {"Origin": "https://127.0.0.1:8000"},  # another scheme
        {"Origin": "http://localhost:8000"},  # another name for the same socket
        {"Origin": "http://127.0.0.1:8000@evil.example"},
        {"Origin": "garbage"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://127.0.0.1:8000"},
    ],
)
def test_cross_site_posts_are_refused(tmp_path: Path, headers: dict[str, str]) -> None:
    c = client(tmp_path)
    r = c.post("/api/compare", json=PAIR, headers=headers)
    assert r.status_code == 403 and "cross-site" in error_of(r), r.text
    assert c.post("/api/families/update", headers=headers).status_code == 403
    # the page routes refuse it before the CSRF token is even looked at
    token = csrf(c, "/ingest")
    files = [("files", ("a.txt", f"Pilots\n\n{SOURCE}".encode(), "text/plain"))]
    r = c.post("/ingest", data={"csrf_token": token}, files=files, headers=headers)
    assert r.status_code == 403 and "cross-site" in r.text
    assert c.get("/api/articles").json()["total"] == 0  # nothing was created


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:8000", "Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},  # typed into the address bar
        {"Origin": "http://127.0.0.1:8000"},
        {},  # curl and scripts
    ],
)
def test_same_origin_and_non_browser_posts_pass(tmp_path: Path, headers: dict[str, str]) -> None:
    r = client(tmp_path).post("/api/compare", json=PAIR, headers=headers)
    assert r.status_code == 200, r.text


def test_api_refuses_browser_form_content_types(tmp_path: Path) -> None:
    c = client(tmp_path)
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x"):
        r = c.post("/api/families/update", content=b"{}", headers={"Content-Type": ctype})
        assert r.status_code == 415 and "application/json" in error_of(r), ctype
    assert c.post("/api/families/update").status_code == 202  # no body: curl -X POST


def test_page_forms_need_the_csrf_token(tmp_path: Path) -> None:
    c = client(tmp_path)
    page = c.get("/ingest")
    set_cookie = page.headers["set-cookie"]
    assert "retold_csrf=" in set_cookie and "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie
    token = csrf(c, "/ingest")
    assert c.get("/ingest").headers.get("set-cookie") is None  # kept, not rotated
    form = {"urls": "http://127.0.0.1:9/feed.xml"}
    for bad in ({}, {"csrf_token": ""}, {"csrf_token": "0" * 64}, {"csrf_token": "é" * 64}):
        r = c.post("/ingest", data={**form, **bad}, follow_redirects=False)
        assert r.status_code == 403 and "csrf_token" in r.text and "reload" in r.text, bad
    for route in ("/compare", "/families/update", "/families/1/audit", "/families/1/source"):
        assert c.post(route, data=form).status_code == 403, route
    ok = c.post("/ingest", data={**form, "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].startswith("/jobs/")
    # another browser (another cookie) cannot replay this browser's token
    other = TestClient(c.app, base_url="http://127.0.0.1:8000")
    csrf(other, "/ingest")
    assert other.post("/ingest", data={**form, "csrf_token": token}).status_code == 403
    # nor can a forged cookie be paired with a token of the attacker's making
    other.cookies.set("retold_csrf", "a" * 32)
    assert other.post("/ingest", data={**form, "csrf_token": token}).status_code == 403
    # a restarted server (new secret) refuses the old page's token
    again = client(tmp_path)
    again.cookies = c.cookies
    assert again.post("/ingest", data={**form, "csrf_token": token}).status_code == 403
    # the JSON API needs no form token
    assert c.post("/api/ingest", json={"urls": form["urls"].split()}).status_code == 202


def test_login_form_needs_the_token_and_bearer_still_works(tmp_path: Path) -> None:
    c = client(tmp_path, token="correct-horse-battery-staple", loopback_only=False)
    r = c.post("/login", data={"token": "correct-horse-battery-staple"})
    assert r.status_code == 403 and "csrf_token" in r.text
    auth = {"Authorization": "Bearer correct-horse-battery-staple"}
    assert c.post("/api/compare", json=PAIR, headers=auth).status_code == 200
    assert c.post("/api/compare", json=PAIR).status_code == 401


# --------------------------------------------------------------------------- result cache


def test_result_cache_is_bounded_by_bytes() -> None:
    st = WebState(
        Settings(web_compare_processes=0, web_results_max_bytes=1000, web_results_kept=500)
    )
    for i in range(5):
        assert st.remember(f"r{i}", b"x" * 400)
        assert st.results_bytes == sum(len(v) for v in st.results.values()) <= 1000
    assert list(st.results) == ["r3", "r4"]  # oldest dropped first
    assert not st.remember("big", b"y" * 1001)  # larger than the whole budget
    assert st.result("big") is None and list(st.results) == ["r3", "r4"]
    assert st.remember("fits", b"z" * 1000)  # exactly the budget: everything else goes
    assert list(st.results) == ["fits"] and st.results_bytes == 1000
    small = WebState(Settings(web_compare_processes=0, web_results_kept=2))
    for i in range(4):
        small.remember(f"s{i}", b"{}")
    assert list(small.results) == ["s2", "s3"]  # the count bound still holds


def test_a_result_over_the_budget_is_returned_but_not_kept(tmp_path: Path) -> None:
    plain = client(tmp_path).post("/api/compare", json=PAIR)
    size = len(plain.content)
    assert plain.json()["kept"] is True
    app = create_app(
        Settings(web_compare_processes=0, web_results_max_bytes=size // 2),
        db=str(tmp_path / "c.db"),
    )
    c = TestClient(app, base_url="http://127.0.0.1")
    r = c.post("/api/compare", json=PAIR)
    body = r.json()
    assert r.status_code == 200 and body["kept"] is False and body["report_url"] is None
    assert body["audit"]["changes"] == plain.json()["audit"]["changes"]
    assert c.get(f"/api/results/{body['id']}").status_code == 404
    assert app.state.results_bytes == 0 and not app.state.results
    page = c.post("/compare", data={"source_text": SOURCE, "retelling_text": RETELLING,
                                    "csrf_token": csrf(c)}, follow_redirects=False)  # fmt: skip
    assert page.status_code == 200 and "40 more pilots" in page.text
    assert "Not kept" in page.text and "web_results_max_bytes" in page.text


def test_two_results_in_a_budget_for_one_and_a_half(tmp_path: Path) -> None:
    audit = client(tmp_path).post("/api/compare", json=PAIR).json()["audit"]
    size = len(json.dumps(audit, ensure_ascii=False, separators=(",", ":")).encode())
    app = create_app(
        Settings(web_compare_processes=0, web_results_max_bytes=int(size * 1.5)),
        db=str(tmp_path / "d.db"),
    )
    c = TestClient(app, base_url="http://127.0.0.1")
    first = c.post("/api/compare", json=PAIR).json()
    second = c.post("/api/compare", json=PAIR).json()
    assert first["kept"] and second["kept"]
    assert c.get(f"/api/results/{first['id']}").status_code == 404  # evicted
    again = c.get(f"/api/results/{second['id']}")
    assert again.status_code == 200 and again.json()["audit"] == second["audit"]
    assert app.state.results_bytes <= int(size * 1.5)


# --------------------------------------------------------------------------- integer ranges


BIG = str(2**63)  # one past the largest 64-bit id


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/api/articles?offset={BIG}", "offset"),
        (f"/api/families?offset={BIG}", "offset"),
        ("/api/audits?source_id=99999999999999999999999&retelling_id=1", "source_id"),
        (f"/api/audits?source_id=1&retelling_id={BIG}", "retelling_id"),
        ("/api/audits?source_id=-1&retelling_id=1", "source_id"),
        (f"/api/articles/{BIG}", "article_id"),
        (f"/api/families/{BIG}", "family_id"),
        (f"/articles?page_no={BIG}", "page_no"),
        ("/articles?page_no=0", "page_no"),
        (f"/families?page_no={BIG}", "page_no"),
        (f"/articles/{BIG}", "article_id"),
        (f"/families/{BIG}", "family_id"),
        (f"/families/1/audits/{BIG}", "article_id"),
        ("/articles/-1", "article_id"),
        (f"/api/articles?offset={'9' * 5000}", "offset"),
    ],
)
def test_out_of_range_integers_are_422(tmp_path: Path, url: str, field: str) -> None:
    r = client(tmp_path).get(url)
    assert r.status_code == 422, (url, r.status_code, r.text[:300])
    text = error_of(r) if url.startswith("/api") else r.text
    assert field in text and "Traceback" not in text
    if url.startswith("/api"):
        assert "\n" not in text


def test_out_of_range_integers_in_bodies_and_forms(tmp_path: Path) -> None:
    c = client(tmp_path)
    r = c.post(f"/api/families/{BIG}/source", json={"article": 1})
    assert r.status_code == 422 and "family_id" in error_of(r)
    r = c.post("/api/families/1/source", json={"article": 2**64})
    assert r.status_code == 422 and "article" in error_of(r)
    assert c.post(f"/api/families/{BIG}/audit", json={}).status_code == 422
    token = csrf(c)
    for raw in (BIG, "²", "٣", "-1", "1e3", "9" * 5000, ""):
        r = c.post("/families/1/source", data={"article": raw, "csrf_token": token})
        assert r.status_code == 422 and "article:" in r.text, raw
    assert c.post(f"/families/{BIG}/audit", data={"csrf_token": token}).status_code == 422


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[int, object]]:
    """The app under uvicorn in a thread (a real socket: keep-alive is observable)."""
    import uvicorn

    app = create_app(Settings(web_compare_processes=0), db=str(tmp_path / "live.db"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield port, app
    server.should_exit = True
    thread.join(timeout=10)


def _exchange(sock: socket.socket, path: str) -> tuple[int, bytes]:
    """One HTTP/1.1 request on an open connection; the status and body."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before the response to {path}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.IGNORECASE).group(1))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed in the body of {path}"
        body += chunk
    return int(head.split()[1]), body


def test_errors_keep_the_connection_alive(live_server) -> None:
    port, app = live_server

    def boom() -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    app.fastapi.add_api_route("/api/boom", boom)  # an unforeseen bug in some route
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        assert _exchange(sock, f"/api/articles?offset={BIG}")[0] == 422
        assert _exchange(sock, f"/articles?page_no={BIG}")[0] == 422
        status, body = _exchange(sock, "/api/boom")
        assert status == 500 and b"internal error: OverflowError" in body
        assert b"Traceback" not in body and b"SQLite" not in body
        assert _exchange(sock, "/api/health")[0] == 200  # the same connection still works


# --------------------------------------------------------------------------- stored URLs


HOSTILE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "http:alert(1)",
    "https://ok.example/a b",
]


def test_http_href_links_only_http_urls() -> None:
    for bad in HOSTILE_URLS:
        assert http_href(bad) is None, bad
        assert "<a" not in url_link(bad), bad
    for good in ("https://ok.example/a?b=1#c", "HTTP://OK.example", "http://[::1]:8000/x"):
        assert http_href(good) == good
    assert str(url_link('https://x.example/"><script>')).count("<script>") == 0


def test_stored_javascript_urls_render_as_text(tmp_path: Path) -> None:
    from retold.store import open_store
    from retold.store.base import SourceArticle

    db = tmp_path / "urls.db"
    urls = [*HOSTILE_URLS[:6], "https://ok.example/story"]
    with open_store(db) as store:
        store.add_articles(
            SourceArticle(text=f"{SOURCE} Copy {i}.", title=f"t{i}", origin=f"o{i}", url=u)
            for i, u in enumerate(urls)
        )
        ids = [a.id for a in sorted(store.list(limit=50), key=lambda a: a.title)]
    c = client(tmp_path, db=str(db))
    for article_id, url in zip(ids, urls, strict=True):
        html = c.get(f"/articles/{article_id}").text
        hrefs = re.findall(r'href="([^"]*)"', html)
        assert not any(h.strip().lower().startswith(("java", "data", "&#")) for h in hrefs), url
        if url.startswith("https://"):
            assert f'href="{url}"' in html
        else:
            assert 'class="url"' in html, url


def test_templates_link_urls_through_the_one_rule() -> None:
    """Every dynamic href in the web and report templates is a path of this server or an
    internal helper's; stored URLs go through ``url_link``, never into an href directly."""
    report = TEMPLATES.parents[1] / "report" / "templates"
    for tpl in [*TEMPLATES.glob("*.j2"), *report.glob("*.j2")]:
        for attr in re.findall(r'href="([^"]*)"', tpl.read_text("utf-8")):
            if "{{" not in attr:
                continue
            prefix = attr.split("{{", 1)[0]
            helpers = {e.split("(")[0].strip() for e in re.findall(r"\{\{(.*?)\}\}", attr)}
            # "/x{{ id }}": the scheme is fixed; "/{{ x }}" could become "//evil.example"
            internal_path = prefix.startswith("/") and len(prefix) > 1
            assert internal_path or helpers <= {"member_href", "href"}, f"{tpl.name}: {attr}"
