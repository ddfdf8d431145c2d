"""Claim-support evaluation: FRANK, QAGS and LLMFake, scored with any judge.

Every retelling sentence gets the judge's support probability through the same ``compare``
pipeline users run; a summary's score is its least supported sentence.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retold.audit.summary import FLAGGED_VERDICTS
from retold.eval.data import dev_split, read_jsonl, sample_rows
from retold.eval.metrics import auroc, balanced_accuracy, best_threshold
from retold.settings import Settings
from retold.types import Article

Progress = Callable[[str, int, int], None]


def sentence_support(
    source_text: str,
    sentences: list[str],
    judge: str,
    settings: Settings,
) -> tuple[list[float], bool]:
    """Support probability for each given retelling sentence (min over the claims in it), and
    whether any claim got a flagging verdict (what a user sees as an accusation)."""
    from retold.audit.compare import compare

    sentences = [s.strip() or "." for s in sentences]
    text = "\n".join(sentences)
    spans, pos = [], 0
    for s in sentences:
        spans.append((pos, pos + len(s)))
        pos += len(s) + 1
    audit = compare(
        Article(source_text, origin="source"),
        Article(text, origin="retelling"),
        settings=settings,
        judge=judge,
    )
    out = []
    for a, b in spans:
        probs = [c.support_score for c in audit.claims if c.start < b and a < c.end]
        out.append(min(probs) if probs else 0.0)
    return out, any(c.verdict in FLAGGED_VERDICTS for c in audit.claims)


def false_flag_rate(items: list[tuple[int, bool]]) -> dict[str, Any]:
    """Share of faithful summaries (label 1) with at least one flagged claim."""
    faithful = [flagged for label, flagged in items if label == 1]
    return {
        "false_flag_rate": round(sum(faithful) / len(faithful), 4) if faithful else None,
        "faithful_n": len(faithful),
    }


AGGREGATES = {"min": min, "mean": lambda v: sum(v) / len(v)}


def _aggregate(items: list[tuple[int, list[float]]], how: str) -> list[tuple[int, float]]:
    return [(y, AGGREGATES[how](v)) for y, v in items]


def choose_aggregate(dev: list[tuple[int, list[float]]]) -> str:
    """How sentence support becomes a summary score (least supported sentence, or the mean),
    chosen by AUROC on the dev part only."""

    def score(how: str) -> float:
        agg = _aggregate(dev, how)
        value = auroc([y for y, _ in agg], [s for _, s in agg])
        return -1.0 if math.isnan(value) else value

    return max(AGGREGATES, key=score)


def _binary_report(
    dev: list[tuple[int, float]], test: list[tuple[int, float]], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    t = best_threshold([y for y, _ in dev], [s for _, s in dev])
    ys, ss = [y for y, _ in test], [s for _, s in test]
    dy, ds = [y for y, _ in dev], [s for _, s in dev]
    report = {
        "balanced_accuracy": round(balanced_accuracy(ys, ss, t), 4),
        "auroc": round(auroc(ys, ss), 4),
        # for choosing between judges and settings without looking at the test part
        "dev_balanced_accuracy": round(balanced_accuracy(dy, ds, t), 4),
        "dev_auroc": round(auroc(dy, ds), 4),
        "n": len(test),
        "n_dev": len(dev),
        "threshold": round(t, 4),
    }
    report.update(extra or {})
    return report


def eval_frank(
    data: Path,
    judge: str,
    settings: Settings,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Summary level: label 1 = every sentence factual. Threshold on valid, report test."""
    rows = sample_rows(
        sorted(
            read_jsonl(data / "frank" / "pairs.jsonl.gz"), key=lambda r: (r["split"], r["doc_hash"])
        ),
        limit,
    )
    dev: list[tuple[int, list[float]]] = []
    test: list[tuple[int, list[float]]] = []
    datasets: list[str] = []
    baselines: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    flags: list[tuple[int, bool]] = []
    for k, r in enumerate(rows):
        probs, flagged = sentence_support(
            r["article"], r["summary_sentences"] or [r["summary"]], judge, settings
        )
        item = (int(r["label"]), probs or [0.0])
        (dev if r["split"] == "valid" else test).append(item)
        if r["split"] == "test":
            datasets.append(r["dataset"])
            flags.append((int(r["label"]), flagged))
        for name, value in (r.get("baseline_metric_scores") or {}).items():
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                baselines[name][0 if r["split"] == "valid" else 1].append((int(r["label"]), value))
        if progress:
            progress("frank", k + 1, len(rows))
    agg = choose_aggregate(dev)
    d_scores, t_scores = _aggregate(dev, agg), _aggregate(test, agg)
    extra: dict[str, Any] = {"aggregate": agg}
    for d in sorted(set(datasets)):
        part = [x for x, ds in zip(t_scores, datasets, strict=True) if ds == d]
        extra["auroc_" + d] = round(auroc([y for y, _ in part], [s for _, s in part]), 4)
    report = _binary_report(d_scores, t_scores, extra)
    report.update(false_flag_rate(flags))
    # the shipped metric scores, recomputed with the same code: checks the harness itself
    report["baselines_recomputed"] = {
        name: {k: v for k, v in _binary_report(d, t).items() if k in ("balanced_accuracy", "auroc")}
        for name, (d, t) in sorted(baselines.items())
        if name in ("BertScore F1 Art", "BertScore P Art", "FactCC", "QAGS") and d and t
    }
    return report


def eval_qags(
    data: Path,
    judge: str,
    settings: Settings,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Summary level and sentence level. QAGS ships no split: ~30% of summaries (by id hash)
    are the dev part for the threshold, the rest is reported."""
    rows = sample_rows(read_jsonl(data / "qags" / "pairs.jsonl"), limit)
    dev: list[tuple[int, list[float]]] = []
    test: list[tuple[int, list[float]]] = []
    s_dev: list[tuple[int, float]] = []
    s_test: list[tuple[int, float]] = []
    flags: list[tuple[int, bool]] = []
    for k, r in enumerate(rows):
        sents = [s["sentence"] for s in r["sentences"]]
        probs, flagged = sentence_support(r["article"], sents, judge, settings)
        is_dev = dev_split(r["id"])
        if not is_dev:
            flags.append((int(r["label"]), flagged))
        (dev if is_dev else test).append((int(r["label"]), probs or [0.0]))
        for lab, p in zip(r["sentence_labels"], probs, strict=True):
            (s_dev if is_dev else s_test).append((int(lab), p))
        if progress:
            progress("qags", k + 1, len(rows))
    agg = choose_aggregate(dev)
    report = _binary_report(_aggregate(dev, agg), _aggregate(test, agg), {"aggregate": agg})
    report.update(false_flag_rate(flags))
    sent = _binary_report(s_dev, s_test)
    report["sentence_balanced_accuracy"] = sent["balanced_accuracy"]
    report["sentence_auroc"] = sent["auroc"]
    report["sentence_n"] = sent["n"]
    return report


MEANING_PRESERVING = ("paraphrase_generation", "rewrite_generation")


def eval_llmfake(
    data: Path,
    judge: str,
    settings: Settings,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Given the source, tell meaning-preserving rewrites (negatives) from information
    manipulation (positives). Score: share of the rewrite's claims not supported. Split
    ~30/70 dev/test by source article."""
    rows = [
        r
        for r in read_jsonl(data / "llmfake" / "pairs.jsonl.gz")
        if r["generation_type"] in MEANING_PRESERVING
        or r["generation_type"] == "information_manipulation"
    ]
    rows = sample_rows(sorted(rows, key=lambda r: r["source_id"]), limit)
    from retold.audit.compare import compare

    dev, test = [], []
    per_type: dict[str, list[float]] = defaultdict(list)
    for k, r in enumerate(rows):
        source = r.get("source_text_full") or r["source_text"]
        audit = compare(
            Article(source, origin=r["source_id"]),
            Article(r["generated_text"], origin=r["id"]),
            settings=settings,
            judge=judge,
        )
        probs = [c.support_score for c in audit.claims]
        score = 1.0 - sum(probs) / len(probs) if probs else 1.0
        manipulated = int(r["generation_type"] == "information_manipulation")
        is_dev = dev_split(r["source_id"])
        (dev if is_dev else test).append((manipulated, score))
        if not is_dev:
            per_type[r["manipulation_subtype"] or r["generation_type"]].append(score)
        if progress:
            progress("llmfake", k + 1, len(rows))
    report = _binary_report(dev, test)
    t = report["threshold"]
    # recall per manipulation type; for meaning-preserving types, the share rightly NOT flagged
    report["recall_per_type"] = {
        name: round(sum((s >= t) == (name not in MEANING_PRESERVING) for s in v) / len(v), 4)
        for name, v in sorted(per_type.items())
    }
    return report


def timed(fn: Callable[..., dict[str, Any]], *args: Any, **kw: Any) -> dict[str, Any]:
    t = time.perf_counter()
    out = fn(*args, **kw)
    out["seconds"] = round(time.perf_counter() - t, 1)
    return out
