"""Story families: grouping, source pick, bad input, the store (incremental), CLI, eval."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from retold.family import families, load_from_store, update_store
from retold.family.audit import only_here
from retold.family.signature import Signature
from retold.settings import Settings
from retold.store.base import SourceArticle
from retold.store.sqlite import SCHEMA_VERSION, SqliteStore
from retold.training.synth_families import BOILERPLATE, generate
from retold.types import Article
from tests.conftest import run_cli

RETELLINGS = ("faithful", "contentfarm", "numbers", "misattributed", "dropped_caveats")

# Invented for this test: the same topic as the demo wire story (a rail deal between two
# countries), but another story: other people, places, sums and dates.
SAME_TOPIC_OTHER_STORY = """Ostria and Pellmark agree tram link study

BRELL, Ostria (Harbour Wire) — Ostria and Pellmark agreed on Friday to study a light-rail
line across their northern border, a project officials said could cost €310 million.

Transport Minister Aldo Fenwick said a feasibility report would be ready by October 2027.
"We want commuters out of their cars," Fenwick told a news conference in Brell.

The 58-kilometre route would link Brell with the Pellmark port of Lundra and serve
about 9,000 passengers a day, according to a planning office estimate.

Pellmark's infrastructure chief, Mira Odegaard, said funding talks with the Coastal
Investment Fund would begin in spring. Critics in Lundra warned that the line could
delay upgrades to the existing coastal road.
"""


def _demo(corpus: Path, names: tuple[str, ...]) -> list[Article]:
    out = []
    for name in names:
        text = (corpus / f"{name}.txt").read_text(encoding="utf-8")
        out.append(Article(text, title=text.splitlines()[0], origin=f"{name}.txt"))
    return out


def test_demo_corpus_is_one_family_with_the_wire_story_as_source(corpus: Path) -> None:
    arts = _demo(corpus, ("source", *RETELLINGS, "unrelated"))
    arts.append(Article(SAME_TOPIC_OTHER_STORY, origin="other-story.txt"))
    result = families(arts)
    assert len(result.families) == 1
    fam = result.families[0]
    members = {arts[m.id].origin for m in fam.members}
    assert members == {"source.txt", *(f"{n}.txt" for n in RETELLINGS)}
    assert arts[fam.source].origin == "source.txt"
    assert fam.source_status == "direction"
    assert all(0.5 <= m.confidence <= 1.0 for m in fam.members)
    # the unrelated tram story and the same-topic other deal stay out
    assert {arts[i].origin for i in result.singletons} == {"unrelated.txt", "other-story.txt"}


def test_earliest_publication_wins_and_future_dates_are_ignored(corpus: Path) -> None:
    arts = _demo(corpus, ("source", "faithful", "numbers"))
    dated = [
        SourceArticle(arts[0].text, origin="s", published="2026-03-14T09:00:00+00:00"),
        SourceArticle(arts[1].text, origin="f", published="2026-03-14T11:30:00+00:00"),
        SourceArticle(arts[2].text, origin="n", published="2099-01-01T00:00:00+00:00"),
    ]
    fam = families(dated).families[0]
    assert fam.source == 0
    assert any("in the future" in r for r in fam.source_reasons)
    assert any("no date" in r for r in fam.source_reasons)  # the future one counts as none
    # all dated: the earliest leads
    dated[2] = SourceArticle(arts[2].text, origin="n", published="2026-03-15T08:00:00+00:00")
    fam = families(dated).families[0]
    assert fam.source == 0 and fam.source_status == "earliest"


def test_bad_input_gets_reasons_and_boilerplate_does_not_merge(corpus: Path) -> None:
    story = _demo(corpus, ("source", "faithful"))
    cookie = [Article(BOILERPLATE.format(site=f"site{i}.example")) for i in range(30)]
    paywall = "Subscribe now to keep reading. " * 3 + "Only 1 euro for the first month."
    same = [Article(paywall * 3) for _ in range(25)]
    arts = [*story, Article(""), Article("Too short to be a story."), *cookie, *same]
    arts.append(Article(story[1].text, origin="copy"))  # exact duplicate of a retelling
    result = families(arts)
    assert len(result.families) == 1
    fam = result.families[0]
    assert {m.id for m in fam.members} == {0, 1, len(arts) - 1}
    dup = next(m for m in fam.members if m.id == len(arts) - 1)
    assert dup.reason == "exact duplicate of article 1"
    reasons = {e.id: e.reason for e in result.excluded}
    assert reasons[2] == "no text"
    assert reasons[3].startswith("too short for a story")
    cookie_ids = range(4, 34)
    assert all(reasons[i].startswith("boilerplate") for i in cookie_ids)
    assert all("boilerplate" in reasons[i] for i in range(34, 59))


def _ingest(db: Path, arts: list[Article]) -> None:
    with SqliteStore.open(db) as store:
        store.add_articles(arts)


def test_store_incremental_add_joins_the_right_family(tmp_path: Path, corpus: Path) -> None:
    db = tmp_path / "r.db"
    first = _demo(corpus, ("source", "faithful", "contentfarm", "unrelated"))
    _ingest(db, first)
    # an index file of older signatures (other vectors) is never searched, and is removed
    stale = tmp_path / "r.db.families.faiss"
    stale.write_bytes(b"old vectors")
    with SqliteStore.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        stats = update_store(store)
        assert stats["new_articles"] == 4
        before = load_from_store(store)
        (fam,) = before.families
        assert {m.id for m in fam.members} == {1, 2, 3}
    _ingest(db, _demo(corpus, ("numbers",)) + [Article(SAME_TOPIC_OTHER_STORY)])
    with SqliteStore.open(db) as store:
        stats = update_store(store)
        assert stats["new_articles"] == 2 and stats["signed"] == 2  # old ones not re-read
        after = load_from_store(store)
    assert len(after.families) == 1
    assert after.families[0].id == fam.id
    assert {m.id for m in after.families[0].members} == {1, 2, 3, 5}
    assert after.families[0].source == 1
    assert (tmp_path / "r.db.families.v4.faiss").exists()  # the ANN index persists
    assert not stale.exists()
    with SqliteStore.open(db) as store:
        # one family: its members' metadata only (600 ids: more than one IN-list chunk)
        (one,) = load_from_store(store, fam.id).families
        meta = store.article_meta([*range(1, 601)])
    assert [(m.id, m.path, m.published) for m in one.members] == [
        (m.id, m.path, m.published) for m in after.families[0].members
    ]
    assert sorted(meta) == [1, 2, 3, 4, 5, 6]


def test_a_page_of_the_family_list_is_counted_in_the_database(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    arts = [a for a, _, _ in generate(400, seed=3)]
    _ingest(db, arts)
    with SqliteStore.open(db) as store:
        update_store(store)
        full = load_from_store(store)
        assert len(full.families) > 12 and full.singletons and full.excluded
        page_of = store.family_page(5, 10)
        assert (page_of.families, page_of.singletons, page_of.excluded) == (
            len(full.families),
            len(full.singletons),
            len(full.excluded),
        )
        page = load_from_store(store, ids=page_of.ids).families
        assert [(f.id, f.size, f.source) for f in page] == [
            (f.id, f.size, f.source) for f in full.families[10:15]
        ]
        assert store.family_page(5, page_of.families).ids == []
        # an id no store can hold (beyond 64 bits) names no family, not a driver error
        assert store.families(2**70) == [] and load_from_store(store, 2**70).families == []


def test_cli_ingest_families_json_and_set_source(tmp_path: Path, corpus: Path) -> None:
    db = str(tmp_path / "cli.db")
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("source", *RETELLINGS, "unrelated"):
        (folder / f"{name}.txt").write_text((corpus / f"{name}.txt").read_text("utf-8"), "utf-8")
    res = run_cli("ingest", str(folder), "--db", db)
    assert res.returncode == 0, res.stderr
    res = run_cli("families", "--db", db, "--format", "json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    (fam,) = data["families"]
    assert set(fam) >= {"id", "source", "members"}
    for m in fam["members"]:
        assert set(m) >= {"id", "path", "site", "confidence"}
    by_path = {Path(m["path"]).name: m["id"] for m in fam["members"]}
    assert fam["source"] == by_path["source.txt"]
    assert "unrelated.txt" not in by_path and data["singletons"] == 1
    res = run_cli("families", "--db", db)
    assert res.returncode == 0 and b"1 families" in res.stdout
    res = run_cli(
        "families", "--db", db, "--set-source", str(fam["id"]), str(by_path["faithful.txt"])
    )
    assert res.returncode == 0, res.stderr
    res = run_cli("families", "--db", db, "-f", "json", "--family", str(fam["id"]))
    again = json.loads(res.stdout)["families"][0]
    assert again["source"] == by_path["faithful.txt"] and again["source_status"] == "set by user"
    res = run_cli("families", "--db", db, "--set-source", str(fam["id"]), "9999")
    assert res.returncode == 2 and b"not a member" in res.stderr
    out = tmp_path / "fam.parquet"
    res = run_cli("families", "--db", db, "-f", "parquet", "-o", str(out))
    assert res.returncode == 0, res.stderr
    import pyarrow.parquet as pq

    table = pq.read_table(out).to_pylist()
    assert len(table) == 6 and sum(r["is_source"] for r in table) == 1


def test_only_here_uses_the_siblings_union() -> None:
    claims = [
        {
            "text": "The ministers toasted the deal with champagne at midnight.",
            "verdict": "unsupported",
        },
        {"text": "Construction will begin in April next year.", "verdict": "unsupported"},
        {"text": "The line is 240 kilometres long.", "verdict": "supported"},
    ]
    siblings = ["Officials said construction will begin in April next year, on schedule."]
    assert only_here(claims, siblings, Settings()) == [0]


def test_cli_audit_family_stores_audits(tmp_path: Path, corpus: Path) -> None:
    db = str(tmp_path / "a.db")
    _ingest(Path(db), _demo(corpus, ("source", "faithful", "contentfarm")))
    assert run_cli("families", "--db", db).returncode == 0
    res = run_cli("audit", "--db", db, "--family", "1", "--json")
    assert res.returncode == 0, res.stderr
    rows = {r["article"]: r for r in json.loads(res.stdout)}
    assert set(rows) == {2, 3}
    assert rows[3]["unsupported"] + rows[3]["contradicted"] > rows[2]["unsupported"]
    assert rows[3]["only_here"] >= 1  # the content farm's inventions are its own
    res = run_cli("families", "--db", db, "--family", "1", "-f", "json")
    members = json.loads(res.stdout)["families"][0]["members"]
    assert all("audit" in m for m in members if m["id"] != 1)
    with SqliteStore.open(db) as store:
        assert store.get_audit(1, 3, Settings().judge) is not None
    report = tmp_path / "family-1"
    res = run_cli("families", "--db", db, "--family", "1", "--html", str(report), "--no-update")
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in report.iterdir()) == [
        "index.html",
        "member-2.html",
        "member-3.html",
    ]
    index = (report / "index.html").read_text()
    assert 'href="member-3.html"' in index and "<svg" in index and "<script" not in index
    assert "/static/" not in index and "make source" not in index  # offline, read-only
    bad = run_cli("families", "--db", db, "--html", str(report))
    assert bad.returncode == 2 and b"--html needs --family" in bad.stderr


def _write_fixture(data: Path) -> None:
    """A tiny benchmark folder in the shape of ../shared/data, from synthetic stories."""
    (data / "llmfake").mkdir(parents=True)
    (data / "sheepdog").mkdir()
    rows, current, sid = [], None, 0
    for art, fam, is_source in generate(160, seed=3):
        if not fam:
            continue
        if is_source:
            sid += 1
            current = art.text
            if sid % 5 == 0:  # a story nobody retold: unrelated noise
                rows.append({"id": f"noise-{sid}", "source_id": None, "generated_text": current})
            continue
        rows.append(
            {
                "id": f"r-{len(rows)}",
                "source_id": f"pf{sid}",
                "source_text": current,
                "source_text_full": None,
                "generated_text": art.text,
            }
        )
    with gzip.open(data / "llmfake" / "pairs.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    with gzip.open(data / "sheepdog" / "politifact_train_restyled.jsonl.gz", "wt") as fh:
        fh.write("")


def test_eval_families_on_a_tiny_fixture(tmp_path: Path) -> None:
    from retold.eval.families import adjusted_rand, eval_families, pairwise

    assert adjusted_rand(["a", "a", "b"], [1, 1, 2]) == 1.0
    assert pairwise(["a", "a", "b"], [1, 2, 3])["recall"] == 0.0
    _write_fixture(tmp_path)
    r = eval_families(tmp_path, "heuristic", Settings())
    for key in ("pairwise_precision", "pairwise_recall", "pairwise_f1", "ari", "source_accuracy"):
        assert 0.0 <= r[key] <= 1.0
    assert r["n"] > 0 and r["n_dev"] > 0
    assert r["ari"] > 0.8


def test_gold_originals_merge_cuts_of_one_page_but_not_page_furniture() -> None:
    """The eval's gold: two sets' originals are one article when one is (nearly) a cut of the
    other, but a sign-up notice that another story's scrape holds mid-page is not that story."""
    from retold.eval.families_data import _same_originals

    story = " ".join(f"Councillor Vale{k} said the bridge cost {k} million." for k in range(60))
    notice = (
        "SIGN UP By signing up you agree to receive email newsletters or updates from the "
        "Herald and you agree to our privacy policy and terms of service. You can unsubscribe "
        "at any time. This sign-up form is protected and the privacy policy and terms of "
        "service apply."
    )
    other = " ".join(f"Mayor Osk{k} opened the library on day {k}." for k in range(60))
    canon = _same_originals(
        {
            "a:full": story,
            "b:cut": story[: len(story) // 2],  # a cut of the same page
            "c:page": other + " " + notice + " " + other,  # a scrape holding the notice
            "d:notice": notice,  # a failed scrape: the notice alone
        }
    )
    assert canon["a:full"] == canon["b:cut"]
    assert canon["d:notice"] == "d:notice" and canon["c:page"] == "c:page"


def test_source_accuracy_counts_any_copy_of_the_original_and_skips_failed_scrapes() -> None:
    from retold.eval.families import source_accuracy
    from retold.eval.families_data import Item
    from retold.family.result import FamiliesResult, Family, Member

    story = " ".join(f"word{k}" for k in range(40))
    items = [
        Item("a:source", story, "a", True, False, source_copy=True),
        Item("a:copy", story + " more", "a", False, False, source_copy=True),  # 2nd set
        Item("a:rewrite", story, "a", False, False),
        Item("b:source", story, "b", True, False, source_copy=True),
        Item("b:rewrite", story, "b", False, False),
        Item("c:source", "See more of Someone on Facebook", "c", True, False, source_copy=True),
        Item("c:rewrite", story, "c", False, False),
    ]

    def fam(i: int, source: int | None, members: list[int]) -> Family:
        return Family(i, source, "direction", 0.9, [], [Member(m, 1.0) for m in members])

    # family a picked the copy read second, family b picked its rewrite; c's "original" is a
    # seven-word scrape failure that no method could group
    result = FamiliesResult([fam(0, 1, [0, 1, 2]), fam(1, 4, [3, 4])], [5, 6], [])
    acc, total, unclear, first_copy, any_copy, not_story = source_accuracy(items, result, 15)
    assert (total, not_story, first_copy, any_copy, unclear) == (2, 1, 0, 1, 0)
    assert acc == 0.5
    result = FamiliesResult([fam(0, None, [0, 1, 2]), fam(1, 3, [3, 4])], [5, 6], [])
    acc, total, unclear, first_copy, any_copy, _ = source_accuracy(items, result, 15)
    assert (unclear, first_copy, any_copy, acc) == (1, 1, 1, 0.5)


def test_library_call(corpus: Path) -> None:
    import retold

    result = retold.families(_demo(corpus, ("source", "faithful")))
    assert result.families[0].size == 2
    assert retold.family.families is families


def test_huge_near_copy_bucket_is_capped() -> None:
    """A wire story copied 80 times: each copy verifies at most the closest copies."""
    import numpy as np

    from retold.family.candidates import CandidateIndex
    from retold.family.signature import signatures

    st = Settings()
    text = " ".join(f"Minister Alda Vrenn said {n} new depots open in Korsa." for n in range(12))
    sigs = signatures([f"{text} Copy {i} by Site{i}." for i in range(80)], st)
    ids = np.arange(80, dtype=np.uint64)
    mh = np.stack([s.minhash for s in sigs])
    em = np.stack([s.embedding for s in sigs])
    index = CandidateIndex(st, em.shape[1])
    index.add(ids, mh, em)
    cands = index.query(ids, mh, em)
    assert all(len(c) <= st.families_max_candidates + st.families_ann_k for c in cands.values())
    assert all(k not in c and len(c) >= st.families_max_candidates for k, c in cands.items())
    (fam,) = families([Article(f"{text} Copy {i} by Site{i}.") for i in range(80)]).families
    assert fam.size == 80  # a real story copied widely is one family, not boilerplate


def test_band_index_matches_brute_force_banding() -> None:
    import numpy as np

    from retold.family.lsh import BandIndex

    rng = np.random.default_rng(1)
    base = rng.integers(0, 2**32, size=(40, 128), dtype=np.uint64)
    copies = base.copy()
    copies[:, ::4] = rng.integers(0, 2**32, size=(40, 32), dtype=np.uint64)  # 75% kept
    index = BandIndex(0.3, 128)
    index.add(np.arange(20, dtype=np.uint64), base[:20])
    index.add(np.arange(40, 60, dtype=np.uint64), copies[:20])  # added in a second call
    index.add(np.arange(20, 40, dtype=np.uint64), base[20:])
    bands = index.band_hashes(np.concatenate([base[:20], copies[:20], base[20:]]))
    all_keys = index.keys  # in the order added, like ``bands``
    for q, found in zip(copies[:20], index.query(copies[:20]), strict=True):
        qb = index.band_hashes(q[None, :])[0]
        expected = {int(k) for k, b in zip(all_keys, bands, strict=True) if (b == qb).any()}
        assert set(found.tolist()) == expected
    # a copy sharing 75% of its MinHash finds its original
    assert all(i in index.query(copies[i : i + 1])[0] for i in range(20))
    assert all(i + 20 not in index.query(copies[i : i + 1])[0] for i in range(20))


def test_machine_rewrite_cues_point_away_from_the_source() -> None:
    from retold.family.signature import pack, signatures, unpack
    from retold.family.source import direction_scores

    source = (
        "The council in Harwick voted 7 to 2 on Monday to close the Elm Street bridge for "
        "repairs. Engineers found cracks in two of the steel girders last month, mayor Dana "
        "Pruitt said. The bridge carries about 12,000 cars a day."
    )
    rewrite = (
        "In a pivotal decision that underscores growing concerns, the Harwick council voted "
        "7 to 2 on Monday to close the Elm Street bridge for repairs. Engineers found cracks "
        "in two steel girders last month, mayor Dana Pruitt said. The bridge carries about "
        "12,000 cars a day.\nAs the situation continues to unfold, residents await updates."
    )
    st = Settings()
    sigs = signatures([source, rewrite], st)
    assert sigs[0].machine == 0.0 and sigs[1].machine > 0.0
    assert unpack(pack(sigs[1])).machine == sigs[1].machine
    scores = direction_scores([0, 1], dict(enumerate(sigs)), st)
    assert scores[0] > scores[1]


def test_a_sensational_retelling_is_not_picked_as_the_source() -> None:
    """A tabloid restyling that adds outrage (and some content of its own) to the same facts:
    the learned sensationalism score tells which is the retelling."""
    from retold.family.signature import pack, signatures, unpack
    from retold.family.source import direction_scores

    source = (
        "The council in Harwick voted 7 to 2 on Monday to close the Elm Street bridge for "
        "repairs. Engineers found cracks in two of the steel girders last month, mayor Dana "
        "Pruitt said. The bridge carries about 12,000 cars a day. Repairs are expected to take "
        "four months and cost 3.1 million dollars, according to a council report."
    )
    tabloid = (
        "SHOCKING: Harwick's crumbling Elm Street bridge is a DISASTER waiting to happen! The "
        "council voted 7 to 2 on Monday to shut it down after terrified engineers found cracks "
        "in two of the steel girders last month, mayor Dana Pruitt admitted. Outraged drivers, "
        "12,000 cars a day, are furious! Repairs will take four months and cost a staggering "
        "3.1 million dollars, a damning council report reveals. How did officials let it come "
        "to this? Residents are demanding answers as fears grow!"
    )
    st = Settings()
    sigs = signatures([source, tabloid], st)
    assert 0.0 <= sigs[0].style < 30.0 < sigs[1].style <= 100.0
    assert unpack(pack(sigs[1])).style == sigs[1].style
    scores = direction_scores([0, 1], dict(enumerate(sigs)), st)
    assert scores[0] > scores[1]
    # the sensationalism term is what widens the gap
    flat = direction_scores(
        [0, 1], dict(enumerate(sigs)), st.with_overrides(families_direction_style=0.0)
    )
    assert scores[0] - scores[1] > flat[0] - flat[1]


def test_a_copy_of_the_source_is_no_rival_for_the_margin() -> None:
    from retold.family.signature import signatures
    from retold.family.source import pick_source

    source = (
        "The council in Harwick voted 7 to 2 on Monday to close the Elm Street bridge for "
        "repairs. Engineers found cracks in two of the steel girders last month, mayor Dana "
        "Pruitt said. The bridge carries about 12,000 cars a day, and the detour adds 20 "
        "minutes. Repairs will cost 4.5 million dollars, paid by the county."
    )
    copy = "  ".join(source.split(". "))  # the same page read with other whitespace
    rewrite = (
        "In a pivotal move, Harwick's council voted to shut the Elm Street bridge, underscoring "
        "safety concerns after engineers found cracked girders. As the work continues, "
        "drivers face a long detour."
    )
    st = Settings()
    sigs = dict(enumerate(signatures([source, copy, rewrite], st)))
    pick = pick_source([0, 1, 2], sigs, {}, st)
    assert pick.source in (0, 1) and pick.status == "direction"
    assert any("copies" in r for r in pick.reasons)


# Invented for this test: an LLM-style retelling of the demo wire story that changed the
# minister's name, every number and the cost share, and dropped most of the quotes.
CHANGED_SPECIFICS = (
    "Karvenia and Lessmark have agreed to build a 310-kilometre electric railway between "
    "their capitals, in a deal worth €2 billion. Transport Minister Anna Velt said work "
    "would start in 2027 and that the first trains could run by 2033. The line will have 14 "
    "stations and a bridge over the Drovna river. Lessmark will pay half of the cost, with "
    "the rest split between Karvenia and the Northern Development Bank. The railway workers' "
    "union said it had not been consulted on staffing for the new trains. It is unclear "
    "whether freight is covered; travellers now change trains at the border."
)


def test_a_rewrite_that_changed_names_and_numbers_is_still_the_same_story(corpus: Path) -> None:
    arts = _demo(corpus, ("source",))
    arts += [Article(CHANGED_SPECIFICS), Article(SAME_TOPIC_OTHER_STORY)]
    result = families(arts)
    (fam,) = result.families
    assert {m.id for m in fam.members} == {0, 1} and fam.source == 0
    assert result.singletons == [2]  # the other rail deal on the same topic stays out


def _sig(words: list[int], anchors: list[int]) -> Signature:
    u = np.uint32
    return Signature(
        "ok",
        np.arange(128, dtype=u),
        np.zeros(4, dtype=np.float16),
        np.unique(np.array(words, dtype=u)),
        np.unique(np.array(anchors, dtype=u)),
        np.zeros(0, dtype=u),
    )


def test_rare_shared_words_weigh_more_than_common_ones() -> None:
    from retold.family.verify import FEATURES, DocFreq, features

    common = list(range(1, 11))  # words every article of the corpus uses
    corpus = [_sig(common + [1000 + i, 2000 + i], [5000 + i]) for i in range(300)]
    # the same plain overlap (4 of 14 words): a and b share rare words, c and d common ones
    a = _sig(common[:8] + [90, 91, 92, 93, 94, 95], [7])
    b = _sig(common[8:] + [90, 91, 92, 93, 80, 81, 82, 83, 84, 85, 86, 87], [8])
    c = _sig(common[:4] + [60, 61, 62, 63, 64, 65, 66, 67, 68, 69], [7])
    d = _sig(common[:4] + [70, 71, 72, 73, 74, 75, 76, 77, 78, 79], [8])
    df = DocFreq.of([*corpus, a, b, c, d], Settings())
    assert df.idf(np.array([90], np.uint32))[0] > df.idf(np.array([1], np.uint32))[0]
    fab, fcd = features(a, b, df), features(c, d, df)
    i, w = FEATURES.index("words"), FEATURES.index("words_idf")
    assert fab[i] == pytest.approx(fcd[i], abs=0.02)
    assert fab[w] > fcd[w] + 0.1
    # without a corpus every word weighs the same: the weighted overlap is the plain one
    assert features(a, b)[w] == pytest.approx(features(a, b)[i])


def test_one_article_joins_on_a_sure_link_but_two_groups_need_several() -> None:
    from retold.family.cluster import Link, cluster

    # 10 possible links per article: one of 6 is under the 0.2 share a merge needs
    st = Settings(families_ann_k=10, families_min_link_share=0.2)
    family = [Link(a, b, 0.99) for a in range(6) for b in range(a + 1, 6)]
    # article 6 is linked to one member only (its other candidates were other stories)
    alone = cluster(list(range(7)), [*family, Link(0, 6, 0.97)], st)
    assert alone[0] == list(range(7))
    weak = cluster(list(range(7)), [*family, Link(0, 6, 0.8)], st)
    assert weak[0] == list(range(6)) and [6] in weak
    # with 5 possible links per article one verified link is the share: it joins
    st5 = Settings(families_ann_k=5, families_min_link_share=0.2)
    assert cluster(list(range(7)), [*family, Link(0, 6, 0.8)], st5)[0] == list(range(7))
    # two families of six joined by one sure link stay apart
    other = [Link(a, b, 0.99) for a in range(10, 16) for b in range(a + 1, 16)]
    two = cluster([*range(6), *range(10, 16)], [*family, *other, Link(0, 10, 0.99)], st)
    assert sorted(two) == [list(range(6)), list(range(10, 16))]


def test_lone_heavy_rewrite_joins_the_one_group_it_weakly_matches_several_times() -> None:
    from retold.family.cluster import Link, cluster

    st = Settings(families_weak_join=3)
    family = [Link(a, b, 0.99) for a in range(6) for b in range(a + 1, 6)]
    other = [Link(a, b, 0.99) for a in range(10, 16) for b in range(a + 1, 16)]
    nodes = [*range(6), *range(10, 16), 6]
    # article 6: no pair sure enough to link, but three members of one family say "maybe"
    maybe = [Link(m, 6, 0.4) for m in (0, 1, 2)]
    joined = cluster(nodes, [*family, *other], st, weak=maybe)
    assert [*range(7)] in joined and list(range(10, 16)) in joined
    # two "maybe"s are not enough
    assert [6] in cluster(nodes, [*family, *other], st, weak=maybe[:2])
    # a topic's article that half-matches two families stays alone
    both = [*maybe, *(Link(m, 6, 0.4) for m in (10, 11, 12))]
    apart = cluster(nodes, [*family, *other], st, weak=both)
    assert [6] in apart and list(range(6)) in apart and list(range(10, 16)) in apart
    # weak pairs never merge groups: two families with many weak pairs stay two
    cross = [Link(a, b, 0.5) for a in range(6) for b in range(10, 16)]
    assert len(cluster(nodes[:-1], [*family, *other], st, weak=cross)) == 2
    # off (families_weak_join 0): three maybes leave it alone
    off = cluster(nodes, [*family, *other], Settings(families_weak_join=0), weak=maybe)
    assert [6] in off


def test_a_member_placed_on_maybes_says_so_and_scores_below_sure_members() -> None:
    from retold.family.cluster import confidences

    links = {(a, b): 0.99 for a in range(6) for b in range(a + 1, 6)}
    weak = {(m, 6): 0.4 for m in (0, 1, 2)}
    conf, why = confidences([*range(7)], links, weak)
    assert conf[6] < 0.5 <= min(conf[m] for m in range(6))
    assert conf[6] > 0
    assert set(why) == {6} and "3 uncertain links" in why[6]
    assert confidences([*range(6)], links) == ({m: 0.993 for m in range(6)}, {})


def test_copies_glued_differently_are_no_rivals_for_the_margin() -> None:
    from retold.family.signature import signatures
    from retold.family.source import is_copy

    sents = [
        "The council in Harwick voted 7 to 2 on Monday to close the Elm Street bridge.",
        "Engineers found cracks in two of the steel girders last month, mayor Dana Pruitt said.",
        "The bridge carries about 12,000 cars a day, and the detour adds 20 minutes.",
        "Repairs will cost 4.5 million dollars, paid by the county.",
        "Residents of Harwick said they were worried about the closure.",
        "Traffic police from Lanford will guide drivers around the site.",
        "Officials expect the work to last a year.",
        "Shops on Elm Street fear losing customers.",
        "The Harwick county board will review the plan in May.",
    ]
    # one page scraped twice, each time with sentences glued together in other places:
    # "said.The" reads "The" as a name, so their names differ while their words do not
    first = "".join(sents[:3]) + " " + " ".join(sents[3:])
    second = " ".join(sents[:6]) + "".join(sents[6:])
    a, b = signatures([first, second], Settings())
    assert is_copy(a, b, Settings())
    assert not is_copy(a, b, replace(Settings(), families_source_copy_anchors=0.95))


# Invented for this test: a local story, a machine-style rewrite of it that dropped every name
# and number, and another water story on the same coast.
DESAL_SOURCE = """Harbour town votes to build a desalination plant

PORT ELLIS (Coast Ledger) - The council of Port Ellis voted 7 to 2 on Tuesday to build a
desalination plant beside the old cannery, after two summers in which the town's aquifer ran
so low that wells drew brine.

Mayor Dana Whitcombe said the plant would cost 48 million dollars and supply 12,000 homes.
"We cannot keep trucking water in every August," Whitcombe said after the vote.

Opponents, led by fisherman Tom Greally, warned that the brine discharged by the plant would
harm the kelp beds and the crab grounds off the breakwater. The council promised a marine
survey before any permit is granted, and construction could begin in 2027.
"""
DESAL_REWRITE = """A coastal community has approved plans for a facility that turns seawater
into drinking water, a move officials frame as a pivotal response to repeated shortages.

Local leaders backed the proposal by a wide margin this week. Recent dry seasons had pushed
the underground aquifer to alarming lows, and some residents found salty brine coming from
their wells. Officials argue the desalination project underscores the need for resilient
infrastructure and will end the costly practice of delivering water by truck each summer.

Not everyone is convinced. Members of the fishing community fear that salty discharge from
the facility will damage kelp forests and crab habitats near the harbour wall. Authorities
have pledged an environmental study of the seabed before construction permits are issued.
"""
DESAL_OTHER = """Coastal city delays its water recycling scheme

BAYMOUTH (Shore Daily) - Baymouth's water board postponed on Monday a 90 million dollar plan
to recycle treated wastewater for irrigation, saying costs had risen by a third since 2024.

Board chair Priya Nandakumar said the scheme, meant to serve 30,000 farms and parks, would be
redesigned. "We owe ratepayers a cheaper plan," Nandakumar said. Farmers' groups criticised
the delay, pointing to the drought that dried out reservoirs across the valley last year.
"""


def test_rewrite_without_names_is_proposed_by_rare_words_and_same_topic_stays_apart() -> None:
    from retold.family.candidates import CandidateIndex, propose
    from retold.family.signature import signatures

    texts = [DESAL_SOURCE, DESAL_REWRITE, DESAL_OTHER]
    # no ANN neighbours and no shared word runs: only a rare word ("desalination", "brine")
    st = Settings().with_overrides(families_ann_min_cos=1.01, families_rare_anchor_k=0)
    sigs = dict(enumerate(signatures(texts, st)))
    assert not set(sigs[0].anchors) & set(sigs[1].anchors)  # no name or number kept
    index = CandidateIndex(st, len(sigs[0].embedding))
    index.add(
        np.arange(3, dtype=np.uint64),
        np.stack([s.minhash for s in sigs.values()]),
        np.stack([s.embedding for s in sigs.values()]),
    )
    cands = {k: v for _, part in propose([0, 1, 2], sigs, index, st) for k, v in part.items()}
    assert cands[1][0] == 0  # the source shares most rare words with the rewrite
    off = st.with_overrides(families_rare_word_k=0)
    assert all(not v for _, part in propose([0, 1, 2], sigs, index, off) for v in part.values())
    # proposing is not linking: the other water story stays on its own
    result = families([Article(t) for t in texts])
    assert 2 in result.singletons
    assert all(2 not in {m.id for m in f.members} for f in result.families)


def test_document_vectors_tell_the_story_from_its_lead_not_the_topic(corpus: Path) -> None:
    from retold.analysis.embed import doc_vectors

    source, faithful = (a.text for a in _demo(corpus, ("source", "faithful")))
    v = doc_vectors([source, faithful, SAME_TOPIC_OTHER_STORY])
    assert v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # a retelling of the story is nearer its source than another story on the same topic
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.05
    # only the lead is read: a long unrelated tail leaves the vector where it was, and a
    # shorter cut reads less of it
    tail = " ".join(["The council also discussed parking fees and library hours."] * 40)
    lead, long = doc_vectors([source, source + "\n\n" + tail])
    assert float(lead @ long) > 0.999
    short, cut = doc_vectors([source, source], max_tokens=16)
    assert float(short @ lead) < 0.99 and float(short @ cut) > 0.999


def test_a_user_onnx_document_model_loads_and_bad_files_are_named(tmp_path: Path) -> None:
    import shutil

    from retold.analysis.embed import doc_vectors, packaged_doc_model
    from retold.errors import RetoldError

    model, tokenizer = packaged_doc_model()
    mine = tmp_path / "my-model"
    mine.mkdir()
    shutil.copy(model, mine / "model.onnx")
    shutil.copy(tokenizer, mine / "tokenizer.json")
    texts = ["The ferry to Lessmark was cancelled after the storm.", SAME_TOPIC_OTHER_STORY]
    assert np.allclose(doc_vectors(texts, str(mine)), doc_vectors(texts), atol=1e-5)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.onnx").write_bytes(b"\x00not an onnx graph")
    shutil.copy(tokenizer, broken / "tokenizer.json")
    with pytest.raises(RetoldError, match=r"broken/model.onnx: cannot load ONNX model"):
        doc_vectors(texts, str(broken))
    (broken / "model.onnx").unlink()
    with pytest.raises(RetoldError, match=r"broken: not a model2vec or sentence-transformers"):
        doc_vectors(texts, str(broken))
    # a family run with it says the same, naming the setting's directory
    with pytest.raises(RetoldError, match="broken"):
        families([Article(t) for t in texts], Settings(families_doc_model=str(broken)))


def test_opening_a_schema_5_store_drops_signatures_of_the_old_vectors(
    tmp_path: Path, corpus: Path
) -> None:
    import sqlite3

    db = tmp_path / "r.db"
    _ingest(db, _demo(corpus, ("source", "faithful")))
    with SqliteStore.open(db) as store:
        update_store(store)
        assert len(list(store.iter_signatures())) == 2
        (fam,) = load_from_store(store).families
        wrong = next(m.id for m in fam.members if m.id != fam.source)
    conn = sqlite3.connect(db)
    # as a retold of schema 5 left it, with a source picked on older evidence
    conn.execute("UPDATE families SET source_id = ? WHERE id = ?", (wrong, fam.id))
    conn.execute("DROP TABLE site_findings")
    conn.execute("ALTER TABLE family_audits DROP COLUMN revision")
    conn.execute("DROP INDEX family_signatures_unscored")
    conn.execute("ALTER TABLE family_signatures DROP COLUMN machine_text_model")
    conn.execute("ALTER TABLE family_signatures DROP COLUMN machine_text")
    conn.execute("ALTER TABLE family_signatures DROP COLUMN doc_model")
    conn.execute("DELETE FROM schema_version WHERE version >= 6")
    conn.commit()
    conn.close()
    with SqliteStore.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION == 9
        assert list(store.iter_signatures()) == []  # recomputed by the next run
        assert len(load_from_store(store).families) == 1  # the families themselves stay
        stats = update_store(store)
        assert stats["signed"] == 2
        assert {len(s.packed["embedding"]) for s in store.iter_signatures()} == {384 * 2}
        assert store.signature_doc_models() == {"minilm-int8 (128 word pieces)": 2}
        # recomputed signatures are new evidence: the source is picked again
        assert load_from_store(store).families[0].source == fam.source


def test_opening_a_schema_7_store_fills_machine_text_without_resigning(
    tmp_path: Path, corpus: Path
) -> None:
    """Signatures stored before the machine-text score keep their vectors: the next run
    reads the articles' text for that score only, then picks every family's source again
    with it (a user's choice stays)."""
    import sqlite3

    from retold.family.machine_text import machine_logits
    from retold.family.upkeep import machine_text_to_fill

    db = tmp_path / "r.db"
    names = ("source", "faithful", "contentfarm", "numbers")
    _ingest(db, _demo(corpus, names))
    with SqliteStore.open(db) as store:
        update_store(store)
        (fam,) = load_from_store(store).families
        right = fam.source
        wrong = next(m.id for m in fam.members if m.id != right)
    conn = sqlite3.connect(db)
    # as a retold of schema 7 left it, with a source picked on other evidence
    conn.execute("DROP TABLE site_findings")
    conn.execute("ALTER TABLE family_audits DROP COLUMN revision")
    conn.execute("DROP INDEX family_signatures_unscored")
    conn.execute("ALTER TABLE family_signatures DROP COLUMN machine_text_model")
    conn.execute("ALTER TABLE family_signatures DROP COLUMN machine_text")
    conn.execute("DELETE FROM schema_version WHERE version >= 8")
    conn.execute("UPDATE families SET source_id = ? WHERE id = ?", (wrong, fam.id))
    conn.commit()
    conn.close()
    with SqliteStore.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert all(s.packed["machine_text"] is None for s in store.iter_signatures())
        # a run cut short after scoring saved nothing, so the next one still re-picks
        assert len(machine_text_to_fill(store, Settings())) == len(names)
        assert all(s.packed["machine_text"] is None for s in store.iter_signatures())
        stats = update_store(store)
        assert stats["signed"] == 0 and stats["machine_text_filled"] == len(names)
        texts = {s.article_id: store.get(s.article_id).text for s in store.iter_signatures()}
        want = dict(zip(texts, machine_logits(list(texts.values())), strict=True))
        for s in store.iter_signatures():
            assert s.packed["machine_text"] == pytest.approx(want[s.article_id], abs=1e-3)
        (again,) = load_from_store(store).families
        assert again.id == fam.id and again.source == right
        # nothing left to fill: the next run touches no family
        store.set_family_source(fam.id, wrong)
        stats = update_store(store)
        assert stats["machine_text_filled"] == 0 and stats["families_written"] == 0
        # a refill picks sources again, but not one the user set
        store._tx(lambda: store._conn.execute("UPDATE family_signatures SET machine_text = NULL"))
        assert update_store(store)["machine_text_filled"] == len(names)
        (kept,) = load_from_store(store).families
        assert kept.source == wrong and kept.source_status == "set by user"
        store._tx(lambda: store._conn.execute("UPDATE family_signatures SET machine_text = NULL"))
    # from the command line: said in one line
    out = run_cli("families", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert b"4 stored signatures given their machine-text score" in out.stderr


def test_signatures_of_another_document_model_are_refused_until_resigned(
    tmp_path: Path, corpus: Path
) -> None:
    """Vectors of two document models do not compare: a run with another model than the
    stored signatures were made with stops with a one-line error, and --resign recomputes
    them (the families stay, the ANN index is rebuilt)."""
    import shutil

    from retold.analysis.embed import packaged_doc_model
    from retold.errors import RetoldError
    from retold.family.signature import doc_model_tag
    from retold.family.upkeep import ann_path_for

    db = tmp_path / "r.db"
    _ingest(db, _demo(corpus, ("source", "faithful", "numbers")))
    with SqliteStore.open(db) as store:
        update_store(store)
        before = [(f.source, [m.id for m in f.members]) for f in load_from_store(store).families]
        ann = ann_path_for(store)
    assert ann is not None and ann.exists()
    model, tokenizer = packaged_doc_model()
    mine = tmp_path / "my-model"
    mine.mkdir()
    shutil.copy(model, mine / "model.onnx")
    shutil.copy(tokenizer, mine / "tokenizer.json")
    st = Settings(families_doc_model=str(mine))
    with SqliteStore.open(db) as store:
        refused = r"r\.db: 3 family signatures .*minilm-int8.*--resign"
        with pytest.raises(RetoldError, match=refused):
            update_store(store, st)
        assert store.signature_doc_models() == {doc_model_tag(Settings()): 3}  # untouched
        ann.write_bytes(b"vectors of the old model")  # must not be read after --resign
        stats = update_store(store, st, resign=True)
        assert stats["signed"] == 3
        assert store.signature_doc_models() == {doc_model_tag(st): 3}
        assert str(mine) in doc_model_tag(st)
        after = [(f.source, [m.id for m in f.members]) for f in load_from_store(store).families]
        assert after == before
        assert update_store(store, st)["signed"] == 0  # the same model again: nothing to do
    assert ann.exists() and ann.read_bytes() != b"vectors of the old model"
    # from the command line: a clear message, no traceback, and --resign works
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[families]\ndoc_tokens = 64\ndoc_model = "{mine}"\n')
    out = run_cli("families", "--db", str(db), "--config", str(cfg))
    assert out.returncode != 0 and b"--resign" in out.stderr and b"Traceback" not in out.stderr
    out = run_cli("families", "--db", str(db), "--config", str(cfg), "--resign")
    assert out.returncode == 0, out.stderr
