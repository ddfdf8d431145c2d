"""Entailment sets measured through ``compare``: ANLI R1-R3 test (premise -> hypothesis) and
WiCE test (a Wikipedia claim against its whole cited web page). Both are for measuring only
(ANLI is CC BY-NC; WiCE's test part is held out), and nothing here is tuned on them: the
verdicts are the judge's own.

A hypothesis that the pipeline splits into several claims gets one verdict: contradicted if
any claim is, supported if every claim is, else unsupported; its score is the least support.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from retold.eval.claims import Progress
from retold.eval.data import read_jsonl, sample_rows
from retold.eval.metrics import auroc, balanced_accuracy
from retold.settings import Settings
from retold.types import Article

_ANLI = {"e": "entailment", "n": "neutral", "c": "contradiction"}
_VERDICT_3WAY = {"supported": "entailment", "contradicted": "contradiction"}


def _judge_pair(premise: str, hypothesis: str, judge: str, settings: Settings) -> tuple[str, float]:
    from retold.audit.compare import compare

    audit = compare(
        Article(premise, origin="premise"),
        Article(hypothesis, origin="hypothesis"),
        settings=settings,
        judge=judge,
    )
    verdicts = [c.verdict for c in audit.claims]
    score = min((c.support_score for c in audit.claims), default=0.0)
    if "contradicted" in verdicts:
        return "contradicted", score
    if verdicts and all(v == "supported" for v in verdicts):
        return "supported", score
    return "unsupported", score


def _binary(gold: list[int], verdicts: list[str], scores: list[float]) -> dict[str, Any]:
    pred = [int(v == "supported") for v in verdicts]
    return {
        "accuracy": round(sum(p == y for p, y in zip(pred, gold, strict=True)) / len(gold), 4),
        "balanced_accuracy": round(balanced_accuracy(gold, pred, 0.5), 4),
        "auroc": round(auroc(gold, scores), 4),
        "majority": round(max(sum(gold), len(gold) - sum(gold)) / len(gold), 4),
        "n": len(gold),
    }


def eval_anli(
    data: Path,
    judge: str,
    settings: Settings,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Per round: 2-way (entailment vs not) accuracy, balanced accuracy and AUROC, and 3-way
    accuracy with unsupported read as neutral."""
    out: dict[str, Any] = {}
    for rnd in ("R1", "R2", "R3"):
        path = data / "nli" / "anli_v1.0" / rnd / "test.jsonl"
        rows = sample_rows(read_jsonl(path), limit, "uid")
        gold3, verdicts, scores = [], [], []
        for k, r in enumerate(rows):
            v, s = _judge_pair(r["context"], r["hypothesis"], judge, settings)
            gold3.append(_ANLI[r["label"]])
            verdicts.append(v)
            scores.append(s)
            if progress:
                progress(f"anli {rnd}", k + 1, len(rows))
        report = _binary([int(g == "entailment") for g in gold3], verdicts, scores)
        three = [_VERDICT_3WAY.get(v, "neutral") for v in verdicts]
        report["accuracy_3way"] = round(
            sum(a == b for a, b in zip(three, gold3, strict=True)) / len(gold3), 4
        )
        out[rnd] = report
    return out


def eval_wice(
    data: Path,
    judge: str,
    settings: Settings,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Claim-level: supported vs partially / not supported, the claim against the whole page."""
    path = data / "claims" / "wice" / "claim" / "test.jsonl"
    rows = sample_rows(read_jsonl(path), limit, "claim")
    gold, verdicts, scores = [], [], []
    for k, r in enumerate(rows):
        page = "\n".join(s for s in r["evidence"] if not s.startswith("(meta data)"))
        v, s = _judge_pair(page, r["claim"], judge, settings)
        gold.append(int(r["label"] == "supported"))
        verdicts.append(v)
        scores.append(s)
        if progress:
            progress("wice", k + 1, len(rows))
    return _binary(gold, verdicts, scores)
