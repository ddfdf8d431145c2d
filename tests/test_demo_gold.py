"""The demo corpus audited end to end, checked against its gold findings."""

from __future__ import annotations

import json

from retold.demo.gold import score
from retold.report.jsonout import validate


def _quote(audit: dict, text: str) -> dict | None:
    start = audit["retelling"]["text"].find(text)
    assert start >= 0, text
    end = start + len(text)
    return next((q for q in audit["quotes"] if q["start"] < end and start < q["end"]), None)


def test_every_audit_matches_the_json_schema(demo_audits):
    for data in demo_audits.values():
        validate(data)
        json.dumps(data)  # serialisable


def test_offsets_index_the_article_texts(demo_audits):
    for data in demo_audits.values():
        ret, src = data["retelling"]["text"], data["source"]["text"]
        for c in data["claims"]:
            assert ret[c["start"] : c["end"]] == c["text"]
            for e in c["evidence"]:
                assert src[e["start"] : e["end"]] == e["text"]
        for q in data["quotes"]:
            assert ret[q["start"] : q["end"]] == q["text"]
        for o in data["omissions"]:
            assert src[o["start"] : o["end"]] == o["text"]


def test_every_invented_quote_is_unsourced(demo_audits, gold):
    invented = [
        (name, q)
        for name, g in gold["retellings"].items()
        for q in g.get("quotes", [])
        if q["verdict"] == "unsourced"
    ]
    assert len(invented) >= 5
    for name, q in invented:
        found = _quote(demo_audits[name], q["text"])
        assert found is not None, f"{name}: quote not extracted: {q['text']}"
        assert found["verdict"] == "unsourced", (name, q["text"], found["verdict"])
        assert found["evidence"], "a verdict must carry evidence"


def test_indirect_speech_turned_quote_is_not_called_fabricated(demo_audits, gold):
    cases = [
        (name, q)
        for name, g in gold["retellings"].items()
        for q in g.get("quotes", [])
        if q["verdict"] == "indirect"
    ]
    assert cases
    for name, q in cases:
        found = _quote(demo_audits[name], q["text"])
        assert found is not None
        assert found["verdict"] == "indirect", found
        # the evidence is the source's reported speech
        assert any(e["side"] == "source" for e in found["evidence"])


def test_every_changed_number_is_found(demo_audits, gold):
    for name, g in gold["retellings"].items():
        for ch in g.get("changes", []):
            if ch["kind"] not in ("number", "date"):
                continue
            got = [
                c
                for c in demo_audits[name]["changes"]
                if ch["retelling"] in c["retelling_text"] or c["retelling_text"] in ch["retelling"]
            ]
            assert got, f"{name}: change {ch['source']} -> {ch['retelling']} not found"
            assert any(
                ch["source"] in c["source_text"] or c["source_text"] in ch["source"] for c in got
            )


def test_faithful_paraphrase_is_not_flagged(demo_audits):
    data = demo_audits["faithful.txt"]
    bad = [c for c in data["claims"] if c["verdict"] != "supported"]
    assert not bad, [(c["verdict"], c["text"], c["reasons"]) for c in bad]
    assert not [
        q for q in data["quotes"] if q["verdict"] in ("unsourced", "misattributed", "altered")
    ]
    assert data["changes"] == []
    assert data["summary"]["fidelity"] >= 0.9


def test_misattributed_and_altered_quotes(demo_audits, gold):
    g = gold["retellings"]["misattributed.txt"]
    data = demo_audits["misattributed.txt"]
    for q in g["quotes"]:
        found = _quote(data, q["text"])
        assert found and found["verdict"] == q["verdict"], (q, found and found["verdict"])
        if q["verdict"] == "altered":
            assert any(d["op"] != "equal" for d in found["diff"])
        if q["verdict"] == "misattributed":
            assert found["source_speaker"] and "Brenner" in found["source_speaker"]


def test_unrelated_story_is_recognised(demo_audits):
    data = demo_audits["unrelated.txt"]
    assert data["summary"]["related"] is False
    assert any("does not appear to retell" in n for n in data["notes"])


def test_content_farm_style_scores_above_source_and_paraphrase(demo_audits):
    cf = demo_audits["contentfarm.txt"]["style"]
    faithful = demo_audits["faithful.txt"]["style"]
    assert cf["retelling_score"] > cf["source_score"] + 1.0
    assert cf["retelling_score"] > faithful["retelling_score"] + 1.0
    assert any(s["new"] and s["side"] == "retelling" for s in cf["spans"])


def test_dropped_caveats_are_ranked_first(demo_audits, gold):
    data = demo_audits["dropped_caveats.txt"]
    top = data["omissions"][:6]
    texts = " ".join(o["text"] for o in top)
    found = [o for o in gold["retellings"]["dropped_caveats.txt"]["omissions"] if o[:40] in texts]
    assert len(found) >= 2, [o["text"][:60] for o in top]


def test_precision_and_recall_per_finding_type(demo_audits, capsys):
    result = score(demo_audits)
    for kind in ("claims", "quotes", "changes", "omissions"):
        v = result["types"][kind]
        assert 0 <= v["precision"] <= 1 and 0 <= v["recall"] <= 1
        print(f"{kind}: precision {v['precision']:.2f} recall {v['recall']:.2f}")
    assert all(result["checks"].values()), result["checks"]
    # floors that guard against regressions (the README shows the current numbers)
    assert result["types"]["quotes"]["recall"] >= 0.8
    assert result["types"]["claims"]["recall"] >= 0.6
    assert result["types"]["changes"]["recall"] >= 0.8
