"""Score audits of the demo corpus against its gold file: precision and recall per finding type.

A gold string is located in its article and matched to predicted findings by character
overlap, so scoring does not depend on exact sentence boundaries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from retold.audit.summary import FLAGGED_VERDICTS


def corpus_dir() -> Any:
    return resources.files("retold").joinpath("demo/corpus")


def load_gold() -> dict[str, Any]:
    return json.loads(corpus_dir().joinpath("gold.json").read_text("utf-8"))


def _spans(text: str, needle: str) -> list[tuple[int, int]]:
    out, start = [], 0
    while needle and (k := text.find(needle, start)) >= 0:
        out.append((k, k + len(needle)))
        start = k + 1
    return out


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(p, 3),
            "recall": round(r, 3),
            "misses": self.misses,
        }


STYLE_MARGIN = 10.0  # sensationalism points (0-100) that make a difference "clear"


def score(audits: dict[str, dict[str, Any]], gold: dict[str, Any] | None = None) -> dict[str, Any]:
    """``audits`` maps retelling file name -> audit JSON dict (``audit_to_dict``)."""
    gold = gold or load_gold()
    t = {k: Tally() for k in ("claims", "quotes", "changes", "omissions")}
    per_verdict: dict[str, Tally] = {}
    checks: dict[str, bool] = {}
    for name, g in gold["retellings"].items():
        if name not in audits:
            continue
        a = audits[name]
        ret_text, src_text = a["retelling"]["text"], a["source"]["text"]
        if g.get("kind") == "unrelated" or g.get("related") is False:
            checks[f"{name}: recognised as unrelated"] = a["summary"]["related"] is False
            continue
        checks[f"{name}: recognised as related"] = a["summary"]["related"] is True
        _score_claims(name, g, a, ret_text, t["claims"])
        _score_quotes(name, g, a, ret_text, t["quotes"], per_verdict)
        _score_changes(name, g, a, ret_text, src_text, t["changes"])
        _score_omissions(name, g, a, src_text, t["omissions"])
        if g.get("kind") == "faithful":
            checks[f"{name}: no unsupported/contradicted claim"] = not any(
                c["verdict"] in FLAGGED_VERDICTS for c in a["claims"]
            )
            checks[f"{name}: no fabricated quote"] = not any(
                q["verdict"] in ("unsourced", "misattributed") for q in a["quotes"]
            )
        if g.get("kind") == "faithful":
            checks[f"{name}: not more sensational than the source"] = not a["style"].get(
                "more_sensational", False
            )
        if g.get("style_higher_than_source"):
            # "clearly": by STYLE_MARGIN sensationalism points over the source and over every
            # faithful paraphrase
            score_ = a["style"]["retelling_score"]
            faithful = [
                audits[n]["style"]["retelling_score"]
                for n, x in gold["retellings"].items()
                if x.get("kind") == "faithful" and n in audits
            ]
            checks[f"{name}: style clearly above source and paraphrase"] = (
                score_ >= max([a["style"]["source_score"], *faithful]) + STYLE_MARGIN
            )
    return {
        "types": {k: v.as_dict() for k, v in t.items()},
        "quote_verdicts": {k: v.as_dict() for k, v in sorted(per_verdict.items())},
        "checks": checks,
    }


def _score_claims(name: str, g: dict, a: dict, text: str, tally: Tally) -> None:
    gold_items = [(c, _spans(text, c["text"])) for c in g.get("claims", [])]
    # sentences carrying an invented or misattributed quote are rightly flagged as claims too
    bad_quotes = [
        _spans(text, q["text"])
        for q in g.get("quotes", [])
        if q["verdict"] in ("unsourced", "misattributed")
    ]
    flagged = [c for c in a["claims"] if c["verdict"] in FLAGGED_VERDICTS]
    for c, spans in gold_items:
        if any(_overlaps(spans, p["start"], p["end"]) for p in flagged):
            tally.tp += 1
        else:
            tally.fn += 1
            tally.misses.append(f"{name}: missed {c['verdict']}: {c['text'][:70]}")
    for p in flagged:
        ok = any(_overlaps(s, p["start"], p["end"]) for _, s in gold_items) or any(
            _overlaps(s, p["start"], p["end"]) for s in bad_quotes
        )
        if not ok:
            tally.fp += 1
            tally.misses.append(f"{name}: false {p['verdict']}: {p['text'][:70]}")


def _score_quotes(
    name: str, g: dict, a: dict, text: str, tally: Tally, per_verdict: dict[str, Tally]
) -> None:
    preds = a["quotes"]
    matched: set[int] = set()
    for q in g.get("quotes", []):
        spans = _spans(text, q["text"])
        hit = next(
            (
                k
                for k, p in enumerate(preds)
                if k not in matched and _overlaps(spans, p["start"], p["end"])
            ),
            None,
        )
        v = per_verdict.setdefault(q["verdict"], Tally())
        if hit is None:
            tally.fn += 1
            v.fn += 1
            tally.misses.append(f"{name}: quote not found: {q['text'][:60]}")
            continue
        matched.add(hit)
        got = preds[hit]["verdict"]
        if got == q["verdict"]:
            tally.tp += 1
            v.tp += 1
        else:
            tally.fn += 1
            tally.fp += 1
            v.fn += 1
            per_verdict.setdefault(got, Tally()).fp += 1
            tally.misses.append(f"{name}: quote '{q['text'][:40]}' is {q['verdict']}, got {got}")
    for k, p in enumerate(preds):
        if k not in matched:
            tally.fp += 1
            per_verdict.setdefault(p["verdict"], Tally()).fp += 1
            tally.misses.append(f"{name}: extra quote {p['verdict']}: {p['text'][:50]}")


def _score_changes(name: str, g: dict, a: dict, ret_text: str, src_text: str, tally: Tally) -> None:
    preds = a["changes"]
    matched: set[int] = set()
    for c in g.get("changes", []):
        hit = next(
            (
                k
                for k, p in enumerate(preds)
                if k not in matched
                and (c["retelling"] in p["retelling_text"] or p["retelling_text"] in c["retelling"])
                and (c["source"] in p["source_text"] or p["source_text"] in c["source"])
            ),
            None,
        )
        if hit is None:
            tally.fn += 1
            tally.misses.append(f"{name}: change not found: {c['source']} -> {c['retelling']}")
        else:
            matched.add(hit)
            tally.tp += 1
    for k, p in enumerate(preds):
        if k not in matched:
            tally.fp += 1
            tally.misses.append(f"{name}: extra change {p['source_text']} -> {p['retelling_text']}")


def _score_omissions(name: str, g: dict, a: dict, src_text: str, tally: Tally) -> None:
    """Recall over the important dropped sentences; precision over every reported omission,
    which is right when it is any gold loss (important, minor, or a dropped qualifier)."""
    preds = a["omissions"]
    golds = [_spans(src_text, o) for o in g.get("omissions", [])]
    acceptable = golds + [
        _spans(src_text, o) for o in g.get("minor_omissions", []) + g.get("dropped_qualifiers", [])
    ]
    for o, spans in zip(g.get("omissions", []), golds, strict=True):
        if any(_overlaps(spans, p["start"], p["end"]) for p in preds):
            tally.tp += 1
        else:
            tally.fn += 1
            tally.misses.append(f"{name}: omission not found: {o[:60]}")
    for p in preds:
        if not any(_overlaps(s, p["start"], p["end"]) for s in acceptable):
            tally.fp += 1
            tally.misses.append(f"{name}: extra omission: {p['text'][:60]}")
