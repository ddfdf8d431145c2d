"""Real-retelling evaluation (``../shared/data/realworld``): real stories, each an original
and its real retellings, with a hand-made gold label for every retelling sentence, quote and
change. Each retelling is audited through the same ``compare`` users run and the findings are
aligned to the gold items by their text.

Scores: per-label precision/recall of sentence verdicts (``beyond_excerpt`` sentences, which
the stored original cannot decide, are reported apart), false accusations per 100 supported
sentences (a supported sentence called unsupported or contradicted), quote false accusations
(a quote the source carries called unsourced or misattributed) and change precision/recall.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retold.audit.summary import FLAGGED_VERDICTS
from retold.eval.data import read_jsonl
from retold.settings import Settings
from retold.types import Article, Audit, Change

Progress = Callable[[str, int, int], None]

SENTENCE_LABELS = ("supported", "unsupported", "contradicted", "boilerplate")
# gold quote labels the source carries: calling them unsourced/misattributed is an accusation
CARRIED_QUOTES = ("verbatim", "altered", "indirect")
ACCUSING_QUOTES = ("unsourced", "misattributed")
# a stored copy without its title says so on line 1 (not labelled)
NO_TITLE = "[title not in stored copy]"
SEVERITY = {"contradicted": 3, "unsupported": 2, "judge_failed": 2, "supported": 1}


def read_story_file(path: Path) -> Article:
    """A realworld file: the title on line 1, a blank line, then the body."""
    raw = path.read_text(encoding="utf-8")
    title, _, body = raw.partition("\n")
    title = title.strip()
    return Article(
        text=body.strip("\n"), title="" if title == NO_TITLE else title, origin=str(path)
    )


def _fold(text: str) -> str:
    """Compare texts whatever their quotation marks, dashes and spacing."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub("[\u2018\u2019\u201a\u201b`\u00b4]", "'", text)
    text = re.sub("[\u201c\u201d\u201e\u201f\u00ab\u00bb]", '"', text)
    return re.sub(r"\s+", " ", text).strip().lower()


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+(?:[.,][0-9]+)*", _fold(text)))


def _locate(haystack: str, needle: str, start: int = 0) -> tuple[int, int] | None:
    i = haystack.find(needle, start)
    if i < 0:
        i = haystack.find(needle)
    if i < 0:
        return None
    return i, i + len(needle)


def predicted_sentence_label(audit: Audit, start: int, end: int) -> str | None:
    """retold's verdict for a gold sentence at ``[start, end)`` of the retelling: the most
    severe verdict among the claims that cover a fair part of it (a gold sentence split in
    two by retold is as wrong as its worse half)."""
    best: tuple[int, str] | None = None
    length = max(1, end - start)
    for c in audit.claims:
        overlap = min(end, c.end) - max(start, c.start)
        if overlap <= 0:
            continue
        if overlap < 0.3 * length and overlap < 0.5 * max(1, c.end - c.start):
            continue
        sev = SEVERITY.get(c.verdict, 0)
        if best is None or sev > best[0]:
            best = (sev, c.verdict)
    return best[1] if best else None


def predicted_quote_label(audit: Audit, text: str, start: int | None) -> str | None:
    """The verdict of the audited quote whose words overlap the gold quote most."""
    gold = _words(text)
    best: tuple[float, str] | None = None
    for q in audit.quotes:
        if start is not None and not (q.start < start + len(text) and start < q.end):
            continue
        words = _words(q.text)
        if not gold or not words:
            continue
        share = len(gold & words) / min(len(gold), len(words))
        if share >= 0.5 and (best is None or share > best[0]):
            best = (share, q.verdict)
    return best[1] if best else None


_PAREN = re.compile(r"\([^)]*\)")


def _side_words(text: str) -> set[str]:
    return _words(_PAREN.sub(" ", text))


def change_matches(gold: dict[str, Any], change: Change) -> bool:
    """A found change is the gold one when both sides share words with the gold's sides (an
    added title has no original side: "(no role given)")."""
    ret_g, ret_p = _side_words(gold["retelling"]), _side_words(change.retelling_text)
    if not ret_g or not ret_p or not ret_g & ret_p:
        return False
    src_g = _side_words(gold["original"])
    if "no role given" in gold["original"]:
        return True
    src_p = _side_words(change.source_text)
    return bool(src_g & src_p)


def score_retelling(audit: Audit, item: dict[str, Any]) -> dict[str, Any]:
    """Predicted labels for one retelling's gold items."""
    text = audit.retelling.text
    sentences = []
    pos = 0
    for s in item["sentences"]:
        loc = _locate(text, s["text"], pos)
        pred = predicted_sentence_label(audit, *loc) if loc else None
        if loc:
            pos = loc[1]
        sentences.append({"gold": s["label"], "pred": pred, "text": s["text"]})
    quotes = []
    for q in item["quotes"]:
        loc = _locate(text, q["text"])
        pred = predicted_quote_label(audit, q["text"], loc[0] if loc else None)
        quotes.append({"gold": q["label"], "pred": pred, "text": q["text"]})
    found = list(audit.changes)
    hit_gold = [any(change_matches(g, c) for c in found) for g in item["changes"]]
    hit_pred = [any(change_matches(g, c) for g in item["changes"]) for c in found]
    changes = {
        "gold": len(item["changes"]),
        "found": len(found),
        "gold_hit": sum(hit_gold),
        "found_right": sum(hit_pred),
        "missed": [
            f"{g['original']} -> {g['retelling']}"
            for g, h in zip(item["changes"], hit_gold, strict=True)
            if not h
        ],
        "wrong": [
            f"{c.kind}: {c.source_text} -> {c.retelling_text}"
            for c, h in zip(found, hit_pred, strict=True)
            if not h
        ],
    }
    return {"sentences": sentences, "quotes": quotes, "changes": changes}


def _prf(pairs: list[tuple[str, str | None]], label: str) -> dict[str, float | int]:
    tp = sum(1 for g, p in pairs if g == label and p == label)
    pred = sum(1 for _, p in pairs if p == label)
    gold = sum(1 for g, _ in pairs if g == label)
    return {
        "precision": round(tp / pred, 3) if pred else 0.0,
        "recall": round(tp / gold, 3) if gold else 0.0,
        "n_gold": gold,
        "n_pred": pred,
    }


def summarise(per: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate scores over the scored retellings (see the module doc)."""
    sents = [s for r in per for s in r["sentences"]]
    judged = [(s["gold"], s["pred"]) for s in sents if s["gold"] != "beyond_excerpt"]
    beyond = Counter(str(s["pred"]) for s in sents if s["gold"] == "beyond_excerpt")
    supported = [p for g, p in judged if g == "supported"]
    accused = sum(1 for p in supported if p in FLAGGED_VERDICTS)
    quotes = [q for r in per for q in r["quotes"]]
    carried = [q for q in quotes if q["gold"] in CARRIED_QUOTES]
    quote_fa = sum(1 for q in carried if q["pred"] in ACCUSING_QUOTES)
    quote_right = sum(1 for q in quotes if q["gold"] != "beyond_excerpt" and q["pred"] == q["gold"])
    n_quotes = sum(1 for q in quotes if q["gold"] != "beyond_excerpt")
    gold_c = sum(r["changes"]["gold"] for r in per)
    found_c = sum(r["changes"]["found"] for r in per)
    return {
        "n_retellings": len(per),
        "n_sentences": len(judged),
        "sentence_accuracy": round(sum(1 for g, p in judged if g == p) / len(judged), 3)
        if judged
        else 0.0,
        "labels": {label: _prf(judged, label) for label in SENTENCE_LABELS},
        "false_accusations_per_100_supported": round(100 * accused / len(supported), 1)
        if supported
        else 0.0,
        "false_accusations": accused,
        "n_supported": len(supported),
        "beyond_excerpt_predicted": dict(beyond),
        "quote_false_accusations": quote_fa,
        "quotes_carried": len(carried),
        "quote_accuracy": round(quote_right / n_quotes, 3) if n_quotes else 0.0,
        "n_quotes": n_quotes,
        "quotes_not_found": sum(1 for q in quotes if q["pred"] is None),
        "change_precision": round(sum(r["changes"]["found_right"] for r in per) / found_c, 3)
        if found_c
        else 0.0,
        "change_recall": round(sum(r["changes"]["gold_hit"] for r in per) / gold_c, 3)
        if gold_c
        else 0.0,
        "changes_gold": gold_c,
        "changes_found": found_c,
        # every labelled retelling retells its original: "unrelated" is always wrong here
        "called_unrelated": sorted(r["retelling"] for r in per if r.get("related") is False),
    }


def eval_realworld(
    data: Path,
    judge: str,
    settings: Settings,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
    details: bool = False,
) -> dict[str, Any]:
    """Audit every labelled retelling against its original and score the findings."""
    from retold.audit.compare import compare

    folder = data / "realworld"
    items = list(read_jsonl(folder / "gold.jsonl"))[:limit]
    per: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        story = folder / item["story"]
        audit = compare(
            read_story_file(story / "original.txt"),
            read_story_file(story / item["retelling"]),
            settings=settings,
            judge=judge,
        )
        scored = score_retelling(audit, item)
        scored["retelling"] = f"{item['story']}/{item['retelling']}"
        scored["related"] = audit.summary.related
        scored["relatedness"] = round(audit.summary.relatedness, 3)
        per.append(scored)
        if progress:
            progress("realworld", n + 1, len(items))
    out = summarise(per)
    if details:
        out["retellings"] = per
    return out
