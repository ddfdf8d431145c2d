"""Site profiles, the content-farm score, the copy network and ``retold sites``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import networkx as nx
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

from retold.cli.app import app
from retold.errors import RetoldError
from retold.settings import Settings
from retold.sites.domains import NO_SITE, SiteNamer
from retold.sites.findings import verbatim_share
from retold.sites.network import export_network
from retold.sites.records import RETELLING, SOURCE, Findings, Observation
from retold.sites.run import analyze_sites, sites_from_store
from retold.store import open_store
from retold.store.base import SourceArticle
from retold.store.rows import FamilyMember, FamilyWrite
from retold.training.synth_sites import FARM, generate, write_world

AUDIT_TABLES = ("sites", "edges", "communities")

SMALL = {"outlets": 8, "stories_per_outlet": 6, "farm_networks": 2, "seed": 1}


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    path = tmp_path_factory.mktemp("sites") / "sites.db"
    world = generate(**SMALL)
    store = open_store(path)
    write_world(store, world)
    store.close()
    return path, world


def test_sites_are_registrable_domains_with_aliases_and_shorteners() -> None:
    name = SiteNamer(Settings(sites_aliases=("mirror-news.net=news.example.com",)))
    assert name("https://news.bbc.co.uk/x").site == "bbc.co.uk"
    assert name("https://amp.theguardian.com/a?b=1").site == "theguardian.com"
    # punycode and Unicode spellings of one IDN host are one site
    assert name("https://www.xn--bcher-kva.de/a").site == name("http://bücher.de/").site
    assert name("https://www.mirror-news.net/a").site == "example.com"
    short = name("https://bit.ly/3abc")
    assert short.shortener and short.site == "bit.ly"
    assert name("", "").site == NO_SITE
    assert name("", "Example.COM").site == "example.com"  # the stored site field, no URL


def test_verbatim_share_tells_copies_from_rewrites() -> None:
    src = " ".join(f"w{i}" for i in range(60))
    assert verbatim_share(src, src + " First published by x.com.") > 0.8
    assert verbatim_share(src, " ".join(f"v{i}" for i in range(60))) == 0.0


def test_score_ranks_farms_above_outlets_and_syndicators_from_the_store(world_db) -> None:
    path, world = world_db
    store = open_store(path)
    try:
        result = sites_from_store(store, Settings(), judge="synthetic")
    finally:
        store.close()
    assert {p.site for p in result.profiles} == {o.site for o in world.observations}
    # a farm site that only published its own few stories shows no evidence (score 0)
    score = {p.site: p.score for p in result.profiles if p.audited >= 2}
    farms = [v for s, v in score.items() if world.kind[s] == FARM]
    others = [v for s, v in score.items() if world.kind[s] != FARM]
    assert min(farms) > max(others)
    top = result.profiles[0]
    assert top.evidence["families"] and top.evidence["invented_quotes"] > 0
    syndicators = [result.profile(s) for s, v in score.items() if world.kind[s] == "syndicator"]
    assert all(p.verbatim_rate > 0.9 for p in syndicators if p and p.audited)
    assert result.counts["audited_retellings"] > 0


def test_communities_recover_planted_networks() -> None:
    world = generate(seed=3)
    result = analyze_sites(world.observations, Settings())
    sites = sorted(world.kind)
    ari = adjusted_rand_score([world.group[s] for s in sites], [result.community[s] for s in sites])
    assert ari >= 0.9


def _obs(article: int, site: str, role: str, when: float, **kw: object) -> Observation:
    return Observation(article, site, role, family=1, when=when, when_basis="published", **kw)


def test_lag_sync_and_network_exports_parse_back(tmp_path: Path) -> None:
    f = Findings(claims=10, unsupported=4, invented=1, machine_rewrite=90.0)
    src = ("a.com", 0)
    obs = [_obs(1, "a.com", SOURCE, 0.0)]
    for i, site in enumerate(("f1.com", "f2.com", "f3.com"), 2):
        obs.append(
            _obs(i, site, RETELLING, 7200.0 + 60 * i, source_article=1, source_site=src[0],
                 lag_s=7200.0 + 60 * i, lag_basis="published", findings=f)
        )  # fmt: skip
    result = analyze_sites(obs, Settings(sites_community_min_count=1))
    p = result.profile("f1.com")
    assert p is not None and p.sync_share == 1.0 and p.lag_median_h == pytest.approx(2.033, 1e-3)
    assert p.unsupported_share == 0.4 and p.machine_rate == 1.0
    assert result.community["f1.com"] == result.community["f3.com"]
    files = export_network(result.graph, result.community, tmp_path)
    g = nx.read_graphml(tmp_path / "sites.graphml")
    assert g.edges["f1.com", "a.com"]["stories"] == 1
    assert g.edges["f1.com", "a.com"]["fabrications"] == 1
    assert nx.read_gexf(tmp_path / "sites.gexf").number_of_edges() == 3
    rows = list(csv.DictReader((tmp_path / "edges.csv").open()))
    assert {r["source_site"] for r in rows} == {"a.com"}
    assert pq.read_table(tmp_path / "edges.parquet").num_rows == 3
    assert len(files) == 4


def test_first_seen_lag_and_articles_without_site(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    words = " ".join(f"word{i}" for i in range(40))
    store.add_articles(
        [
            SourceArticle(text="one " + words, url="https://www.src.com/a", site="src.com"),
            SourceArticle(text="two " + words, url="https://copy.net/b"),
            SourceArticle(text="three " + words),  # no URL, no site
        ]
    )
    store.write_families(
        [FamilyWrite(None, [FamilyMember(1, 1.0), FamilyMember(2, 1.0)], 1, "earliest", 1.0, [])],
        [],
    )
    result = sites_from_store(store, Settings())
    store.close()
    p = result.profile("copy.net")
    assert p is not None and p.lag_basis == "first-seen" and p.top_sources == [("src.com", 1)]
    none = result.profile(NO_SITE)
    assert none is not None and none.articles == 1 and none.alone == 1


def test_cli_table_json_csv_parquet(world_db, tmp_path: Path) -> None:
    path, world = world_db
    runner = CliRunner()
    base = ["sites", "--db", str(path), "--judge", "synthetic"]
    out = runner.invoke(app, base)
    assert out.exit_code == 0, out.output
    farm = next(o.site for o in world.observations if world.kind[o.site] == FARM)
    top = out.output.split("┃")[0:3]
    assert "audited retellings" in out.output and "farm" in "".join(top)
    data = json.loads(runner.invoke(app, [*base, "--format", "json"]).output)
    sites = {o.site for o in world.observations}
    assert {s["site"] for s in data["sites"]} == sites and data["edges"]
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, [*base, "-f", "csv"]).output)))
    assert len(rows) == len(sites)
    pq_path = tmp_path / "sites.parquet"
    assert runner.invoke(app, [*base, "-f", "parquet", "-o", str(pq_path)]).exit_code == 0
    assert pq.read_table(pq_path).num_rows == len(sites)
    one = runner.invoke(app, [*base, "--site", f"https://www.{farm}/x"])
    assert one.exit_code == 0 and f"{farm}: content-farm score" in one.output
    missing = runner.invoke(app, [*base, "--site", "nowhere.example"])
    assert isinstance(missing.exception, RetoldError)  # main() prints it as one line, exit 2
    assert "no site 'nowhere.example'" in str(missing.exception)


def test_one_rewrite_on_two_sites_counts_as_together_but_syndicated_copies_do_not() -> None:
    from retold.sites.findings import sketch

    rewrite = sketch(" ".join(f"r{i}" for i in range(50)))
    twin = Findings(claims=5, sketch=rewrite)
    copy = Findings(claims=5, verbatim=True, sketch=sketch(" ".join(f"s{i}" for i in range(50))))
    obs = [_obs(1, "a.com", SOURCE, 0.0)]
    kw = {"source_article": 1, "source_site": "a.com"}
    obs += [
        _obs(2, "x.com", RETELLING, 3600.0, findings=twin, **kw),
        _obs(3, "y.com", RETELLING, 30000.0, findings=twin, **kw),  # hours later: not in sync
        _obs(4, "s1.com", RETELLING, 50000.0, findings=copy, **kw),
        _obs(5, "s2.com", RETELLING, 90000.0, findings=copy, **kw),
    ]
    result = analyze_sites(obs, Settings(sites_community_min_count=1))
    assert result.profile("x.com").sync_share == 1.0  # type: ignore[union-attr]
    assert result.profile("s1.com").sync_share == 0.0  # type: ignore[union-attr]
    assert result.community["x.com"] == result.community["y.com"]


def test_eval_sites_reports_auroc_and_ari() -> None:
    from retold.eval.sites import eval_sites

    r = eval_sites(Settings(), seeds=(5,))
    assert r["auroc"] >= 0.95 and r["ari"] >= 0.9 and r["seeds"] == 1
    assert r["farms_per_world"] > 0 and 0.0 <= r["auroc_no_sync"] <= 1.0


def test_sites_section_in_a_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sites]\naliases = ["mirror.net=outlet.com"]\nw_sync = 2.0\n')
    s = Settings.load(cfg)
    assert s.sites_aliases == ("mirror.net=outlet.com",) and s.sites_w_sync == 2.0
    assert SiteNamer(s)("https://amp.mirror.net/x").site == "outlet.com"
    assert "[sites]" in Settings().to_toml()


def test_cli_pictures_and_network_files(world_db, tmp_path: Path) -> None:
    path, _ = world_db
    runner = CliRunner()
    args = ["sites", "--db", str(path), "--judge", "synthetic", "-f", "json"]
    res = runner.invoke(
        app, [*args, "--html", str(tmp_path / "h"), "--network", str(tmp_path / "n")]
    )
    assert res.exit_code == 0, res.output
    for name in ("scatter", "lag", "network"):
        assert (tmp_path / "h" / f"{name}.png").stat().st_size > 1000
        assert (tmp_path / "h" / f"{name}.svg").read_text().lstrip().startswith("<?xml")
    assert "<img" in (tmp_path / "h" / "index.html").read_text()
    assert nx.read_graphml(tmp_path / "n" / "sites.graphml").number_of_nodes() > 10


def test_cli_on_an_empty_store_says_what_to_run(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["sites", "--db", str(tmp_path / "e.db")])
    assert res.exit_code == 0 and "run `retold ingest`" in res.output


def _comparable(result: object) -> dict[str, object]:
    data = result.to_dict()  # type: ignore[attr-defined]
    return {k: data[k] for k in AUDIT_TABLES}


def _from_scratch(path: Path, tmp_path: Path) -> dict[str, object]:
    """The same store's sites with no kept findings (a copy, its site_findings emptied)."""
    import shutil
    import sqlite3

    copy = tmp_path / "scratch.db"
    with open_store(path):
        pass  # checkpoints the WAL into the file
    shutil.copy(path, copy)
    conn = sqlite3.connect(copy)
    conn.execute("DELETE FROM site_findings")
    conn.commit()
    conn.close()
    with open_store(copy) as store:
        result = sites_from_store(store, Settings(), judge="synthetic")
    assert result.counts["audits_reduced"] == result.counts["audited_retellings"]
    return _comparable(result)


def _retell(store, fam, text: str, site: str) -> int:  # noqa: ANN001 - a store and FamilyRow
    """Add one article retelling ``fam``'s source, with its audit: as ingest, families and
    audit would. Returns its id."""
    src = store.get(fam.source_id)
    url = f"https://{site}/new-retelling"
    store.add_articles([SourceArticle(text=text, url=url, site=site, published=src.published)])
    aid = max(a.id for a in store.list(limit=1))
    members = [*fam.members, FamilyMember(aid, 0.9)]
    write = FamilyWrite(fam.id, members, fam.source_id, fam.source_status, 1.0, [])
    store.write_families([write], [])
    data = {
        "summary": {"claims": {"supported": 2, "unsupported": 3}, "quotes": {"unsourced": 2}},
        "source": {"text": src.text},
        "retelling": {"text": text},
    }
    audit = store.save_audit(fam.source_id, aid, "synthetic", data)
    store.save_family_audit(fam.id, audit, aid, "synthetic", "1", [])
    return aid


def test_a_second_run_reduces_only_new_audits_and_matches_a_fresh_run(tmp_path: Path) -> None:
    path = tmp_path / "incr.db"
    with open_store(path) as store:
        write_world(store, generate(**SMALL))
        first = sites_from_store(store, Settings(), judge="synthetic")
        again = sites_from_store(store, Settings(), judge="synthetic")
        fam = next(f for f in store.families() if f.source_id is not None and len(f.members) > 2)
        _retell(store, fam, "A wholly new retelling " + "with invented words " * 6, "new.example")
        third = sites_from_store(store, Settings(), judge="synthetic")
    assert first.counts["audits_reduced"] == first.counts["audited_retellings"] > 0
    assert again.counts["audits_reduced"] == 0 and _comparable(again) == _comparable(first)
    assert third.counts["audits_reduced"] == 1
    assert third.counts["audited_retellings"] == first.counts["audited_retellings"] + 1
    new = third.profile("new.example")
    assert new is not None and new.audited == 1
    assert _comparable(third) == _from_scratch(path, tmp_path)


def test_kept_findings_follow_source_changes_moves_and_settings(tmp_path: Path) -> None:
    path = tmp_path / "incr.db"
    with open_store(path) as store:
        write_world(store, generate(**SMALL))
        first = sites_from_store(store, Settings(), judge="synthetic")
        fams = [f for f in store.families() if f.source_id is not None and len(f.members) > 2]
        fam, other = fams[0], fams[1]
        # a changed source: the family's audits and kept rows go, re-audits are reduced
        new_src = next(m.article_id for m in fam.members if m.article_id != fam.source_id)
        store.set_family_source(fam.id, new_src)
        src = store.get(new_src)
        for m in fam.members:
            if m.article_id != new_src:
                text = store.get(m.article_id).text
                data = {"source": {"text": src.text}, "retelling": {"text": text}}
                audit = store.save_audit(new_src, m.article_id, "synthetic", data)
                store.save_family_audit(fam.id, audit, m.article_id, "synthetic", "1", [])
        changed = sites_from_store(store, Settings(), judge="synthetic")
        assert changed.counts["audits_reduced"] == len(fam.members) - 1
        # a member moved to another family (no audit there yet): its kept row is dropped
        moved = next(m for m in other.members if m.article_id != other.source_id)
        store.write_families([FamilyWrite(fam.id, [moved], new_src, "set by user", 1.0, [])], [])
        after_move = sites_from_store(store, Settings(), judge="synthetic")
        assert after_move.counts["audits_reduced"] == 0
        assert after_move.counts["audited_retellings"] == changed.counts["audited_retellings"] - 1
        rows = list(store.iter_site_findings("synthetic"))
        assert moved.article_id not in {r.article_id for r in rows}
        assert len(rows) == after_move.counts["audited_retellings"]
        # a member audited again under the same audit id: only it is reduced again
        m = next(m for m in fam.members if m.article_id != new_src)
        data = {"summary": {"quotes": {"unsourced": 7}}, "source": {"text": src.text}}
        audit = store.save_audit(new_src, m.article_id, "synthetic", data)
        store.save_family_audit(fam.id, audit, m.article_id, "synthetic", "1", [])
        reaudit = sites_from_store(store, Settings(), judge="synthetic")
        assert reaudit.counts["audits_reduced"] == 1
        site = store.article_meta([m.article_id])[m.article_id].site
        assert reaudit.profile(site).evidence["invented_quotes"] >= 7
        # the verbatim threshold is applied on reading: no re-reduction
        strict = sites_from_store(store, Settings(sites_verbatim_share=1.01), judge="synthetic")
        assert strict.counts["audits_reduced"] == 0
        assert all(p.verbatim_rate == 0 for p in strict.profiles)
    assert first.counts["audits_reduced"] > 0
    assert _comparable(reaudit) == _from_scratch(path, tmp_path)
