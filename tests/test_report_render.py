"""HTML and terminal renderers, driven by a hand-built audit dict that satisfies the schema."""

from __future__ import annotations

import base64
import copy
import hashlib
import html as htmllib
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from retold.errors import RetoldError
from retold.report.html import render_html, write_html
from retold.report.jsonout import validate
from retold.report.terminal import diff_text, render_terminal

HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_SCRIPT = "<script>alert(1)</script>"

SOURCE = (
    "Flooding forced 3,000 residents from their homes in Riverton on Tuesday, officials said. "
    'Mayor Ana Ruiz said the city "will rebuild every street, block by block." '
    "The regional water authority reported that the river crested at 6.2 metres, "
    "the highest level since 1998.\n\n"
    "Emergency shelters opened at two schools and the central library. "
    "Fire chief Tom Becker said crews had rescued 41 people overnight. "
    '"More rain is expected on Thursday," said meteorologist Lena Park. '
    '"We have never seen water like this," said resident Omar Haddad.'
)

RETELLING = (
    "Catastrophic flooding drove 30,000 residents out of Riverton on Tuesday. "
    'Mayor Ana Ruiz vowed the city "will rebuild every single street." '
    'Fire chief Tom Becker said "we rescued hundreds of people." '
    "Officials blamed the disaster on years of neglect. "
    '"This is a total failure of government," said Becker.\n\n'
    '"More rain is expected on Thursday," said Mayor Ana Ruiz. '
    'Resident Omar Haddad said: "We have never seen water like this." '
    "Shelters opened at two schools. "
    f'A commenter called {HOSTILE_SCRIPT} wrote "[bold]shame[/bold] on them" '
    f"{HOSTILE_IMG} </textarea> {{{{ 7*7 }}}}."
)


def _find(text: str, sub: str, start: int = 0) -> tuple[int, int]:
    i = text.index(sub, start)
    return i, i + len(sub)


def _sentences(text: str) -> list[dict[str, int]]:
    return [
        {"start": m.start(), "end": m.end()}
        for m in re.finditer(r"\S.*?[.!?][\"”]?(?=\s|$)", text, flags=re.S)
    ]


def _ev(sub: str, side: str = "source", score: float | None = None) -> dict[str, Any]:
    a, b = _find(SOURCE if side == "source" else RETELLING, sub)
    ev: dict[str, Any] = {"text": sub, "start": a, "end": b, "side": side}
    if score is not None:
        ev["score"] = score
    return ev


def _claim(sub: str, verdict: str, conf: float, support: float, reasons, evidence):
    a, b = _find(RETELLING, sub)
    return {
        "text": sub,
        "start": a,
        "end": b,
        "verdict": verdict,
        "confidence": conf,
        "support_score": support,
        "reasons": reasons,
        "evidence": evidence,
    }


def _quote(sub, speaker, verdict, conf, source_speaker, similarity, diff=(), evidence=(), **kw):
    a, b = _find(RETELLING, sub)
    return {
        "text": sub,
        "start": a,
        "end": b,
        "speaker": speaker,
        "kind": kw.get("kind", "direct"),
        "verdict": verdict,
        "confidence": conf,
        "source_speaker": source_speaker,
        "similarity": similarity,
        "diff": [{"op": op, "source": s, "retelling": r} for op, s, r in diff],
        "reasons": kw.get("reasons", []),
        "evidence": list(evidence),
    }


def _style_span(sub: str, label: str) -> dict[str, Any]:
    a, b = _find(RETELLING, sub)
    return {
        "text": sub,
        "start": a,
        "end": b,
        "label": label,
        "side": "retelling",
        "new": True,
        "confidence": 0.7,
    }


def build_audit() -> dict[str, Any]:
    """A realistic audit of a sensationalised retelling (also usable outside pytest)."""
    s_flood = (
        "Flooding forced 3,000 residents from their homes in Riverton on Tuesday, officials said."
    )
    s_mayor = 'Mayor Ana Ruiz said the city "will rebuild every street, block by block."'
    s_river = (
        "The regional water authority reported that the river crested at 6.2 metres, "
        "the highest level since 1998."
    )
    claims = [
        _claim(
            "Catastrophic flooding drove 30,000 residents out of Riverton on Tuesday.",
            "contradicted",
            0.91,
            0.04,
            ["number differs: 3,000 in the source, 30,000 in the retelling"],
            [_ev(s_flood, score=0.86)],
        ),
        _claim(
            'Mayor Ana Ruiz vowed the city "will rebuild every single street."',
            "supported",
            0.8,
            0.88,
            [],
            [_ev(s_mayor, score=0.9)],
        ),
        _claim(
            "Officials blamed the disaster on years of neglect.",
            "unsupported",
            0.72,
            0.12,
            ["no source sentence mentions neglect or blame"],
            [_ev(s_flood, score=0.31)],
        ),
        _claim(
            "Shelters opened at two schools.",
            "supported",
            0.93,
            0.95,
            [],
            [_ev("Emergency shelters opened at two schools and the central library.")],
        ),
        _claim(
            f'A commenter called {HOSTILE_SCRIPT} wrote "[bold]shame[/bold] on them" '
            f"{HOSTILE_IMG} </textarea> {{{{ 7*7 }}}}.",
            "unsupported",
            0.6,
            0.05,
            ["not in the source"],
            [],
        ),
    ]
    quotes = [
        _quote(
            "will rebuild every single street.",
            "Ana Ruiz",
            "altered",
            0.84,
            "Ana Ruiz",
            0.62,
            diff=[
                ("equal", "will rebuild every", "will rebuild every"),
                ("insert", "", "single"),
                ("replace", "street, block by block.", "street."),
            ],
            evidence=[_ev("will rebuild every street, block by block.", score=0.62)],
            reasons=["words changed: 'block by block' dropped, 'single' added"],
        ),
        _quote(
            "we rescued hundreds of people.",
            "Tom Becker",
            "indirect",
            0.55,
            "Tom Becker",
            0.41,
            evidence=[_ev("crews had rescued 41 people overnight", score=0.7)],
            reasons=["the source reports this as indirect speech"],
        ),
        _quote(
            "This is a total failure of government,",
            "Becker",
            "unsourced",
            0.88,
            None,
            0.0,
            reasons=["no similar words in the source"],
        ),
        _quote(
            "More rain is expected on Thursday,",
            "Ana Ruiz",
            "misattributed",
            0.9,
            "Lena Park",
            1.0,
            evidence=[_ev("More rain is expected on Thursday,", score=1.0)],
            reasons=["the source attributes these words to Lena Park"],
        ),
        _quote(
            "We have never seen water like this.",
            "Omar Haddad",
            "verbatim",
            0.97,
            "Omar Haddad",
            1.0,
            evidence=[_ev("We have never seen water like this,", score=0.98)],
        ),
        _quote(
            "[bold]shame[/bold] on them",
            HOSTILE_SCRIPT,
            "unsourced",
            0.7,
            None,
            0.0,
        ),
    ]
    changes = [
        {
            "kind": "number",
            "source_text": "3,000",
            "retelling_text": "30,000",
            "confidence": 0.95,
            "note": "residents displaced: 3,000 → 30,000 (×10)",
            "evidence": [_ev("3,000"), _ev("30,000", side="retelling")],
        }
    ]
    a, b = _find(SOURCE, s_river)
    c, d = _find(SOURCE, "and the central library")
    omissions = [
        {
            "text": s_river,
            "start": a,
            "end": b,
            "kind": "sentence",
            "confidence": 0.9,
            "evidence": [],
            "importance": 0.81,
            "reasons": ["numbers"],
        },
        {
            "text": "and the central library",
            "start": c,
            "end": d,
            "kind": "caveat",
            "confidence": 0.75,
            "evidence": [],
            "importance": 0.32,
            "reasons": ["place"],
        },
    ]
    style = {
        "method": "lexicon",
        "source_score": 0.9,
        "retelling_score": 6.4,
        "spans": [
            _style_span("Catastrophic", "loaded adjective"),
            _style_span("blamed", "blame framing"),
            _style_span("total failure", "charged phrase"),
        ],
    }
    src_sents, ret_sents = _sentences(SOURCE), _sentences(RETELLING)
    data = {
        "schema_version": "1.0",
        "generator": {"name": "retold", "version": "0.1.0", "judge": "heuristic"},
        "source": {
            "title": "Floods force thousands from Riverton homes {{ 7*7 }}",
            "origin": "https://example.org/news/riverton",
            "word_count": len(SOURCE.split()),
            "language": "en",
            "text": SOURCE,
            "sentences": src_sents,
        },
        "retelling": {
            "title": f"{HOSTILE_SCRIPT} Riverton chaos [bold]",
            "origin": "retelling.txt",
            "word_count": len(RETELLING.split()),
            "language": "en",
            "text": RETELLING,
            "sentences": ret_sents,
        },
        "summary": {
            "fidelity": 0.2,
            "related": True,
            "relatedness": 0.78,
            "claims": {"supported": 2, "unsupported": 2, "contradicted": 1},
            "quotes": {
                "verbatim": 1,
                "altered": 1,
                "indirect": 1,
                "misattributed": 1,
                "unsourced": 2,
            },
            "changes": 1,
            "omissions": 2,
            "style_delta": 5.5,
        },
        "claims": claims,
        "quotes": quotes,
        "changes": changes,
        "omissions": omissions,
        "style": style,
        "alignment": [
            {
                "retelling_sentence": i,
                "source": [{"sentence": min(i, len(src_sents) - 1), "score": 0.7}],
            }
            for i in range(len(ret_sents))
        ],
        "notes": ["heuristic judge: verdicts are approximate"],
    }
    return data


@pytest.fixture
def audit() -> dict[str, Any]:
    return build_audit()


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def _pane_text(html: str, pane: str) -> str:
    m = re.search(rf'<div class="pane-body" id="pane-{pane}"[^>]*>(.*?)</div>', html, flags=re.S)
    assert m, pane
    return htmllib.unescape(re.sub(r"<[^>]+>", "", m.group(1)))


def test_fixture_matches_schema(audit):
    validate(audit)
    assert len(audit["source"]["sentences"]) == 7
    assert len(audit["retelling"]["sentences"]) == 9


def test_html_structure(audit):
    html = render_html(audit)
    assert html.startswith("<!DOCTYPE html>")
    for i in range(len(audit["source"]["sentences"])):
        assert f'id="src-s{i}"' in html
    for i in range(len(audit["retelling"]["sentences"])):
        assert f'id="ret-s{i}"' in html
    # claim verdicts colour retelling sentences
    assert re.search(r'class="sent v-contradicted"[^>]*id="ret-s0"', html)
    assert re.search(r'class="sent v-supported"[^>]*id="ret-s1"', html)
    assert re.search(r'class="sent v-unsupported"[^>]*id="ret-s3"', html)
    # quotes coloured by verdict, in the text and in the findings
    for verdict in ("verbatim", "altered", "indirect", "misattributed", "unsourced"):
        assert f'<mark class="q q-{verdict}' in html
        assert f'class="finding f-quote q-{verdict}"' in html
    # the altered quote's word diff
    assert "<ins>single</ins>" in html
    assert "<del>street, block by block.</del><ins>street.</ins>" in html
    # changed number highlighted on both sides
    assert re.search(r'<mark class="chg" data-f="change-0"[^>]*>3,000</mark>', html)
    assert re.search(r'<mark class="chg" data-f="change-0"[^>]*>30,000</mark>', html)
    # whole omitted sentence marked; partial omission marked inside its sentence
    assert re.search(r'class="sent omitted"[^>]*id="src-s2"[^>]*data-label="omitted"', html)
    assert re.search(
        r'<mark class="omit" data-f="omission-1"[^>]*>and the central library</mark>', html
    )
    # style span with its label as tooltip; overlapping quote + style split into segments
    assert re.search(r'<mark class="sty sty-new"[^>]*title="Style: loaded adjective', html)
    assert re.search(r'<mark class="q q-unsourced sty sty-new"[^>]*>total failure</mark>', html)
    # evidence of a claim: source sentence carries the claim id (selected via JS)
    assert re.search(r'id="src-s0" data-f="claim-0', html)
    # findings: unsupported claims and omissions ranked by importance
    assert 'id="f-claim-0"' in html and 'id="f-claim-2"' in html
    assert html.index('id="f-omission-0"') < html.index('id="f-omission-1"')
    for key in ("claim", "quote", "change", "omission", "style"):
        assert f'data-filter="{key}"' in html
    assert 'data-show="quote-0"' in html
    # summary and footer
    assert "20%" in html and "relatedness 78%" in html
    assert "does not appear to retell" not in html
    assert "0.9</b> → retelling <b>6.4</b>" in html and "(+5.5)" in html
    assert "judge: heuristic" in html and "schema 1.0" in html and "retold 0.1.0" in html
    assert "@media print" in html


def test_html_text_roundtrip(audit):
    """The panes show exactly the article texts: no text lost, added or re-escaped twice."""
    html = render_html(audit)
    assert _pane_text(html, "source") == audit["source"]["text"]
    assert _pane_text(html, "retelling") == audit["retelling"]["text"]


def test_html_escapes_hostile_input(audit):
    html = render_html(audit)
    assert "<script>alert" not in html
    assert "<img src=x onerror" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;/textarea&gt;" in html and "</textarea>" not in html
    assert "{{ 7*7 }}" in html
    assert "[bold]shame[/bold]" in html
    tags = _tags(html)
    names = [t for t, _ in tags]
    assert names.count("script") == 1
    assert html.count("<script") == 1 and html.count("</script>") == 1
    assert "img" not in names and "textarea" not in names
    for tag, attrs in tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("src", "href", "action"):
            assert not (attrs.get(name) or "").startswith(("http:", "https:", "//")), (tag, attrs)


def test_html_self_contained(audit):
    html = render_html(audit)
    for bad in (
        'src="http',
        "src='http",
        'href="http',
        "href='http",
        "url(http",
        "@import",
        "<link",
    ):
        assert bad not in html
    # the one inline script is ours and pinned by the Content-Security-Policy
    script = re.search(r"<script>(.*?)</script>", html, flags=re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1)
    csp = htmllib.unescape(csp)
    assert f"'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert "scrollIntoView" in script


def test_html_unrelated_banner(audit):
    data = copy.deepcopy(audit)
    data["summary"]["related"] = False
    data["summary"]["relatedness"] = 0.05
    validate(data)
    html = render_html(data)
    assert "This does not appear to retell the source" in html


def test_html_tolerates_bad_offsets(audit):
    data = copy.deepcopy(audit)
    data["quotes"][0]["start"], data["quotes"][0]["end"] = 10_000, 10_020
    data["omissions"][0]["end"] = 99_999
    data["retelling"]["sentences"] = []
    html = render_html(data)
    assert 'id="ret-s0"' in html
    assert _pane_text(html, "retelling") == data["retelling"]["text"]


def test_write_html_atomic(audit, tmp_path: Path, monkeypatch):
    target = tmp_path / "report.html"
    assert write_html(audit, target) == target
    assert target.read_text("utf-8") == render_html(audit)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]

    # a failure while replacing leaves the old report intact and no temp files behind
    target.write_text("old report", "utf-8")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("retold.report.files.os.replace", boom)
    with pytest.raises(RetoldError, match="disk full"):
        write_html(audit, target)
    assert target.read_text("utf-8") == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def _terminal(data: dict[str, Any], verbose: bool = False) -> str:
    console = Console(record=True, width=100, color_system=None)
    render_terminal(data, console, verbose=verbose)
    return console.export_text()


def test_terminal_report(audit):
    out = _terminal(audit)
    assert all(len(line) <= 100 for line in out.splitlines())
    for word in (
        "contradicted",
        "unsupported",
        "altered",
        "misattributed",
        "unsourced",
        "verbatim",
    ):
        assert word in out
    for name in ("Ana Ruiz", "Tom Becker", "Lena Park", "Omar Haddad"):
        assert name in out
    assert "20%" in out
    assert "[bold]shame[/bold]" in out  # article text is not parsed as markup
    assert "Riverton chaos [bold]" in out
    assert "{+single+}" in out and "{+street.+}" in out
    assert diff_text(audit["quotes"][0]["diff"]).plain == (
        "will rebuild every {+single+} [-street, block by block.-]{+street.+}"
    )
    assert "3,000" in out and "30,000" in out
    assert "6.2 metres" in out  # top omission
    assert "0.9 → retelling 6.4" in out and "“Catastrophic” (loaded adjective)" in out
    # supported claims only when verbose
    assert "Shelters opened at two schools." not in out
    assert "does not appear to retell" not in out
    verbose = _terminal(audit, verbose=True)
    assert "Shelters opened at two schools." in verbose
    assert "supported" in verbose


def test_terminal_unrelated_and_limits(audit):
    data = copy.deepcopy(audit)
    data["summary"]["related"] = False
    base = data["omissions"][0]
    data["omissions"] = [dict(base, importance=round(0.9 - i * 0.05, 2)) for i in range(12)]
    out = _terminal(data)
    assert "does not appear to retell the source" in out
    assert "top 8 of 12" in out
    assert "top 8 of 12" not in _terminal(data, verbose=True)
