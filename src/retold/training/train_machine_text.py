"""Fit the machine-text model (``retold.family.machine_text``) on the dev part of the
families evaluation corpus, and choose its weight in the source pick out of fold.

    PYTHONPATH=src python retold.training.train_machine_text [--data ../shared/data]

Labels: an original article (any copy of it) is human-written; its LLM rewrites and
restylings, and the prompt-only LLMFake texts, are machine rewrites. Five models, each
fitted without one fold of dev families (``eval.families.fold_of``), score the fold they
did not see: the out-of-fold AUC, and for each weight of ``WEIGHTS`` (with each
``SUPPORTS`` weight of shared content words) the share of gold dev families whose source
(or a copy) ranks first by ``family.source.direction_scores``. The best pair is printed
(``Settings.families_direction_machine_text``, ``families_direction_support``) and stored
with the model fitted on the whole dev part. The held-out part is never read.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from retold.eval.data import find_data_dir
from retold.eval.families import FOLDS, fold_of
from retold.eval.families_data import load_corpus
from retold.family.machine_text import fit
from retold.family.signature import signatures
from retold.family.source import direction_scores
from retold.settings import Settings

WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
# the weight of "content words the others also tell", chosen with it
SUPPORTS = (0.0, 0.35, 0.67)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--out", type=Path, default=Path("src/retold/families/machine_text.npz"))
    args = ap.parse_args()
    data = find_data_dir(args.data)
    if data is None:
        print("../shared/data not found (set --data)", file=sys.stderr)
        return 2
    dev = [i for i in load_corpus(data) if i.dev]
    texts = [i.text for i in dev]
    machine = [not i.source_copy for i in dev]
    folds = np.array([fold_of(i.family) for i in dev])
    oof = np.zeros(len(dev))
    for k in range(FOLDS):
        train = np.flatnonzero(folds != k)
        model = fit([texts[j] for j in train], [machine[j] for j in train])
        oof[folds == k] = model.logit([t for t, f in zip(texts, folds, strict=True) if f == k])
    auc = float(roc_auc_score(machine, oof))
    print(f"{len(dev)} dev texts, {sum(machine)} machine; out-of-fold AUC {auc:.4f}")

    final = fit(texts, machine)
    with tempfile.TemporaryDirectory() as tmp:
        # the signatures' own machine_text is replaced by the out-of-fold scores below; the
        # final model only stands in so that signing needs no packaged model yet
        final.save(Path(tmp) / "model.npz")
        st = replace(Settings(), families_machine_text_model=str(Path(tmp) / "model.npz"))
        sigs = signatures(texts, st)
    for s, v in zip(sigs, oof, strict=True):
        s.machine_text = float(v)
    by_id = dict(enumerate(sigs))
    fams: dict[str, list[int]] = defaultdict(list)
    for k, item in enumerate(dev):
        if sigs[k].ok:
            fams[item.family].append(k)
    gold = [m for m in fams.values() if len(m) >= 2 and any(dev[k].source_copy for k in m)]
    table = {}
    for w in WEIGHTS:
        for support in SUPPORTS:
            stw = replace(st, families_direction_machine_text=w, families_direction_support=support)
            right = 0
            for members in gold:
                scores = direction_scores(members, by_id, stw)
                right += dev[max(members, key=lambda m: (scores[m], -m))].source_copy
            table[(w, support)] = round(right / len(gold), 4)
            print(
                f"weight {w:<5} support {support:<5}: source first in "
                f"{table[(w, support)]:.4f} of {len(gold)} dev families"
            )
    # ties: the smaller weights (the least the model is trusted)
    best = max(table, key=lambda k: (table[k], -k[0], -k[1]))
    print(f"families_direction_machine_text: {best[0]}, families_direction_support: {best[1]}")
    final.meta.update(
        trained_on=f"families eval dev part: {len(dev)} texts, {sum(machine)} machine",
        out_of_fold={
            "auc": round(auc, 4),
            "source_first": {f"{w} {support}": v for (w, support), v in table.items()},
            "machine_text": best[0],
            "support": best[1],
        },
    )
    final.save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
