"""Story families through the web app: group (job), list, family page with a fidelity plot
after an audit job, source override, member audit reports; the API shapes and errors."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from retold.settings import Settings
from retold.store import open_store
from retold.store.base import SourceArticle
from retold.web.app import create_app
from tests.test_web_api import csrf, error_of, wait_job

NAMES = ("source", "faithful", "numbers", "contentfarm", "unrelated")


def stored_demo(corpus: Path, db: Path) -> dict[str, int]:
    arts = []
    for i, name in enumerate(NAMES):
        text = (corpus / f"{name}.txt").read_text("utf-8")
        title, _, body = text.partition("\n")
        arts.append(
            SourceArticle(
                text=body.strip(),
                title=title.strip(),
                origin=f"{name}.txt",
                site=f"{name}.example",
                published=f"2026-03-0{i + 1}T09:00:00Z",
            )
        )
    with open_store(db) as store:
        store.add_articles(arts)
        return {a.origin.split(".")[0]: a.id for a in store.list(limit=50)}


def test_family_workflow(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "fam.db"
    ids = stored_demo(corpus, db)
    app = create_app(Settings(web_compare_processes=0), db=str(db))
    c = TestClient(app, base_url="http://127.0.0.1")

    assert c.get("/api/families").json()["total"] == 0
    token = csrf(c, "/families")
    r = c.post("/families/update", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    job = wait_job(c, "/api/jobs/" + r.headers["location"].rsplit("/", 1)[1])
    assert job["state"] == "done" and job["result"]["new_articles"] == 5, job

    listing = c.get("/api/families").json()
    assert (listing["total"], listing["singletons"]) == (1, 1)
    fam = listing["families"][0]
    assert fam["source"] == ids["source"]
    members = {m["id"]: m for m in fam["members"]}
    assert set(members) == {ids[n] for n in NAMES if n != "unrelated"}
    assert all(m["path"].endswith(".txt") and 0 < m["confidence"] <= 1 for m in members.values())
    assert "2026-03-01" in fam["time_span"] and "source.example" in fam["sites"]
    page = c.get("/families").text
    assert f'href="/families/{fam["id"]}"' in page and "no clear source" not in page

    r = c.post(f"/api/families/{fam['id']}/audit", json={})
    assert r.status_code == 202
    job = wait_job(c, r.json()["status_url"])
    assert job["state"] == "done" and job["result"]["audited"] == 3, job
    view = c.get(f"/api/families/{fam['id']}").json()
    audits = {m["id"]: m.get("audit") for m in view["members"]}
    assert audits[ids["source"]] is None
    assert audits[ids["faithful"]]["fidelity"] > audits[ids["numbers"]]["fidelity"]
    assert audits[ids["numbers"]]["changes"] >= 1
    html = c.get(f"/families/{fam['id']}").text
    assert "<svg" in html and "Fidelity to the source" in html
    report = c.get(f"/families/{fam['id']}/audits/{ids['numbers']}")
    assert (
        report.status_code == 200
        and "script-src 'sha256-" in report.headers["content-security-policy"]
    )
    assert c.get(f"/families/{fam['id']}/audits/{ids['source']}").status_code == 404

    moved = c.post(f"/api/families/{fam['id']}/source", json={"article": ids["faithful"]})
    assert moved.status_code == 200 and moved.json()["source"] == ids["faithful"]
    assert moved.json()["source_status"] == "set by user"
    bad = c.post(f"/api/families/{fam['id']}/source", json={"article": ids["unrelated"]})
    assert bad.status_code == 422 and "not a member" in error_of(bad)
    r = c.post(
        f"/families/{fam['id']}/source",
        data={"article": ids["source"], "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert c.get(f"/api/families/{fam['id']}").json()["source"] == ids["source"]


def test_family_errors(tmp_path: Path) -> None:
    c = TestClient(
        create_app(Settings(web_compare_processes=0), db=str(tmp_path / "e.db")),
        base_url="http://127.0.0.1",
    )
    assert c.get("/api/families/7").status_code == 404
    assert c.post("/api/families/7/audit", json={}).status_code == 404
    r = c.post("/api/families/7/source", json={"article": "x"})
    assert r.status_code == 422
    assert c.get("/families/7").status_code == 404
    assert c.get("/api/families", params={"limit": 0}).status_code == 422
