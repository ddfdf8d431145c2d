"""`retold eval --set families`: story families on LLMFake + SheepDog (see
``families_data``). Pairwise precision / recall / F1 and the adjusted Rand index over all
articles (excluded ones count as singletons), and source-pick accuracy: the share of gold
families whose source ends up as the picked source of the family that holds it ("no clear
source" counts as a miss). When the original article is in the corpus twice (read from two
sets: other whitespace, a 4,000-character cut, or a longer scrape of the same page), either
copy is the source; ``source_accuracy_exact`` also reports the stricter count that accepts
only the copy read first. The models and thresholds come from the dev part (out of fold:
``oof_thresholds``, run by the training scripts); the held-out part is reported, and the
dev part beside it as training scores."""

from __future__ import annotations

import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from itertools import product
from math import comb
from pathlib import Path
from typing import Any

import numpy as np

from retold.analysis.words import words
from retold.eval.families_data import Item, load_corpus
from retold.family.candidates import CandidateIndex
from retold.family.group import families, group
from retold.family.result import Doc, FamiliesResult
from retold.family.signature import Signature
from retold.family.verify import PairModel, Scorer
from retold.settings import Settings

Progress = Callable[[str, int, int], None]

# Every threshold is chosen out of fold on the dev part, by the script that fits the model it
# goes with: the pair model's trees are surer of the pairs they were fitted on than of new ones
# (and the machine-text model of its training texts), so dev scores would choose badly.
# ``oof_thresholds`` grids these grouping settings (retold.training.train_family_pairs); the eval
# scores with the settings as they are.
OOF_GRID: dict[str, tuple[float, ...]] = {
    "families_same_story": (0.5, 0.6, 0.7, 0.8, 0.9, 0.95),
    "families_min_link_share": (0.2, 0.34, 0.5),
    "families_weak_join": (2, 3),
}
FOLDS = 5


def labels_of(result: FamiliesResult, n: int) -> list[int]:
    """Predicted cluster label per item position (singletons and excluded: their own)."""
    return cluster_labels([[m.id for m in f.members] for f in result.families], n)


def cluster_labels(clusters: list[list[int]], n: int) -> list[int]:
    """A label per item position 0..n-1: its cluster's, else its own."""
    lab = list(range(n))
    for c, members in enumerate(clusters):
        for i in members:
            lab[i] = n + c
    return lab


def pairwise(gold: list[str], pred: list[int]) -> dict[str, float]:
    """Precision / recall / F1 over same-cluster pairs, via contingency counts."""
    joint = Counter(zip(gold, pred, strict=True))
    tp = sum(comb(c, 2) for c in joint.values())
    pp = sum(comb(c, 2) for c in Counter(pred).values())
    gp = sum(comb(c, 2) for c in Counter(gold).values())
    p = tp / pp if pp else 1.0
    r = tp / gp if gp else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f}


def adjusted_rand(gold: list[str], pred: list[int]) -> float:
    n = len(gold)
    index = sum(comb(c, 2) for c in Counter(zip(gold, pred, strict=True)).values())
    a = sum(comb(c, 2) for c in Counter(gold).values())
    b = sum(comb(c, 2) for c in Counter(pred).values())
    expected = a * b / comb(n, 2) if n > 1 else 0.0
    top = (a + b) / 2
    return (index - expected) / (top - expected) if top != expected else 1.0


def source_accuracy(
    items: list[Item], result: FamiliesResult, min_words: int
) -> tuple[float, int, int, int, int, int]:
    """(accuracy, gold families with a source and 2+ members, of those: picked 'no clear
    source', picked the copy of the original read first, picked any copy of the original;
    families left out because every copy of their original is shorter than a story).
    The accuracy counts any copy: which copy a set was read from first is no evidence. An
    "original" of a few words ("See more of ... on Facebook", "This domain is expired") is
    a failed scrape, not a known source: retold leaves such texts out of families by design
    (``families_min_words``), so those families are counted apart, not as misses."""
    fam_of = {m.id: f for f in result.families for m in f.members}
    sizes = Counter(i.family for i in items)
    longest: dict[str, int] = {}
    for item in items:
        if item.source_copy:
            longest[item.family] = max(longest.get(item.family, 0), len(words(item.text)))
    total = correct = unclear = copies = not_story = 0
    for pos, item in enumerate(items):
        if not item.is_source or sizes[item.family] < 2:
            continue
        if longest[item.family] < min_words:
            not_story += 1
            continue
        total += 1
        f = fam_of.get(pos)
        if f is not None and f.source is None:
            unclear += 1
        correct += int(f is not None and f.source == pos)
        copies += int(
            f is not None
            and f.source is not None
            and items[f.source].source_copy
            and items[f.source].family == item.family
        )
    return (copies / total if total else 0.0), total, unclear, correct, copies, not_story


def score(items: list[Item], settings: Settings) -> dict[str, Any]:
    started = time.perf_counter()
    result = families([Doc(i, it.text, origin=it.key) for i, it in enumerate(items)], settings)
    gold = [i.family for i in items]
    pred = labels_of(result, len(items))
    pw = pairwise(gold, pred)
    acc, n_src, unclear, correct, copies, not_story = source_accuracy(
        items, result, settings.families_min_words
    )
    return {
        "pairwise_precision": round(pw["precision"], 4),
        "pairwise_recall": round(pw["recall"], 4),
        "pairwise_f1": round(pw["f1"], 4),
        "ari": round(adjusted_rand(gold, pred), 4),
        "source_accuracy": round(acc, 4),
        # right among the families where a source was picked (abstentions left out)
        "source_precision": round(copies / max(1, n_src - unclear), 4),
        # only the copy of the original read first counts as right
        "source_accuracy_exact": round(correct / n_src if n_src else 0.0, 4),
        "n": len(items),
        "gold_families": len(set(gold)),
        "families": len(result.families),
        "families_with_source": n_src,
        "no_clear_source": unclear,
        "sources_not_a_story": not_story,
        "excluded": len(result.excluded),
        "seconds": round(time.perf_counter() - started, 2),
    }


def fold_of(family: str) -> int:
    """A stable fold per gold family (whole families stay together)."""
    return zlib.crc32(family.encode("utf-8")) % FOLDS


def fold_scorer(models: list[Any], sigs: list[Signature], folds: list[int]) -> Scorer:
    """Pair probabilities from ``models[k]`` (anything with ``probability(x)``, like
    ``PairModel``) for each pair whose first article is in fold k
    (``folds``: per signature of ``sigs``)."""
    fold_by_sig = {id(s): f for s, f in zip(sigs, folds, strict=True)}

    def scorer(pairs: list[tuple[Signature, Signature]], x: np.ndarray) -> np.ndarray:
        which = np.array([fold_by_sig[id(a)] for a, _ in pairs])
        p = np.empty(len(pairs))
        for k, model in enumerate(models):
            if (rows := which == k).any():
                p[rows] = model.probability(x[rows])
        return p

    return scorer


def oof_thresholds(
    dev: list[Item],
    sigs: list[Signature],
    fit: Callable[[list[Item]], PairModel],
    settings: Settings,
    grid: dict[str, tuple[float, ...]] | None = None,
) -> tuple[tuple[float, ...], dict[tuple[float, ...], dict[str, float]]]:
    """The grouping settings of ``grid`` (default OOF_GRID: the pair threshold, the link
    share, the weak-link join), chosen out of fold. ``fit`` trains one pair model without
    each fold of dev families; the whole dev part (``sigs``: its signatures) is grouped at
    every combination with each pair scored by the model of its first article's fold, which
    never saw that pair. Best ARI wins (ties: the more precise). Keys are value tuples in
    the grid's order."""
    grid = grid or OOF_GRID
    folds = [fold_of(i.family) for i in dev]
    models = [fit([i for i, f in zip(dev, folds, strict=True) if f != k]) for k in range(FOLDS)]
    scorer = fold_scorer(models, sigs, folds)
    by_id = dict(enumerate(sigs))
    dim = len(next(s.embedding for s in sigs if s.ok))
    gold = [i.family for i in dev]
    table = {}
    for values in product(*grid.values()):
        st = replace(settings, **dict(zip(grid, values, strict=True)))
        g = group(list(by_id), by_id, CandidateIndex(st, dim), st, scorer=scorer)
        pred = cluster_labels(g.clusters, len(dev))
        row = {"ari": adjusted_rand(gold, pred)} | pairwise(gold, pred)
        table[values] = {k: round(v, 4) for k, v in row.items()}
    best = max(table, key=lambda k: (table[k]["ari"], table[k]["precision"], k))
    return best, table


def eval_families(
    data: Path,
    judge: str,
    settings: Settings,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Held-out and dev scores with the given settings (their thresholds were chosen out of
    fold on dev by the training scripts; see ``oof_thresholds``)."""
    items = load_corpus(data, limit=limit)
    dev = [i for i in items if i.dev]
    test = [i for i in items if not i.dev]
    if progress:
        progress("families", 0, 2)
    out = score(test, settings)
    if progress:
        progress("families", 1, 2)
    out["dev"] = score(dev, settings)
    chosen = (*OOF_GRID, "families_direction_support", "families_direction_machine_text")
    out["thresholds"] = {k: getattr(settings, k) for k in chosen}
    out["n_dev"] = len(dev)
    if progress:
        progress("families", 2, 2)
    return out
