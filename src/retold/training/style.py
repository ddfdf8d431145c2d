"""Train the style models (``retold train --what style`` / ``make train-style``): reproducible
(fixed seed), CPU only, a few minutes. Training splits only; thresholds on dev splits only.

- span identification (``si``): PTC *train* articles, token labels from the task-1 spans;
  the token threshold is chosen on PTC *dev* (gold spans, no techniques);
- technique classification (``tc``): PTC *train* articles outside a fixed held-out share
  (``tc_heldout``, ~20% by article id hash) that is kept for evaluation;
- sensationalism (``sens``) and machine rewriting (``machine``): SheepDog PolitiFact *train*
  articles outside a fixed dev share (~30% by article id); sensational / emotionally
  triggering reframings against the original, objective and neutral ones; every LLM
  reframing against the original for ``machine``; the pair threshold is chosen on the dev share;
- clickbait: the fixed 80/10/10 split of ``clickbait_bucket``; threshold on its dev part.

Every model is an L2-regularised logistic regression (scikit-learn) over standardised
``style.features`` rows; the standardisation is folded into the saved weights.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from retold.eval.data import dev_split, read_jsonl
from retold.eval.metrics import auroc, binary_f1, span_overlap_prf
from retold.style.features import (
    DIM,
    Tokens,
    doc_features,
    headline_features,
    machine_features,
    machine_phrases,
    span_features,
    token_features,
    tokenize,
)
from retold.style.model import Linear, StyleModel, save_model
from retold.style.spans import decode_spans

SI_DIMS = 256
SENSATIONAL_STYLES = ("sensational", "emotionally_triggering")


def tc_heldout(article_id: str) -> bool:
    """PTC train articles kept out of technique training, for its evaluation (~20%)."""
    return dev_split("tc:" + article_id, share=2)


def clickbait_bucket(item_id: str) -> str:
    """Fixed clickbait split by id hash: 80% train, 10% dev, 10% test."""
    h = int(hashlib.sha1(item_id.encode()).hexdigest(), 16) % 10
    return "test" if h == 0 else ("dev" if h == 1 else "train")


def sheepdog_dev(article_id: str) -> bool:
    """SheepDog train articles kept for thresholds (~30%)."""
    return dev_split(article_id)


def _fit(x: np.ndarray, y: np.ndarray, *, c: float, seed: int, balanced: bool = False) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    sd[sd < 1e-6] = 1.0
    z = (x - mu) / sd
    clf = LogisticRegression(
        C=c, max_iter=2000, random_state=seed, class_weight="balanced" if balanced else None
    )
    clf.fit(z, y)
    coef = clf.coef_ if len(clf.classes_) > 2 else clf.coef_[0]
    icpt = clf.intercept_ if len(clf.classes_) > 2 else clf.intercept_[:1]
    w = coef / sd
    b = icpt - (coef * (mu / sd)).sum(axis=-1)
    return Linear(w.astype(np.float32), np.atleast_1d(b).astype(np.float32))


def token_labels(tok: Tokens, spans: list[tuple[int, int]]) -> np.ndarray:
    y = np.zeros(len(tok.words), dtype=np.int8)
    for a, b in spans:
        y[(tok.starts < b) & (tok.ends > a)] = 1
    return y


def load_ptc(data: Path) -> list[dict[str, Any]]:
    path = data / "ptc" / "articles.jsonl"
    if not path.is_file():
        raise FileNotFoundError(path)
    return list(read_jsonl(path))


def train_si(
    rows: list[dict[str, Any]], seed: int, log: Callable[..., Any]
) -> tuple[Linear, float, dict[str, Any]]:
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for r in rows:
        if r["split"] != "train":
            continue
        tok = tokenize(r["text"])
        y = token_labels(tok, [(s["start"], s["end"]) for s in r["si_spans"]])
        # words only (punctuation follows its neighbours); sentences without propaganda are
        # subsampled to keep the fit to a few hundred MB
        sent_pos = np.zeros(len(tok.sentences) + 1, bool)
        sent_pos[tok.sentence[y == 1]] = True
        keep = tok.is_word & (sent_pos[tok.sentence] | (rng.random(len(y)) < 0.35))
        xs.append(token_features(tok, SI_DIMS)[keep])
        ys.append(y[keep])
    x, y = np.vstack(xs), np.concatenate(ys)
    log(f"si: {len(y)} training tokens, {y.mean():.2f} positive")
    model = _fit(x, y, c=0.5, seed=seed)
    del x
    dev = [r for r in rows if r["split"] == "dev"]
    toks = [tokenize(r["text"]) for r in dev]
    probs = [model.prob(token_features(t, SI_DIMS)) for t in toks]
    gold = [[(s["start"], s["end"]) for s in r["spans"]] for r in dev]
    best = (-1.0, 0.5)
    for thr in np.arange(0.15, 0.75, 0.025):
        pred = [
            [(a, b) for a, b, _ in decode_spans(t, p, thr)]
            for t, p in zip(toks, probs, strict=True)
        ]
        f = span_overlap_prf(pred, gold)["f1"]
        if f > best[0]:
            best = (f, round(float(thr), 3))
    log(f"si: threshold {best[1]} (dev F1 {best[0]:.3f})")
    return model, best[1], {"si_dev_f1": best[0]}


def tc_rows(rows: list[dict[str, Any]], heldout: bool) -> tuple[np.ndarray, list[str], list[str]]:
    """Span rows, their techniques and their article ids."""
    xs, labels, groups = [], [], []
    for r in rows:
        if r["split"] != "train" or tc_heldout(r["id"]) != heldout or not r["spans"]:
            continue
        tok = tokenize(r["text"])
        xs.append(span_features(tok, [(s["start"], s["end"]) for s in r["spans"]]))
        labels += [s["technique"] for s in r["spans"]]
        groups += [r["id"]] * len(r["spans"])
    return np.vstack(xs), labels, groups


TC_C_GRID = (0.003, 0.01, 0.03, 0.1)


def train_tc(
    rows: list[dict[str, Any]], seed: int, log: Callable[..., Any]
) -> tuple[Linear, tuple[str, ...], dict[str, Any]]:
    """Multinomial technique classifier; its regularisation is chosen by 4-fold
    cross-validation over training articles (the held-out articles are never seen)."""
    x, labels, groups = tc_rows(rows, heldout=False)
    techniques = tuple(sorted(set(labels)))
    y = np.array([techniques.index(t) for t in labels])
    ids = sorted(set(groups))
    fold_of = {a: k % 4 for k, a in enumerate(np.random.default_rng(seed).permutation(ids))}
    folds = np.array([fold_of[g] for g in groups])
    best = (-1.0, TC_C_GRID[0])
    for c in TC_C_GRID:
        hits = 0
        for k in range(4):
            fit, test = folds != k, folds == k
            present = np.unique(y[fit])
            if len(present) < 3:  # a tiny corpus can leave a fold with too few techniques
                continue
            m = _fit(x[fit], y[fit], c=c, seed=seed)
            hits += int((present[m.logits(x[test]).argmax(axis=1)] == y[test]).sum())
        if hits / len(y) > best[0]:
            best = (hits / len(y), c)
    log(
        f"tc: {len(y)} training spans, {len(techniques)} techniques, C {best[1]} (cv {best[0]:.3f})"
    )
    model = _fit(x, y, c=best[1], seed=seed)
    return model, techniques, {"tc_cv_accuracy": round(best[0], 4), "tc_c": best[1]}


def sheepdog_rows(data: Path) -> list[dict[str, Any]]:
    return list(read_jsonl(data / "sheepdog" / "politifact_train_restyled.jsonl.gz"))


def _sheepdog_docs(rows: list[dict[str, Any]], dev: bool) -> list[tuple[str, str, str]]:
    """(article id, style, text) for the original and every reframing of each article."""
    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for r in rows:
        if sheepdog_dev(r["article_id"]) != dev:
            continue
        if r["article_id"] not in seen:
            seen.add(r["article_id"])
            out.append((r["article_id"], "original", r["original_text"]))
        out.append((r["article_id"], r["style"], r["text"]))
    return out


def train_sens_machine(
    data: Path, seed: int, log: Callable[..., Any]
) -> tuple[Linear, np.ndarray, float, float, Linear, dict[str, Any]]:
    rows = sheepdog_rows(data)
    fit_docs = _sheepdog_docs(rows, dev=False)
    toks = [tokenize(t) for _, _, t in fit_docs]
    neutral = [
        t
        for t, (_, s, _) in zip(toks, fit_docs, strict=True)
        if s not in SENSATIONAL_STYLES and t.is_word.any()
    ]
    # the mean word vector of neutral articles: what short texts are padded with, and what a
    # word's pull on the score is measured against
    baseline = np.mean([t.vectors[t.is_word].mean(axis=0) for t in neutral], axis=0)
    baseline = baseline.astype(np.float32)
    x = np.vstack([doc_features(t, pad=baseline) for t in toks])
    y = np.array([s in SENSATIONAL_STYLES for _, s, _ in fit_docs], dtype=int)
    sens = _fit(x, y, c=0.1, seed=seed, balanced=True)
    log(f"sens: {len(y)} training articles, {y.mean():.2f} sensational")
    xm = np.vstack([machine_features(t) for t in toks])
    ym = np.array([s != "original" for _, s, _ in fit_docs], dtype=int)
    machine = _fit(xm, ym, c=0.05, seed=seed, balanced=True)

    # how much one word moves the logit in a 100-word text; a driver is a word above the
    # 99.5th percentile of the words of neutral articles
    w_emb = sens.w[:DIM]
    moves = np.concatenate([(t.vectors[t.is_word] - baseline) @ w_emb / 100.0 for t in neutral])
    tau = float(np.quantile(moves, 0.995))

    # dev share: AUROC and the pair threshold (points of sensationalism)
    dev_docs = _sheepdog_docs(rows, dev=True)
    score = {
        (a, s): 100.0 * float(sens.prob(doc_features(tokenize(t), pad=baseline))[0])
        for a, s, t in dev_docs
    }
    ys = [s in SENSATIONAL_STYLES for _, s, _ in dev_docs]
    dev_auroc = auroc(ys, [score[(a, s)] for a, s, _ in dev_docs])
    deltas, labels = [], []
    for a, s, _ in dev_docs:
        if s != "original":
            deltas.append(score[(a, s)] - score[(a, "original")])
            labels.append(s in SENSATIONAL_STYLES)
    best = (-1.0, 10.0)
    for thr in np.arange(0.0, 60.0, 1.0):
        acc = float(np.mean((np.array(deltas) > thr) == np.array(labels)))
        if acc > best[0]:
            best = (acc, float(thr))
    log(f"sens: dev AUROC {dev_auroc:.3f}, pair threshold {best[1]} (dev acc {best[0]:.3f})")
    stats = {
        "sens_dev_auroc": round(dev_auroc, 4),
        "sens_dev_pair_accuracy": round(best[0], 4),
    }
    return sens, baseline, tau, best[1], machine, stats


def train_clickbait(
    data: Path, seed: int, log: Callable[..., Any]
) -> tuple[Linear, float, dict[str, Any]]:
    rows = list(read_jsonl(data / "clickbait" / "headlines.jsonl"))
    parts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for part in ("train", "dev"):
        chosen = [r for r in rows if clickbait_bucket(r["id"]) == part]
        x = np.vstack([headline_features(tokenize(r["headline"])) for r in chosen])
        parts[part] = (x, np.array([r["label"] for r in chosen]))
    model = _fit(*parts["train"], c=0.5, seed=seed)
    xd, yd = parts["dev"]
    pd = model.prob(xd)
    grid = np.arange(0.2, 0.81, 0.01)
    f1s = [binary_f1(yd, pd >= t) for t in grid]
    thr = round(float(grid[int(np.argmax(f1s))]), 2)
    log(f"clickbait: {len(parts['train'][1])} training headlines, threshold {thr}")
    return model, thr, {"clickbait_dev_f1": round(max(f1s), 4)}


def train(data: Path, out: Path, seed: int = 13, log: Callable[..., Any] = print) -> dict:
    t0 = time.perf_counter()
    np.random.seed(seed)
    ptc = load_ptc(data)
    si, si_thr, si_stats = train_si(ptc, seed, log)
    tc, techniques, tc_stats = train_tc(ptc, seed, log)
    sens, baseline, tau, min_delta, machine, sens_stats = train_sens_machine(data, seed, log)
    cb, cb_thr, cb_stats = train_clickbait(data, seed, log)
    stats = {**si_stats, **tc_stats, **sens_stats, **cb_stats}
    model = StyleModel(
        si=si,
        si_threshold=si_thr,
        si_dims=SI_DIMS,
        tc=tc,
        techniques=techniques,
        sens=sens,
        sens_baseline=baseline,
        sens_word_tau=tau,
        sens_min_delta=min_delta,
        machine=machine,
        machine_phrases=machine_phrases(),
        clickbait=cb,
        clickbait_threshold=cb_thr,
        meta={"seed": seed, "trained_on": "ptc train, sheepdog train, clickbait train", **stats},
    )
    save_model(model, out)  # byte-identical for the same data and seed (no timings inside)
    return {"stats": {**stats, "seconds": round(time.perf_counter() - t0)}}
