"""Synthetic claim-support examples for training the learned judge, from *training* splits only.

Two kinds of retelling are imitated:

* summary-like claims (PTC and PolNeAR train articles): source sentences compressed (an
  attribution, a relative clause or a parenthetical dropped) or fused with a nearby sentence
  are supported; the same claims with a swapped name, changed number, inserted negation,
  antonym, swapped actors, half of another sentence, or a clause or sentence from another
  article are not;
* restylings (SheepDog PolitiFact train "objective"/"neutral" rewrites): heavily reworded
  sentences that still align with the original are supported; their perturbations are not.

Each example keeps the text the cross-encoder reads (premise = the claim's top aligned source
sentences, as at judging time) and the feature row the logistic layer reads.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retold.analysis.words import ANTONYMS
from retold.eval.data import read_jsonl
from retold.settings import Settings
from retold.training.perturb import SWAP_LABELS, perturb
from retold.types import AnalyzedArticle, Article, Entity

_AUX = re.compile(r"\b(is|are|was|were|will|has|have|had|can|could|would|should|does|did)\b")
_ATTRIBUTION = re.compile(
    r",?\s*(?:he|she|they|it|[A-Z][\w.]*(?: [A-Z][\w.]*)*) "
    r"(?:said|says|told \w+|added|noted|wrote)\.?$"
)
_CLAUSE = re.compile(
    r"(?<=\w), (?=(?:who|which|while|as|after|although|but|and|where|when|according)\b)"
)
_WORD_SWAPS = (
    ("said", "stated"), ("because", "as"), ("However, ", ""), ("But ", ""), ("also ", ""),
    ("approximately", "about"), ("purchase", "buy"), ("people", "individuals"),
    ("big", "large"), ("start", "begin"),
)  # fmt: skip
_SWAP_LABELS = ("PERSON", "ORG", "GPE", "NORP", "DATE")


@dataclass
class Example:
    premise: str
    claim: str
    label: int  # 1 = supported
    kind: str
    group: int  # source article, for splitting without leakage
    x: np.ndarray  # learned-judge feature row (without the cross-encoder score)


def _tidy(text: str) -> str:
    text = re.sub(r"\s{2,}", " ", text).strip(" ,;")
    if text and text[-1] not in ".!?":
        text += "."
    return text[:1].upper() + text[1:]


def compress(sent: str, rng: random.Random) -> str:
    """A summary-style shortening that keeps the meaning: drop the attribution, a trailing
    clause, a parenthetical or a leading phrase, and reword a few function words."""
    s = re.sub(r"^[\"“]|[\"”]$", "", sent.strip())
    ops: list[Callable[[str], str]] = []
    if m := _ATTRIBUTION.search(s):
        ops.append(lambda t, m=m: t[: m.start()])
    if len(parts := _CLAUSE.split(s)) > 1:
        ops.append(lambda t, p=parts: p[0])
    if paren := re.search(r", [^,]{3,60},", s):
        ops.append(lambda t, m=paren: t[: m.start()] + t[m.end() - 1 :].lstrip(","))
    if lead := re.match(r"^(?:[A-Z][^,]{2,40}), ", s):
        ops.append(lambda t, m=lead: t[m.end() :])
    rng.shuffle(ops)
    out = s
    for op in ops[: rng.randint(1, 2)]:
        cut = op(out)
        if len(cut.split()) >= 6:
            out = cut
            break
    for a, b in _WORD_SWAPS:
        if a in out and rng.random() < 0.4:
            out = out.replace(a, b, 1)
    return _tidy(out)


def _negate(t: str, rng: random.Random) -> str | None:
    m = _AUX.search(t)
    if m and " not " not in t and "n't" not in t:
        return t[: m.end()] + " not" + t[m.end() :]
    return None


def _antonym(t: str, rng: random.Random) -> str | None:
    found = [w for w in ANTONYMS if re.search(rf"\b{w}\b", t)]
    if not found:
        return None
    w = rng.choice(found)
    return re.sub(rf"\b{w}\b", ANTONYMS[w], t, count=1)


def _number(t: str, rng: random.Random) -> str | None:
    found = list(re.finditer(r"\b\d[\d,.]*\b", t))
    if not found:
        return None
    m = rng.choice(found)
    old = m.group(0).replace(",", "").rstrip(".")
    try:
        v = float(old)
    except ValueError:
        return None
    if 1900 < v < 2100 and "." not in old:
        new = str(int(v) + rng.choice((-3, -2, -1, 1, 2, 3)))
    else:
        new = str(int(v * rng.choice((2, 3, 0.5, 10)) + rng.randint(1, 9)))
    return t[: m.start()] + new + t[m.end() :]


def _swap_entity(t: str, here: list[Entity], pool: dict[str, list[str]], rng: random.Random):
    cands = [e for e in here if e.text in t]
    if not cands:
        return None
    e = rng.choice(cands)
    low = t.lower()
    others = [
        x for x in pool.get(e.label, []) if x.lower() != e.text.lower() and x.lower() not in low
    ]
    return t.replace(e.text, rng.choice(others), 1) if others else None


def _swap_actors(t: str, here: list[Entity]) -> str | None:
    names = list(dict.fromkeys(e.text for e in here if e.text in t and e.label != "DATE"))
    if len(names) < 2:
        return None
    a, b = names[:2]
    return t.replace(a, "\0").replace(b, a).replace("\0", b)


def summary_claims(
    doc: AnalyzedArticle, foreign: list[str], rng: random.Random, per_article: int = 14
) -> list[tuple[str, str, int]]:
    """(claim, kind, label) triples imitating a summary of ``doc``."""
    sents = [
        s
        for s in doc.sentences
        if 8 <= len(s.text.split()) <= 45 and not s.text.startswith(('"', "“"))
    ]
    if len(sents) < 4:
        return []
    pool: dict[str, list[str]] = {}
    for e in doc.entities:
        if e.label in _SWAP_LABELS:
            pool.setdefault(e.label, []).append(e.text)
    out: list[tuple[str, str, int]] = []
    for s in rng.sample(sents, min(len(sents), per_article)):
        here = [e for e in doc.entities if e.sentence == s.index and e.label in _SWAP_LABELS]
        c = s.text if rng.random() < 0.15 else compress(s.text, rng)
        out.append((c, "compress", 1))
        near = [u for u in sents if 0 < u.index - s.index <= 3]
        if near and rng.random() < 0.5:
            c2 = compress(rng.choice(near).text, rng)
            out.append((c.rstrip(".") + ", and " + c2[0].lower() + c2[1:], "fusion", 1))
        negs: list[tuple[str | None, str]] = [
            (_swap_entity(c, here, pool, rng), "entity"),
            (_number(c, rng), "number"),
            (_negate(c, rng), "negation"),
            (_antonym(c, rng), "antonym"),
            (_swap_actors(c, here), "actors"),
        ]
        far = [u for u in sents if abs(u.index - s.index) > 4]
        if far and rng.random() < 0.5:
            w1 = c.rstrip(".").split()
            w2 = compress(rng.choice(far).text, rng).rstrip(".").split()
            if len(w1) > 6 and len(w2) > 6:
                negs.append((_tidy(" ".join(w1[: len(w1) // 2] + w2[len(w2) // 2 :])), "splice"))
        if foreign and rng.random() < 0.5:
            f = rng.choice(foreign).rstrip(".!?").split()
            if len(f) > 6:
                clause = " ".join(f[: rng.randint(5, min(12, len(f)))])
                negs.append(
                    (c.rstrip(".") + ", and " + clause[0].lower() + clause[1:] + ".", "addition")
                )
        if foreign and rng.random() < 0.25:
            negs.append((rng.choice(foreign), "extrinsic"))
        kept = [(v, k) for v, k in negs if v and v != c]
        rng.shuffle(kept)
        out += [(v, k, 0) for v, k in kept[:2]]
    return out


def restyle_claims(
    restyled: AnalyzedArticle, foreign: list[str], pool: dict[str, list[str]], rng: random.Random
) -> list[tuple[str, str, int]]:
    """A restyling's own sentences (supported if they align, checked later) and corruptions."""
    out: list[tuple[str, str, int]] = []
    for s in restyled.sentences:
        if len(s.text.split()) < 6:
            continue
        out.append((s.text, "restyle", 1))
        out += [(t, k, 0) for t, k in perturb(s.text, restyled, s.index, pool, foreign, rng)]
    rng.shuffle(out)
    return out[:60]


def label_examples(
    source: AnalyzedArticle,
    claims: list[tuple[str, str, int]],
    group: int,
    settings: Settings,
) -> list[Example]:
    """Judge-time view of each synthetic claim: one analysed 'retelling' holds all claims of
    one source, one per line, aligned the way ``compare`` aligns."""
    from retold.analysis.article import analyze
    from retold.audit.align import align
    from retold.audit.changes import diff_all
    from retold.judges.base import claim_inputs
    from retold.judges.heuristic import heuristic_probability
    from retold.judges.learned import features
    from retold.judges.signals import claim_signals, source_index

    claims = [(re.sub(r"\s+", " ", c).strip(), k, y) for c, k, y in claims]
    by_text = {c: (c, k, y) for c, k, y in claims if len(c.split()) >= 5}
    if not by_text:
        return []
    doc = analyze(Article("\n".join(by_text), origin="claims"), settings)
    al = align(source, doc, settings)
    diffs = diff_all(source, doc, al, settings)
    index = source_index(source, al)
    out = []
    for i, sent in enumerate(doc.sentences):
        owner = by_text.get(sent.text.strip())
        if owner is None:
            continue  # the claim was split into several sentences: its label is unclear
        sig = claim_signals(i, source, doc, al, diffs[i], index, settings)
        if owner[1] == "restyle" and sig.best < 0.4 and sig.recall < 0.4:
            continue  # a restyling sentence with no counterpart is likely added content
        hp, _ = heuristic_probability(sig, settings)
        premise = claim_inputs(source, doc, al, [i])[0].premise
        out.append(Example(premise, sent.text, owner[2], owner[1], group, features(sig, hp)))
    return out


def _train_articles(data: Path) -> Iterator[tuple[str, str]]:
    for r in read_jsonl(data / "ptc" / "articles.jsonl"):
        if r["split"] == "train":
            yield r["id"], r["text"]
    for r in read_jsonl(data / "polnear" / "attributions.jsonl.gz"):
        if r["split"] == "train":
            yield r["id"], r["text"]


def build(
    data: Path,
    settings: Settings,
    summary_articles: int = 360,
    restyle_articles: int = 240,
    seed: int = 13,
    log: Any = print,
) -> list[Example]:
    """Every synthetic example, deterministic for a seed; no evaluation split is read."""
    from retold.analysis.article import analyze, analyze_many

    rng = random.Random(seed)
    t0 = time.perf_counter()
    # PolNeAR repeats an article per annotator: one entry per id
    arts = list(dict(_train_articles(data)).items()) if summary_articles else []
    rng.shuffle(arts)
    out: list[Example] = []
    foreign: list[str] = []
    for k, (aid, text) in enumerate(arts[:summary_articles]):
        doc = analyze(Article(text[:8000], origin=aid), settings)
        claims = summary_claims(doc, foreign[-200:], rng)
        foreign += [s.text for s in doc.sentences if 8 <= len(s.text.split()) <= 45][:10]
        out += label_examples(doc, claims, k, settings)
        if log and (k + 1) % 60 == 0:
            log(
                f"  summaries: {k + 1} articles, {len(out)} claims, {time.perf_counter() - t0:.0f}s"
            )
    rows = [
        r
        for r in read_jsonl(data / "sheepdog" / "politifact_train_restyled.jsonl.gz")
        if r["style"] in ("objective", "neutral") and r["split"] == "train"
    ]
    rng.shuffle(rows)
    rows = rows[:restyle_articles]
    restyled = analyze_many([Article(r["text"][:6000], origin=r["id"]) for r in rows], settings)
    pool: dict[str, list[str]] = {}
    sents: list[tuple[int, str]] = []
    for k, doc in enumerate(restyled):
        for e in doc.entities:
            if e.label in SWAP_LABELS:
                pool.setdefault(e.label, []).append(e.text)
        sents += [(k, s.text) for s in doc.sentences if 8 <= len(s.text.split()) <= 45]
    base = summary_articles
    for k, (r, ret) in enumerate(zip(rows, restyled, strict=True)):
        source = analyze(Article(r["original_text"][:6000], origin=r["article_id"]), settings)
        others = [s for g, s in rng.sample(sents, min(60, len(sents))) if g != k]
        out += label_examples(source, restyle_claims(ret, others, pool, rng), base + k, settings)
        if log and (k + 1) % 60 == 0:
            log(
                f"  restylings: {k + 1} articles, {len(out)} claims, "
                f"{time.perf_counter() - t0:.0f}s"
            )
    return out
