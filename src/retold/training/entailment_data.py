"""Real entailment pairs for the claim-support model, from ``../shared/data`` (training parts and
sets whose licence allows shipping weights trained on them; see ``SHIPPABLE``).

Every loader returns ``Pair`` rows (premise, claim, 1 = supported) and reads only what its
set's README marks as usable for training: Curriculum NLI (MIT), GLUE RTE train, FEVER and
Climate-FEVER, SummEdits, and the dev parts of FRANK and QAGS. ANLI, SICK, WiCE and every
test part stay out: they are for measuring.

Document-level sets (SummEdits, FRANK, QAGS) get the premise the judge will see at run time:
the claim's best source passages (``audit.align`` for news, word overlap for SummEdits).
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retold.errors import RetoldError

# the sets these loaders read, by licence (the README lists them as the model's training data)
SHIPPABLE = {
    "curriculum": "MIT (eric11eca/curriculum-ling)",
    "rte": "GLUE RTE train (research use, redistributed by GLUE)",
    "fever": "FEVER (CC BY-SA 3.0)",
    "climate_fever": "Climate-FEVER (CC BY 4.0)",
    "summedits": "SummEdits (Apache-2.0)",
    "frank_dev": "FRANK valid split (MIT)",
    "qags_dev": "QAGS dev part (~30% by id hash)",
}

# Curriculum tasks close to what retellings do to facts (wording, names, numbers, negation,
# quantities, time, roles); puzzle-style tasks (puns, logiqa, hellaswag...) are left out
CURRICULUM_TASKS = (
    "lexical",
    "hypernymy",
    "hyponymy",
    "syntactic_alternation",
    "syntactic_variation",
    "negation",
    "quantifier",
    "monotonicity_infer",
    "ner",
    "kg_relations",
    "coreference",
    "verbnet",
    "verbcorner",
    "temporal",
    "counting",
    "comparative",
    "drop",
    "context_align",
    "sprl",
    "analytic",
)


@dataclass(frozen=True)
class Pair:
    premise: str
    claim: str
    label: int  # 1 = the premise supports the claim
    kind: str  # which set it came from
    group: int = 0  # document id for leak-free splits (0 = none)


def _zip_member(path: Path, suffix: str) -> str | None:
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.endswith(suffix) and "__MACOSX" not in name:
                return zf.read(name).decode("utf-8")
    return None


def curriculum(data: Path, per_task: int, rng: random.Random) -> list[Pair]:
    """``per_task`` balanced pairs from each chosen task's train file."""
    out: list[Pair] = []
    for task in CURRICULUM_TASKS:
        path = data / "nli" / "curriculum" / f"{task}.zip"
        if not path.is_file():
            continue
        text = _zip_member(path, "/train.jsonl") or ""
        by_label: dict[int, list[Pair]] = {0: [], 1: []}
        for line in text.splitlines():
            row = json.loads(line)
            premise, claim = str(row.get("premise", "")), str(row.get("hypothesis", ""))
            if not premise.strip() or not claim.strip() or len(premise) > 1500:
                continue
            y = 1 if row.get("gold_label") == "entailed" else 0
            by_label[y].append(Pair(premise, claim, y, f"curriculum:{task}"))
        for y in (0, 1):
            rng.shuffle(by_label[y])
            out += by_label[y][: per_task // 2]
    return out


def rte(data: Path) -> list[Pair]:
    """GLUE RTE train (news and encyclopedia sentences)."""
    path = data / "nli" / "glue_rte" / "train.tsv"
    rows = csv.DictReader(io.StringIO(path.read_text("utf-8")), delimiter="\t", quoting=3)
    return [
        Pair(r["sentence1"], r["sentence2"], int(r["label"] == "entailment"), "rte")
        for r in rows
        if r.get("sentence1") and r.get("sentence2")
    ]


def fever(data: Path, limit: int, rng: random.Random) -> list[Pair]:
    folder = data / "claims" / "fever_rte_dev"
    ev = (folder / "dev.raw.input0").read_text("utf-8").splitlines()
    cl = (folder / "dev.raw.input1").read_text("utf-8").splitlines()
    lab = (folder / "dev.label").read_text("utf-8").splitlines()
    rows = [
        Pair(e, c, int(y.strip() == "entailment"), "fever")
        for e, c, y in zip(ev, cl, lab, strict=False)
        if e.strip() and c.strip()
    ]
    rng.shuffle(rows)
    return rows[:limit]


def climate_fever(data: Path, limit: int, rng: random.Random) -> list[Pair]:
    """Claim against each annotated evidence sentence: SUPPORTS vs REFUTES / not enough info."""
    out = []
    path = data / "claims" / "climate-fever" / "climate-fever.jsonl"
    for k, line in enumerate(path.read_text("utf-8").splitlines()):
        row = json.loads(line)
        for ev in row.get("evidences", []):
            label = ev.get("evidence_label")
            if label in ("SUPPORTS", "REFUTES", "NOT_ENOUGH_INFO") and ev.get("evidence"):
                y = int(label == "SUPPORTS")
                out.append(Pair(ev["evidence"], row["claim"], y, "climate_fever", k + 1))
    rng.shuffle(out)
    return out[:limit]


_SPLIT = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[a-z0-9]+")


def best_passages(doc: str, claim: str, k: int = 3) -> str:
    """The ``k`` document sentences sharing most words with the claim, in document order."""
    cw = set(_WORD.findall(claim.lower()))
    sents = [s.strip() for s in _SPLIT.split(doc) if len(s.strip()) > 3]
    ranked = sorted(
        range(len(sents)), key=lambda i: -len(cw & set(_WORD.findall(sents[i].lower())))
    )
    return " ".join(sents[i] for i in sorted(ranked[:k]))


def summedits(data: Path) -> list[Pair]:
    out = []
    docs: dict[str, int] = {}
    for path in sorted((data / "summedits").glob("summedits_*.json")):
        for row in json.loads(path.read_text("utf-8")):
            if str(row.get("label")) not in ("0", "1") or not row.get("summary"):
                continue
            group = docs.setdefault(row["doc"], len(docs) + 1)
            premise = best_passages(row["doc"], row["summary"], k=4)
            out.append(Pair(premise, row["summary"], int(row["label"]), "summedits", group))
    return out


def summary_dev(data: Path, settings: Any) -> list[Pair]:
    """FRANK valid and QAGS dev summaries as (best source passages, summary sentence) pairs:
    every sentence of a faithful summary is supported; a one-sentence unfaithful summary (and a
    QAGS sentence its annotators rejected) is not."""
    from retold.analysis.article import analyze_many
    from retold.audit.align import align
    from retold.eval.data import dev_split, read_jsonl
    from retold.judges.base import claim_inputs
    from retold.types import Article

    todo: list[tuple[str, list[str], list[int], str]] = []
    for r in read_jsonl(data / "frank" / "pairs.jsonl.gz"):
        if r["split"] != "valid":
            continue
        sents = r["summary_sentences"] or [r["summary"]]
        if int(r["label"]) == 1:
            todo.append((r["article"], sents, [1] * len(sents), "frank_dev"))
        elif len(sents) == 1:
            todo.append((r["article"], sents, [0], "frank_dev"))
    for r in read_jsonl(data / "qags" / "pairs.jsonl"):
        if not dev_split(r["id"]):
            continue
        sents = [s["sentence"] for s in r["sentences"]]
        labels = [int(v) for v in r.get("sentence_labels", [])]
        if sents and len(sents) == len(labels):
            todo.append((r["article"], sents, labels, "qags_dev"))
    out: list[Pair] = []
    groups: dict[str, int] = {}
    for article, sents, labels, kind in todo:
        src, ret = analyze_many(
            [Article(article[:12000], origin="source"), Article("\n".join(sents), origin="r")],
            settings,
        )
        alignment = align(src, ret, settings)
        group = groups.setdefault(article[:200], 100_000 + len(groups))
        for ci in claim_inputs(src, ret, alignment, list(range(len(ret.sentences)))):
            if not ci.passages:
                continue
            # a retelling sentence takes the label of the summary sentence it lies in
            y = _label_of(ci.claim, sents, labels)
            if y is not None:
                out.append(Pair(ci.premise, ci.claim, y, kind, group))
    return out


def _label_of(claim: str, sents: list[str], labels: list[int]) -> int | None:
    c = claim.strip()
    for s, y in zip(sents, labels, strict=True):
        if c and (c in s or s.strip() in c):
            return y
    return None


def build(data: Path, settings: Any, seed: int = 13, scale: float = 1.0) -> list[Pair]:
    """Every real training pair, deterministic for ``seed``; ``scale`` shrinks the sampled
    sets (Curriculum, FEVER) for a quick run."""
    if not (data / "nli").is_dir():
        raise RetoldError(f"{data}: no nli/ folder (the shared entailment data)")
    rng = random.Random(seed)
    out = curriculum(data, int(500 * scale), rng)
    out += rte(data)
    out += fever(data, int(5000 * scale), rng)
    out += climate_fever(data, int(4000 * scale), rng)
    out += summedits(data)
    out += summary_dev(data, settings)
    return out


def counts(pairs: list[Pair]) -> dict[str, Any]:
    """Pairs and positives per set (for the model card)."""
    out: dict[str, Any] = {}
    for p in pairs:
        kind = p.kind.split(":")[0]
        n, pos = out.get(kind, (0, 0))
        out[kind] = (n + 1, pos + p.label)
    return {k: {"pairs": n, "supported": pos} for k, (n, pos) in sorted(out.items())}
