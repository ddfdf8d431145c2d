"""`retold serve` over HTTP (httpx through the ASGI app): every API endpoint, the pages'
form handling, and the guards (bad JSON, oversize bodies, tokens, hosts, origins, path
traversal, SQL metacharacters, private URLs)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from retold.report.jsonout import validate
from retold.settings import Settings
from retold.web.app import create_app
from tests.test_fetch import HTML, article_html, serve

SOURCE = (
    "Harbour pilots in Velmar ended a two-day strike on Tuesday after the port authority "
    "agreed to hire 12 more pilots, authority director Anna Krol said. "
    '"We found a fair deal," Krol told reporters. The union had asked for 20 new posts.'
)
RETELLING = (
    "Harbour pilots in Velmar ended their strike on Tuesday after the port authority agreed "
    "to hire 40 more pilots, director Anna Krol said. "
    '"We crushed the union," Krol told reporters.'
)
TOKEN = "correct-horse-battery-staple"


def client(tmp_path: Path, **kw) -> TestClient:
    kw.setdefault("db", str(tmp_path / "web.db"))
    # audits in the server process: spawning worker processes per test costs seconds
    app = create_app(Settings(fetch_host_delay_s=0.0, web_compare_processes=0), **kw)
    return TestClient(app, base_url="http://127.0.0.1:8000")


def wait_job(c: TestClient, url: str, headers: dict | None = None) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = c.get(url, headers=headers or {}).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def csrf(c: TestClient, path: str = "/") -> str:
    """The CSRF token a page renders into its forms (the client keeps the cookie)."""
    m = re.search(r'name="csrf_token" value="([0-9a-f]+)"', c.get(path).text)
    assert m, f"no csrf_token field on {path}"
    return m.group(1)


def error_of(r) -> str:
    body = r.json()
    assert set(body) == {"error"} and body["error"]["status"] == r.status_code
    return body["error"]["message"]


# --------------------------------------------------------------------------- compare


def test_compare_api_returns_a_valid_audit_and_keeps_the_result(tmp_path: Path) -> None:
    c = client(tmp_path)
    assert c.get("/api/health").json()["status"] == "ok"
    r = c.post("/api/compare", json={"source": {"text": SOURCE}, "retelling": {"text": RETELLING}})
    assert r.status_code == 200, r.text
    body = r.json()
    validate(body["audit"])
    changed = [ch for ch in body["audit"]["changes"] if ch["kind"] == "number"]
    assert any(ch["source_text"] == "12" and ch["retelling_text"] == "40" for ch in changed)
    verdicts = {q["verdict"] for q in body["audit"]["quotes"]}
    assert verdicts & {"unsourced", "altered", "fabricated"}
    again = c.get(f"/api/results/{body['id']}")
    assert again.json()["audit"] == body["audit"]
    page = c.get(body["report_url"])
    assert (
        page.status_code == 200 and "script-src 'sha256-" in page.headers["content-security-policy"]
    )
    assert "40 more pilots" in page.text


def test_compare_in_worker_processes_matches_in_process(tmp_path: Path) -> None:
    payload = {"source": {"text": SOURCE}, "retelling": {"text": RETELLING}}
    here = client(tmp_path).post("/api/compare", json=payload).json()["audit"]
    app = create_app(Settings(web_compare_processes=1), db=str(tmp_path / "p.db"))
    with TestClient(app, base_url="http://127.0.0.1") as c:  # runs the lifespan: pool stops
        r = c.post("/api/compare", json=payload)
        assert r.status_code == 200, r.text
        assert r.json()["audit"]["changes"] == here["changes"]
        assert r.json()["audit"]["claims"] == here["claims"]


@pytest.mark.parametrize(
    ("payload", "status", "needle"),
    [
        ({"source": {"text": SOURCE}}, 422, "retelling: Field required"),
        ({"source": {"text": SOURCE}, "retelling": {}}, 422, "retelling: give a text"),
        (
            {"source": {"text": SOURCE, "url": "https://x.org/a"}, "retelling": {"text": "x"}},
            422,
            "source: give only one of text, file or URL",
        ),
        ({"source": {"text": SOURCE}, "retelling": {"text": "   "}}, 422, "give a text"),
        (
            {"source": {"url": "file:///etc/passwd"}, "retelling": {"text": RETELLING}},
            422,
            "only http(s) URLs",
        ),
        (
            {"source": {"text": SOURCE}, "retelling": {"text": RETELLING}, "judge": "oracle"},
            400,
            "oracle",
        ),
    ],
)
def test_compare_api_bad_requests(tmp_path: Path, payload: dict, status: int, needle: str):
    r = client(tmp_path).post("/api/compare", json=payload)
    assert r.status_code == status, r.text
    assert needle in error_of(r)


def test_bad_json_unknown_ids_and_wrong_methods(tmp_path: Path) -> None:
    c = client(tmp_path)
    r = c.post("/api/compare", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and error_of(r) == "request body is not valid JSON"
    assert c.get("/api/results/0123456789abcdef").status_code == 404
    assert c.get("/api/results/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert c.get("/api/jobs/nope").status_code == 404
    assert c.get("/api/compare").status_code == 405
    assert c.get("/api/articles/abc").status_code == 422


def test_oversize_bodies_are_refused(tmp_path: Path) -> None:
    app = create_app(
        Settings(web_max_body_bytes=10_000, web_compare_processes=0), db=str(tmp_path / "x.db")
    )
    c = TestClient(app, base_url="http://127.0.0.1")
    big = {"source": {"text": "word " * 5000}, "retelling": {"text": "x"}}
    r = c.post("/api/compare", json=big)
    assert r.status_code == 413 and "10,000 bytes" in error_of(r)

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(30):
            yield b"x" * 1000

    r = c.post("/api/compare", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_private_urls_are_refused_unless_the_server_allows_them(tmp_path: Path) -> None:
    with serve({}) as srv:
        srv.routes["/a"] = (200, HTML, article_html(1, srv.port))
        srv.routes["/b"] = (200, HTML, article_html(2, srv.port))
        payload = {"source": {"url": srv.url("/a")}, "retelling": {"url": srv.url("/b")}}
        r = client(tmp_path).post("/api/compare", json=payload)
        assert r.status_code == 422 and "127.0.0.1" in error_of(r)
        assert srv.requests == []
        r = client(tmp_path, allow_private=True).post("/api/compare", json=payload)
        assert r.status_code == 200, r.text
        assert r.json()["audit"]["source"]["origin"] == srv.url("/a")


# --------------------------------------------------------------------------- guards


def test_token_protects_api_and_pages(tmp_path: Path) -> None:
    c = client(tmp_path, token=TOKEN, loopback_only=False)
    assert c.get("/api/health").status_code == 200  # liveness stays open
    r = c.get("/api/articles")
    assert r.status_code == 401 and "bearer token" in error_of(r)
    bad = c.get("/api/articles", headers={"Authorization": "Bearer wrong-token-wrong-token"})
    assert bad.status_code == 401
    ok = c.get("/api/articles", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json() == {"total": 0, "articles": []}
    page = c.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    token = csrf(c, "/login")
    assert c.post("/login", data={"token": "nope", "csrf_token": token}).status_code == 401
    logged = c.post("/login", data={"token": TOKEN, "csrf_token": token}, follow_redirects=False)
    assert logged.status_code == 303
    cookie = logged.cookies.get("retold_session")
    assert cookie and TOKEN not in cookie
    assert c.get("/").status_code == 200  # the client keeps the cookie
    c.cookies.clear()
    assert c.get("/", follow_redirects=False).status_code == 303


def test_foreign_hosts_and_cross_site_posts_are_refused(tmp_path: Path) -> None:
    c = client(tmp_path)
    r = c.get("/api/health", headers={"Host": "attacker.example"})
    assert r.status_code == 403 and "attacker.example" in error_of(r)
    assert c.get("/api/health", headers={"Host": "localhost:8000"}).status_code == 200
    payload = {"source": {"text": SOURCE}, "retelling": {"text": RETELLING}}
    r = c.post("/api/compare", json=payload, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "cross-site" in error_of(r)
    r = c.post("/api/compare", json=payload, headers={"Origin": "http://127.0.0.1:8000"})
    assert r.status_code == 200
    headers = c.get("/").headers
    assert headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in headers["content-security-policy"]


# --------------------------------------------------------------------------- ingest and data


def test_ingest_job_articles_and_sql_metacharacters(tmp_path: Path) -> None:
    c = client(tmp_path)
    evil = "Robert'); DROP TABLE articles; -- 100% _x_"
    r = c.post(
        "/api/ingest",
        json={
            "articles": [
                {"text": SOURCE, "title": evil, "site": "wire", "author": "A. Writer"},
                {"text": RETELLING, "title": "Copy", "site": "farm"},
                {"text": "no"},
            ]
        },
    )
    assert r.status_code == 202 and r.headers["location"] == r.json()["status_url"]
    job = wait_job(c, r.json()["status_url"])
    assert job["state"] == "done", job
    assert (job["result"]["new"], job["result"]["skipped"]) == (2, 1)
    assert "request#3" in job["result"]["skipped_examples"][0]["origin"]
    found = c.get("/api/articles", params={"q": evil}).json()
    assert found["total"] == 1 and found["articles"][0]["title"] == evil
    assert "text" not in found["articles"][0]
    assert c.get("/api/articles", params={"q": "'; DROP TABLE articles; --"}).status_code == 200
    assert c.get("/api/articles").json()["total"] == 2  # the table is still there
    one = c.get(f"/api/articles/{found['articles'][0]['id']}").json()
    assert one["text"] == SOURCE and one["author"] == "A. Writer"
    assert c.get("/api/articles/99999").status_code == 404
    assert c.get(f"/api/articles/{2**70}").status_code == 422  # beyond a 64-bit id
    assert c.get("/api/articles", params={"limit": 100000}).status_code == 422
    page = c.get("/articles", params={"q": evil})
    assert page.status_code == 200 and "Robert&#39;); DROP TABLE" in page.text


def test_ingest_paths_stay_inside_the_served_folder(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / "a.txt").write_text(f"Pilots\n\n{SOURCE}")
    (tmp_path / "secret.txt").write_text(f"Secret\n\n{RETELLING}")
    no_files = client(tmp_path).post("/api/ingest", json={"paths": ["a.txt"]})
    assert no_files.status_code == 403 and "--files" in error_of(no_files)
    c = client(tmp_path, files_root=served)
    for bad in ("../secret.txt", str(tmp_path / "secret.txt"), "a.txt/../../secret.txt"):
        r = c.post("/api/ingest", json={"paths": [bad]})
        assert r.status_code == 403 and "outside the served folder" in error_of(r), bad
    assert c.post("/api/ingest", json={"paths": ["*.txt"]}).status_code == 422
    assert c.post("/api/ingest", json={"paths": ["missing.txt"]}).status_code == 404
    assert c.post("/api/ingest", json={}).status_code == 422
    r = c.post("/api/ingest", json={"paths": ["a.txt"], "urls": ["ftp://x.org/feed"]})
    assert r.status_code == 422 and "only http(s)" in error_of(r)
    job = wait_job(c, c.post("/api/ingest", json={"paths": ["a.txt"]}).json()["status_url"])
    assert job["result"]["new"] == 1


def test_ingest_urls_report_private_addresses(tmp_path: Path) -> None:
    c = client(tmp_path)
    r = c.post("/api/ingest", json={"urls": ["http://127.0.0.1:9/feed.xml"]})
    job = wait_job(c, r.json()["status_url"])
    assert job["state"] == "done" and job["result"]["skipped"] == 1
    assert "--allow-private" in job["result"]["skipped_examples"][0]["reason"]


def test_stored_audits_endpoint(tmp_path: Path) -> None:
    from retold.store import open_store
    from retold.store.base import SourceArticle

    db = tmp_path / "web.db"
    with open_store(db) as store:
        store.add_articles([SourceArticle(text=SOURCE, title="s", origin="s")])
        store.add_articles([SourceArticle(text=RETELLING, title="r", origin="r")])
        store.save_audit(1, 2, "heuristic", {"schema_version": "1.0", "claims": []})
    c = client(tmp_path, db=str(db))
    r = c.get("/api/audits", params={"source_id": 1, "retelling_id": 2})
    assert r.status_code == 200 and r.json()["audit"]["claims"] == []
    assert c.get("/api/audits", params={"source_id": 2, "retelling_id": 1}).status_code == 404


def test_openapi_lists_every_endpoint_and_docs_page_is_offline(tmp_path: Path) -> None:
    c = client(tmp_path)
    paths = set(c.get("/api/openapi.json").json()["paths"])
    assert {
        "/api/health",
        "/api/compare",
        "/api/results/{result_id}",
        "/api/ingest",
        "/api/jobs/{job_id}",
        "/api/articles",
        "/api/articles/{article_id}",
        "/api/audits",
        "/api/style",
    } <= paths
    docs = c.get("/api/docs")
    assert docs.status_code == 200 and "/api/compare" in docs.text
    assert "cdn" not in docs.text.lower() and "http://" not in docs.text.replace("http://127", "")


# --------------------------------------------------------------------------- pages


def test_compare_form_upload_and_errors(tmp_path: Path) -> None:
    c = client(tmp_path)
    assert 'name="source_text"' in c.get("/").text
    token = csrf(c)
    r = c.post(
        "/compare",
        data={"source_text": SOURCE, "judge": "heuristic", "csrf_token": token},
        files={"retelling_file": ("copy.html", f"<p>{RETELLING}</p>".encode(), "text/html")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/results/")
    report = c.get(r.headers["location"]).text
    assert "40 more pilots" in report
    r = c.post("/compare", data={"source_text": SOURCE, "retelling_text": "", "csrf_token": token})
    assert r.status_code == 422 and "retelling: give a text" in r.text
    assert SOURCE[:40] in r.text  # what was typed is kept
    binary = c.post(
        "/compare",
        data={"source_text": SOURCE, "csrf_token": token},
        files={"retelling_file": ("x.html", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png")},
    )
    assert binary.status_code == 422 and "PNG" in binary.text


def test_hostile_text_is_escaped_in_pages(tmp_path: Path) -> None:
    c = client(tmp_path)
    hostile = RETELLING + ' <script>alert("x")</script> <img src=x onerror="alert(1)">'
    form = {"source_text": SOURCE, "retelling_text": hostile, "csrf_token": csrf(c)}
    r = c.post("/compare", data=form)
    assert r.status_code == 200
    assert "<script>alert" not in r.text and 'onerror="alert' not in r.text
    job = c.post("/api/ingest", json={"articles": [{"text": hostile, "title": "<b>t</b>"}]})
    wait_job(c, job.json()["status_url"])
    listing = c.get("/articles").text
    assert "&lt;b&gt;t&lt;/b&gt;" in listing and "<b>t</b>" not in listing


def test_ingest_page_upload_runs_a_job(tmp_path: Path) -> None:
    c = client(tmp_path)
    files = [
        ("files", ("../../escape.txt", f"Pilots\n\n{SOURCE}".encode(), "text/plain")),
        ("files", ("rows.jsonl", b'{"text": "%s"}\n' % RETELLING.replace('"', "'").encode(), "x")),
    ]
    token = csrf(c, "/ingest")
    r = c.post(
        "/ingest", data={"urls": "", "csrf_token": token}, files=files, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job_id = r.headers["location"].rsplit("/", 1)[1]
    job = wait_job(c, f"/api/jobs/{job_id}")
    assert job["result"]["new"] == 2
    assert not (tmp_path.parent / "escape.txt").exists()
    assert "new 2" in c.get(r.headers["location"]).text
    bad = c.post("/ingest", data={"urls": "javascript:alert(1)", "csrf_token": token})
    assert bad.status_code == 422 and "only http(s)" in bad.text
    exe = c.post("/ingest", data={"csrf_token": token}, files=[("files", ("run.exe", b"MZ", "x"))])
    assert exe.status_code == 422


def test_style_api_and_article_page(tmp_path: Path) -> None:
    c = client(tmp_path)
    calm = "The council met on Tuesday and approved the budget for the new library."
    hype = (
        "SHOCKING: You won't believe what the council just did! In a stunning, jaw-dropping "
        "move that sent shockwaves through the city, officials rammed through a massive "
        "budget. Time is running out for furious residents!"
    )
    r = c.post(
        "/api/style",
        json={"articles": [{"text": calm, "title": "Council approves budget"}, {"text": hype}]},
    )
    assert r.status_code == 200, r.text
    calm_r, hype_r = r.json()["results"]
    assert hype_r["scores"]["sensationalism"] > calm_r["scores"]["sensationalism"]
    assert calm_r["scores"]["clickbait"] is not None and hype_r["scores"]["clickbait"] is None
    for span in hype_r["spans"]:
        assert hype_r["text"][span["start"] : span["end"]] == span["text"]
        assert 0.0 <= span["confidence"] <= 1.0
    assert c.post("/api/style", json={"articles": []}).status_code == 422
    assert c.post("/api/style", json={"articles": [{"text": " "}]}).status_code == 422
    job = c.post("/api/ingest", json={"articles": [{"text": hype, "title": "<i>Hype</i>"}]})
    wait_job(c, job.json()["status_url"])
    (row,) = c.get("/api/articles").json()["articles"]
    page = c.get(f"/articles/{row['id']}").text
    assert "How it is told" in page and "<svg" in page and "sensationalism" in page
    assert "&lt;i&gt;Hype&lt;/i&gt;" in page


def test_serve_refuses_unsafe_options() -> None:
    from tests.conftest import run_cli

    open_host = run_cli("serve", "--host", "0.0.0.0", "--port", "1")
    assert open_host.returncode == 2 and b"give --token" in open_host.stderr
    short = run_cli("serve", "--host", "0.0.0.0", "--token", "abc")
    assert short.returncode == 2 and b"at least 16 characters" in short.stderr
    no_dir = run_cli("serve", "--files", "/nonexistent/dir")
    assert no_dir.returncode == 2 and b"not a folder" in no_dir.stderr
