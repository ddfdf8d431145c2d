"""Sites in the web app: ``/api/sites`` (paged list, one profile, the copy network), the
``/sites`` pages with the network picture, escaping of site names, and the result cache."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from retold.settings import Settings
from retold.store import open_store
from retold.store.base import SourceArticle
from retold.training.synth_sites import FARM, generate, write_world
from retold.web.app import create_app
from retold.web.params import MAX_ID, MAX_LIST
from tests.test_web_api import error_of

SMALL = {"outlets": 8, "stories_per_outlet": 6, "farm_networks": 2, "seed": 1}
EVIL_URL = "http://<script>alert(1)</script>.example/x"
EVIL_SITE = "<script>alert(1)<"  # what the site namer makes of that host


def _app(db: Path) -> Any:
    return create_app(Settings(web_compare_processes=0, sites_judge="synthetic"), db=str(db))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    db = tmp_path_factory.mktemp("websites") / "sites.db"
    w = generate(**SMALL)
    with open_store(db) as store:
        write_world(store, w)
        store.add_articles([SourceArticle(text="an odd one " * 20, origin=EVIL_URL, url=EVIL_URL)])
    return db, w


@pytest.fixture(scope="module")
def c(world) -> TestClient:
    return TestClient(_app(world[0]), base_url="http://127.0.0.1")


def test_list_ranks_farms_above_outlets_and_syndicators(c: TestClient, world) -> None:
    _, w = world
    data = c.get("/api/sites", params={"limit": MAX_LIST}).json()
    sites = {p["site"]: p for p in data["sites"]}
    assert data["total"] == len(sites) == len({o.site for o in w.observations}) + 1
    assert EVIL_SITE in sites and data["counts"]["audited_retellings"] > 0
    scores = [p["score"] for p in data["sites"]]
    assert scores == sorted(scores, reverse=True)
    audited = {s: p["score"] for s, p in sites.items() if p["audited"] >= 2}
    farms = [v for s, v in audited.items() if w.kind[s] == FARM]
    others = [v for s, v in audited.items() if w.kind[s] != FARM]
    assert farms and others and min(farms) > max(others)
    top = data["sites"][0]
    assert w.kind[top["site"]] == FARM and top["score"] >= Settings().sites_farm_at
    assert top["community"] is not None and sites[EVIL_SITE]["community"] is None


def test_paging_and_its_bounds(c: TestClient) -> None:
    full = c.get("/api/sites", params={"limit": MAX_LIST}).json()["sites"]
    page = c.get("/api/sites", params={"limit": 3, "offset": 2}).json()
    assert [p["site"] for p in page["sites"]] == [p["site"] for p in full[2:5]]
    assert c.get("/api/sites", params={"offset": len(full)}).json()["sites"] == []
    for bad in ({"limit": 0}, {"limit": MAX_LIST + 1}, {"offset": -1}, {"offset": MAX_ID + 1}):
        r = c.get("/api/sites", params=bad)
        assert r.status_code == 422 and error_of(r).startswith("invalid request"), bad
    assert c.get("/sites", params={"page_no": 0}).status_code == 422


def test_profile_with_evidence_that_exists(c: TestClient) -> None:
    top = c.get("/api/sites", params={"limit": 1}).json()["sites"][0]["site"]
    p = c.get(f"/api/sites/{top}").json()
    assert p["site"] == top and p["evidence"]["families"] and p["evidence"]["invented_quotes"]
    for fid in p["evidence"]["families"]:
        fam = c.get(f"/api/families/{fid}").json()
        assert top in {m["site"] for m in fam["members"]}
    assert p["retells"] and all(e["retelling_site"] == top for e in p["retells"])
    assert p["community_sites"] and top not in p["community_sites"]
    # a subdomain names its site, as `retold sites --site` does
    assert c.get(f"/api/sites/www.{top}").json()["site"] == top


def test_unknown_site_is_404(c: TestClient) -> None:
    r = c.get("/api/sites/nosuch.example")
    assert r.status_code == 404 and "nosuch.example" in error_of(r)
    assert c.get("/sites/nosuch.example").status_code == 404
    assert c.get("/api/sites/" + "x" * 400).status_code == 422


def test_network_json(c: TestClient, world) -> None:
    _, w = world
    net = c.get("/api/sites/network").json()
    names = {n["site"] for n in net["nodes"]}
    assert len(names) == len(net["nodes"]) == c.get("/api/sites").json()["total"]
    assert net["edges"] and all(
        e["retelling_site"] in names and e["source_site"] in names and e["stories"] >= 1
        for e in net["edges"]
    )
    # the planted farm networks run together: each community of farms is one network
    farm_groups = [{w.group[s] for s in g["sites"]} for g in net["communities"]
                   if all(w.kind.get(s) == FARM for s in g["sites"])]  # fmt: skip
    assert farm_groups and all(len(g) == 1 for g in farm_groups)


def test_pages_render_and_escape_site_names(c: TestClient) -> None:
    listing = c.get("/sites")
    assert (
        listing.status_code == 200
        and "img-src 'self' data:" in listing.headers["content-security-policy"]
    )
    html = listing.text
    assert '<a href="/sites">Sites</a>' in html
    assert "<svg" in html and "copy network" in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "style=" not in svg and "<style" not in svg  # the CSP allows no inline style
    top = c.get("/api/sites", params={"limit": 1}).json()["sites"][0]["site"]
    assert f'<a href="/sites/{top}">{top}</a>' in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;" in html
    assert re.findall(r"<script\b", html) == ["<script"], "only the app's own script tag"

    evil = c.get("/sites/" + quote(EVIL_SITE, safe=""))
    assert evil.status_code == 200 and "<script>alert" not in evil.text
    assert "&lt;script&gt;alert(1)&lt;" in evil.text

    page = c.get(f"/sites/{top}").text
    fids = c.get(f"/api/sites/{top}").json()["evidence"]["families"]
    assert all(f'href="/families/{f}"' in page for f in fids)
    assert "Whom it retells" in page and "community" in page


def test_result_is_cached_until_the_store_changes(tmp_path: Path, world) -> None:
    db = tmp_path / "copy.db"
    db.write_bytes(world[0].read_bytes())
    app = _app(db)
    c = TestClient(app, base_url="http://127.0.0.1")
    total = c.get("/api/sites").json()["total"]
    first = app.state.sites[1]
    c.get("/api/sites/network")
    assert app.state.sites[1] is first  # no write: the same result
    with open_store(db) as store:
        store.add_articles(
            [SourceArticle(text="news " * 30, origin="n", url="https://new.example/a")]
        )
    assert c.get("/api/sites").json()["total"] == total + 1
    assert app.state.sites[1] is not first


def test_empty_store(tmp_path: Path) -> None:
    c = TestClient(_app(tmp_path / "empty.db"), base_url="http://127.0.0.1")
    assert c.get("/api/sites").json()["total"] == 0
    assert c.get("/api/sites/network").json() == {"nodes": [], "edges": [], "communities": []}
    page = c.get("/sites")
    assert page.status_code == 200 and "No articles yet" in page.text
