"""Style evaluation on ../shared/data: PTC (SemEval-2020 T11 span identification on dev and
test, technique classification on the held-out share of train), SheepDog (original vs
sensational restyling of the same article) and clickbait headlines (the held-out test bucket).
No evaluation item is ever trained on; thresholds come from dev splits (stored in the model)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from retold.eval.data import read_jsonl
from retold.eval.metrics import auroc, binary_f1, span_overlap_prf
from retold.settings import Settings
from retold.style.analyze import analyze_style, machine_prior
from retold.style.features import headline_features, span_features, tokenize
from retold.style.model import load_model
from retold.training.style import clickbait_bucket, tc_heldout

Progress = Callable[[str, int, int], None] | None


def _tick(progress: Progress, name: str, done: int, total: int) -> None:
    if progress:
        progress(name, done, total)


def eval_ptc(
    data: Path,
    judge: str,
    settings: Settings,
    *,
    limit: int | None = None,
    progress: Progress = None,
) -> dict[str, Any]:
    del judge  # the style models do not use a claim judge
    rows = list(read_jsonl(data / "ptc" / "articles.jsonl"))
    out: dict[str, Any] = {}
    for split in ("dev", "test"):
        chosen = [r for r in rows if r["split"] == split][:limit]
        pred, gold = [], []
        for k, r in enumerate(chosen):
            spans = analyze_style(r["text"], settings=settings).spans
            pred.append([(s.start, s.end) for s in spans if s.kind == "propaganda"])
            gold.append([(s["start"], s["end"]) for s in r["spans"]])
            _tick(progress, f"ptc {split}", k + 1, len(chosen))
        m = span_overlap_prf(pred, gold)
        out.update({f"si_{split}_{key}": v for key, v in m.items()})
        out[f"n_{split}"] = len(chosen)
    out.update(eval_tc(rows, settings, limit=limit))
    return out


def eval_tc(
    rows: list[dict[str, Any]], settings: Settings, *, limit: int | None = None
) -> dict[str, Any]:
    """Micro-F1 of technique classification on the given gold spans of the held-out train
    articles. A span annotated with k techniques gets the model's k most likely techniques;
    every gold annotation gets one prediction, so micro precision = recall = F1."""
    model = load_model(settings.style_model)
    held = [r for r in rows if r["split"] == "train" and tc_heldout(r["id"]) and r["spans"]][:limit]
    correct = total = 0
    majority = Counter()
    for r in held:
        groups: dict[tuple[int, int], list[str]] = {}
        for s in r["spans"]:
            groups.setdefault((s["start"], s["end"]), []).append(s["technique"])
        keys = list(groups)
        probs = model.tc.softmax(span_features(tokenize(r["text"]), keys))
        for key, row in zip(keys, probs, strict=True):
            gold = Counter(groups[key])
            top = [model.techniques[i] for i in np.argsort(-row)[: len(groups[key])]]
            correct += sum((gold & Counter(top)).values())
            total += len(groups[key])
            majority.update(groups[key])
    # the trivial baseline: every span is the most frequent technique of these articles
    base = majority.most_common(1)[0][1] / total if total else 0.0
    return {
        "tc_micro_f1": round(correct / total, 4) if total else 0.0,
        "tc_majority_baseline": round(base, 4),
        "n_tc_spans": total,
        "n_tc_articles": len(held),
    }


def eval_sheepdog(
    data: Path,
    judge: str,
    settings: Settings,
    *,
    limit: int | None = None,
    progress: Progress = None,
) -> dict[str, Any]:
    """PolitiFact test articles: originals against their LLM restylings. Real articles were
    restyled tabloid-sensational (the retelling IS more sensational), fake ones
    mainstream-credible (it is not): pair accuracy of "more sensational than its source"."""
    del judge
    model = load_model(settings.style_model)
    min_delta = settings.style_min_delta or model.sens_min_delta
    path = data / "sheepdog" / "adversarial_test.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [r for r in map(json.loads, fh) if r["dataset"] == "politifact"]
    # A=B and C=D for real articles, A=C and B=D for fake ones: score each distinct text once
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        pairs.setdefault((r["article_id"], r["text"]), r)
    items = list(pairs.values())[: limit * 2 if limit else None]
    cache: dict[str, Any] = {}
    prior = machine_prior(settings)

    def scores(text: str) -> Any:
        if text not in cache:
            cache[text] = analyze_style(text, settings=settings).scores
        return cache[text]

    # AUROC: each original once against each distinct tabloid restyling
    originals: dict[str, float] = {}
    tabloids: list[float] = []
    mach_labels, mach = [], []
    pair_ok = tabloid_ok = credible_ok = tabloid_n = credible_n = 0
    for k, r in enumerate(items):
        orig, restyled = scores(r["original_text"]), scores(r["text"])
        tabloid = r["style"] == "tabloid_sensational"
        if tabloid:
            originals[r["article_id"]] = orig.sensationalism
            tabloids.append(restyled.sensationalism)
        predicted = restyled.sensationalism - orig.sensationalism >= min_delta
        pair_ok += predicted == tabloid
        tabloid_n += tabloid
        credible_n += not tabloid
        tabloid_ok += tabloid and predicted
        credible_ok += (not tabloid) and not predicted
        mach_labels += [0, 1]
        # no marker: the model's prior, which the output leaves out rather than prints
        mach += [
            prior if orig.machine_rewrite is None else orig.machine_rewrite,
            prior if restyled.machine_rewrite is None else restyled.machine_rewrite,
        ]
        _tick(progress, "sheepdog", k + 1, len(items))
    y = [0] * len(originals) + [1] * len(tabloids)
    s = list(originals.values()) + tabloids
    n = len(items)
    return {
        "auroc": round(auroc(list(y), list(s)), 4),
        "pair_accuracy": round(pair_ok / n, 4) if n else 0.0,
        "pair_recall_sensational": round(tabloid_ok / tabloid_n, 4) if tabloid_n else 0.0,
        "pair_specificity_credible": round(credible_ok / credible_n, 4) if credible_n else 0.0,
        "min_delta": min_delta,
        "machine_auroc": round(auroc(mach_labels, mach), 4),
        "n": n,
        "n_auroc": len(y),
    }


def eval_clickbait(
    data: Path,
    judge: str,
    settings: Settings,
    *,
    limit: int | None = None,
    progress: Progress = None,
) -> dict[str, Any]:
    del judge
    model = load_model(settings.style_model)
    thr = settings.style_clickbait_threshold or model.clickbait_threshold
    rows = [
        r
        for r in read_jsonl(data / "clickbait" / "headlines.jsonl")
        if clickbait_bucket(r["id"]) == "test"
    ][:limit]
    scores = []
    for k, r in enumerate(rows):
        scores.append(float(model.clickbait.prob(headline_features(tokenize(r["headline"])))[0]))
        if k % 200 == 0 or k + 1 == len(rows):
            _tick(progress, "clickbait", k + 1, len(rows))
    y = [r["label"] for r in rows]
    pred = [s >= thr for s in scores]
    return {
        "f1": round(binary_f1(y, pred), 4),
        "accuracy": round(float(np.mean(np.array(pred) == np.array(y, dtype=bool))), 4),
        "auroc": round(auroc(y, scores), 4),
        "threshold": thr,
        "n": len(rows),
    }
