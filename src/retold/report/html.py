"""Self-contained HTML report, rendered from the audit dict (the JSON contract) only.

One file, no external assets: inline CSS and a small inline script (pinned by a hash in a
Content-Security-Policy), system fonts, works offline and prints. Article text is never
marked safe: highlights are computed here as plain-text *segments* (each with CSS classes,
tooltip and finding ids) and Jinja escapes every segment.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from retold.report.files import write_text_atomic
from retold.report.fmt import num, pct, signed
from retold.report.pages import TEMPLATES, template_env

CLAIM_ORDER = ("contradicted", "unsupported", "supported", "boilerplate")
QUOTE_ORDER = ("unsourced", "misattributed", "altered", "indirect", "verbatim")
_CLAIM_RANK = {"boilerplate": 0, "supported": 0, "unsupported": 1, "contradicted": 2}
_QUOTE_RANK = {v: len(QUOTE_ORDER) - i for i, v in enumerate(QUOTE_ORDER)}
# an omission covering at least this share of a source sentence marks the whole sentence
_OMITTED_SENTENCE_SHARE = 0.5

FILTERS = (
    ("claim", "Claims"),
    ("quote", "Quotes"),
    ("change", "Changes"),
    ("omission", "Omissions"),
    ("style", "Style"),
)


@dataclass
class _Mark:
    start: int
    end: int
    classes: tuple[str, ...]
    tip: str
    fid: str


class _SentenceDeco:
    __slots__ = ("classes", "fids", "tips", "label", "rank", "aligned")

    def __init__(self) -> None:
        self.classes: list[str] = []
        self.fids: list[str] = []
        self.tips: list[str] = []
        self.label = ""
        self.rank = -1
        self.aligned: list[int] = []

    def add(self, fid: str, tip: str = "", *classes: str) -> None:
        if fid not in self.fids:
            self.fids.append(fid)
        if tip and tip not in self.tips:
            self.tips.append(tip)
        for c in classes:
            if c not in self.classes:
                self.classes.append(c)


# --------------------------------------------------------------------------- helpers


def _clamp(start: Any, end: Any, n: int) -> tuple[int, int]:
    try:
        a, b = int(start), int(end)
    except (TypeError, ValueError):
        return 0, 0
    a = max(0, min(a, n))
    return a, max(a, min(b, n))


def _sentences(article: dict[str, Any]) -> list[tuple[int, int, int]]:
    """(index, start, end) of the article's sentences: clamped, ordered, non-overlapping."""
    text = article.get("text") or ""
    n = len(text)
    raw = []
    for i, s in enumerate(article.get("sentences") or []):
        a, b = _clamp(s.get("start"), s.get("end"), n)
        if b > a:
            raw.append((i, a, b))
    raw.sort(key=lambda t: (t[1], t[2]))
    out: list[tuple[int, int, int]] = []
    pos = 0
    for i, a, b in raw:
        a = max(a, pos)
        if b > a:
            out.append((i, a, b))
            pos = b
    if not out and text:
        out.append((0, 0, n))
    return out


def _overlapping(
    sents: list[tuple[int, int, int]], start: Any, end: Any, n: int
) -> list[tuple[int, int, int]]:
    a, b = _clamp(start, end, n)
    if b <= a:  # an empty span still points at the sentence it sits in
        return [s for s in sents if s[1] <= a < s[2]][:1]
    return [s for s in sents if s[1] < b and a < s[2]]


def _short(text: str, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _best_evidence(evidence: list[dict[str, Any]], side: str = "source") -> dict[str, Any] | None:
    items = [e for e in evidence or [] if e.get("side", "source") == side]
    if not items:
        return None
    return max(items, key=lambda e: e.get("score") if e.get("score") is not None else -1.0)


def _speaker(s: Any) -> str:
    return s if s else "unknown speaker"


# --------------------------------------------------------------------------- segments


def _pane(
    text: str,
    sents: list[tuple[int, int, int]],
    prefix: str,
    marks: list[_Mark],
    decos: dict[int, _SentenceDeco],
) -> list[dict[str, Any]]:
    """The article as pieces: gaps between sentences (plain text) and sentences, each a list
    of segments split at every highlight boundary. Texts stay plain strings (escaped later)."""
    pieces: list[dict[str, Any]] = []
    pos = 0
    for i, a, b in sents:
        if a > pos:
            pieces.append({"kind": "gap", "text": text[pos:a]})
        inside = [m for m in marks if m.start < b and a < m.end]
        cuts = {a, b}
        for m in inside:
            cuts.update(x for x in (m.start, m.end) if a < x < b)
        edges = sorted(cuts)
        segments = []
        for s, e in zip(edges, edges[1:], strict=False):
            cover = [m for m in inside if m.start <= s and e <= m.end]
            classes: list[str] = []
            fids: list[str] = []
            tips: list[str] = []
            for m in cover:
                classes.extend(c for c in m.classes if c not in classes)
                if m.fid not in fids:
                    fids.append(m.fid)
                if m.tip and m.tip not in tips:
                    tips.append(m.tip)
            segments.append(
                {
                    "text": text[s:e],
                    "classes": " ".join(classes),
                    "fids": " ".join(fids),
                    "tip": "\n".join(tips),
                }
            )
        deco = decos.get(i) or _SentenceDeco()
        pieces.append(
            {
                "kind": "sentence",
                "id": f"{prefix}-s{i}",
                "classes": " ".join(["sent", *deco.classes]),
                "fids": " ".join(deco.fids),
                "tip": "\n".join(deco.tips),
                "label": deco.label,
                "segments": segments,
            }
        )
        pos = b
    if pos < len(text):
        pieces.append({"kind": "gap", "text": text[pos:]})
    return pieces


def build_view(data: dict[str, Any]) -> dict[str, Any]:
    """Everything the template needs, computed from the audit dict."""
    src = data.get("source") or {}
    ret = data.get("retelling") or {}
    src_text, ret_text = src.get("text") or "", ret.get("text") or ""
    ns, nr = len(src_text), len(ret_text)
    src_sents, ret_sents = _sentences(src), _sentences(ret)
    side_info = {
        "source": (src_sents, ns),
        "retelling": (ret_sents, nr),
    }
    marks: dict[str, list[_Mark]] = {"source": [], "retelling": []}
    decos: dict[str, dict[int, _SentenceDeco]] = {"source": {}, "retelling": {}}

    def deco(side: str, i: int) -> _SentenceDeco:
        return decos[side].setdefault(i, _SentenceDeco())

    def mark(side: str, start: Any, end: Any, classes: tuple[str, ...], tip: str, fid: str):
        sents, n = side_info.get(side, side_info["source"])
        a, b = _clamp(start, end, n)
        if b > a:
            marks[side if side in marks else "source"].append(_Mark(a, b, classes, tip, fid))

    # claims: verdict colours retelling sentences; evidence marks sentences on its side
    claims = data.get("claims") or []
    for i, c in enumerate(claims):
        fid = f"claim-{i}"
        verdict = c.get("verdict", "unsupported")
        tip = f"Claim: {verdict} ({pct(c.get('confidence'))} confidence)"
        for si, _, _ in _overlapping(ret_sents, c.get("start"), c.get("end"), nr):
            d = deco("retelling", si)
            d.add(fid, tip)
            rank = _CLAIM_RANK.get(verdict, 1)
            if rank > d.rank:
                d.rank = rank
                d.classes = [x for x in d.classes if not x.startswith("v-")]
                d.classes.append(f"v-{verdict}")
        for e in c.get("evidence") or []:
            side = e.get("side", "source")
            sents, n = side_info.get(side, side_info["source"])
            for si, _, _ in _overlapping(sents, e.get("start"), e.get("end"), n):
                deco(side, si).add(fid, f"Evidence for a claim ({verdict})")

    quotes = data.get("quotes") or []
    for i, q in enumerate(quotes):
        fid = f"quote-{i}"
        verdict = q.get("verdict", "unsourced")
        who = _speaker(q.get("speaker"))
        classes = ("q", f"q-{verdict}")
        mark("retelling", q.get("start"), q.get("end"), classes, f"Quote: {verdict} — {who}", fid)
        for e in q.get("evidence") or []:
            side = e.get("side", "source")
            src_who = _speaker(q.get("source_speaker"))
            tip = f"Source of a quote ({verdict}) — {src_who}"
            if side == "retelling":
                tip = f"Quote: {verdict} — {who}"
            mark(side, e.get("start"), e.get("end"), (*classes, "q-ev"), tip, fid)

    changes = data.get("changes") or []
    for i, ch in enumerate(changes):
        fid = f"change-{i}"
        was, now = _short(ch.get("source_text", ""), 40), _short(ch.get("retelling_text", ""), 40)
        tip = f"Changed {ch.get('kind', '')}: “{was}” → “{now}”"
        for e in ch.get("evidence") or []:
            mark(e.get("side", "source"), e.get("start"), e.get("end"), ("chg",), tip, fid)

    omissions = data.get("omissions") or []
    for i, o in enumerate(omissions):
        fid = f"omission-{i}"
        tip = f"Omitted from the retelling (importance {pct(o.get('importance'))})"
        a, b = _clamp(o.get("start"), o.get("end"), ns)
        for si, sa, sb in _overlapping(src_sents, a, b, ns):
            covered = min(b, sb) - max(a, sa)
            d = deco("source", si)
            if sb > sa and covered / (sb - sa) >= _OMITTED_SENTENCE_SHARE:
                d.add(fid, tip, "omitted")
                d.label = "omitted"
            else:
                d.add(fid)
                mark("source", max(a, sa), min(b, sb), ("omit",), tip, fid)

    style = data.get("style") or {}
    spans = style.get("spans") or []
    for i, s in enumerate(spans):
        fid = f"style-{i}"
        side = s.get("side", "retelling")
        new = bool(s.get("new"))
        kind = f"{s['kind']}: " if s.get("kind") else ""
        tip = f"Style: {kind}{s.get('label', '')}" + (" (new in retelling)" if new else "")
        classes = ("sty", "sty-new") if new else ("sty",)
        mark(side, s.get("start"), s.get("end"), classes, tip, fid)

    # alignment: clicking a retelling sentence shows the source sentences it rests on
    for row in data.get("alignment") or []:
        ri = row.get("retelling_sentence")
        if not isinstance(ri, int):
            continue
        fid = f"align-{ri}"
        srcs = [x for x in row.get("source") or [] if isinstance(x.get("sentence"), int)]
        if not srcs:
            continue
        deco("retelling", ri).add(fid)
        for x in srcs:
            d = deco("source", x["sentence"])
            d.add(fid)
            d.aligned.append(ri + 1)
    for d in decos["source"].values():
        if d.aligned:
            which = ", ".join(str(n) for n in d.aligned)
            plural = "s" if len(d.aligned) > 1 else ""
            d.tips.append(f"Aligned with retelling sentence{plural} {which}")

    def claim_view(i: int, c: dict[str, Any]) -> dict[str, Any]:
        return {"fid": f"claim-{i}", "c": c, "best": _best_evidence(c.get("evidence") or [])}

    open_claims = [
        claim_view(i, c) for i, c in enumerate(claims) if c.get("verdict") != "supported"
    ]
    open_claims.sort(
        key=lambda v: (-_CLAIM_RANK.get(v["c"].get("verdict"), 1), -(v["c"].get("confidence") or 0))
    )
    ok_claims = [claim_view(i, c) for i, c in enumerate(claims) if c.get("verdict") == "supported"]
    quote_views = sorted(
        ({"fid": f"quote-{i}", "q": q} for i, q in enumerate(quotes)),
        key=lambda v: (-_QUOTE_RANK.get(v["q"].get("verdict"), 0), v["q"].get("start") or 0),
    )
    change_views = [{"fid": f"change-{i}", "ch": ch} for i, ch in enumerate(changes)]
    omission_views = sorted(
        ({"fid": f"omission-{i}", "o": o} for i, o in enumerate(omissions)),
        key=lambda v: -(v["o"].get("importance") or 0),
    )
    style_views = sorted(
        ({"fid": f"style-{i}", "s": s} for i, s in enumerate(spans)),
        key=lambda v: (
            not v["s"].get("new"),
            v["s"].get("side") != "retelling",
            v["s"].get("start") or 0,
        ),
    )

    summary = data.get("summary") or {}
    fidelity = summary.get("fidelity", 0) or 0
    claim_counts = dict(summary.get("claims") or {})
    quote_counts = dict(summary.get("quotes") or {})
    gen = data.get("generator") or {}
    return {
        "data": data,
        "src": src,
        "ret": ret,
        "summary": summary,
        "fidelity_pct": pct(fidelity),
        "fidelity_width": max(0, min(100, round(float(fidelity) * 100))),
        "fidelity_class": "good" if fidelity >= 0.75 else ("mid" if fidelity >= 0.5 else "bad"),
        "related": bool(summary.get("related", True)),
        "relatedness_pct": pct(summary.get("relatedness", 0)),
        "claim_counts": [(v, claim_counts.pop(v, 0)) for v in CLAIM_ORDER]
        + sorted(claim_counts.items()),
        "quote_counts": [(v, quote_counts.pop(v, 0)) for v in QUOTE_ORDER]
        + sorted(quote_counts.items()),
        "n_claims": len(claims),
        "n_quotes": len(quotes),
        "n_changes": summary.get("changes", len(changes)),
        "n_omissions": summary.get("omissions", len(omissions)),
        "style": style,
        "style_source": num(style.get("source_score")),
        "style_retelling": num(style.get("retelling_score")),
        "style_delta": signed(summary.get("style_delta")),
        "style_delta_up": (summary.get("style_delta") or 0) > 0,
        "src_pieces": _pane(src_text, src_sents, "src", marks["source"], decos["source"]),
        "ret_pieces": _pane(ret_text, ret_sents, "ret", marks["retelling"], decos["retelling"]),
        "open_claims": open_claims,
        "ok_claims": ok_claims,
        "quotes": quote_views,
        "changes": change_views,
        "omissions": omission_views,
        "style_spans": style_views,
        "filters": [
            (key, label, n)
            for (key, label), n in zip(
                FILTERS,
                (len(open_claims), len(quotes), len(changes), len(omissions), len(spans)),
                strict=True,
            )
        ],
        "notes": data.get("notes") or [],
        "generator": gen,
        "schema_version": data.get("schema_version", ""),
    }


# --------------------------------------------------------------------------- rendering


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = template_env(keep_trailing_newline=True)
    env.filters["pct"] = pct
    env.filters["num"] = num
    return env


@lru_cache(maxsize=1)
def _assets() -> tuple[Markup, Markup, Markup]:
    """Our own CSS and script (static files, not article text) and the script's CSP hash."""
    css = (TEMPLATES / "audit.css").read_text("utf-8")
    js = (TEMPLATES / "audit.js").read_text("utf-8")
    if "</" in css or "</" in js:  # would end the element early
        raise ValueError("inline assets must not contain '</'")
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    return Markup(css), Markup(js), Markup(f"'sha256-{digest}'")


def script_csp() -> str:
    """The report's Content-Security-Policy: nothing but its own inline style and script
    (by hash), so no article text can run or load anything. Servers send it as a header."""
    script_hash = _assets()[2]
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src {script_hash}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def render_html(data: dict[str, Any], links: list[tuple[str, str]] | None = None) -> str:
    """The audit dict as one self-contained HTML page; ``links`` (label, href) add a nav
    bar (the web app's way back; report files have none)."""
    css, js, _ = _assets()
    view = build_view(data)
    return (
        _env()
        .get_template("audit.html.j2")
        .render(**view, css=css, script=js, csp=script_csp(), links=links or [])
    )


def write_html(data: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Render and write atomically (a crash or full disk never leaves half a report)."""
    target = Path(path)
    write_text_atomic(target, render_html(data))
    return target
