"""Fit retold's family pair model on the dev part of the families evaluation corpus.

    PYTHONPATH=src python retold.training.train_family_pairs [--data ../shared/data]

Writes src/retold/families/pair_model.json. The held-out part is never read. Synthetic
articles (``retold.training.synth_families``, a seed the benchmark does not use) are added: their
same-topic stories share templates, the hard negatives the real sets lack.

Then it chooses the grouping settings of ``eval.families.OOF_GRID`` (the link threshold
``Settings.families_same_story``, ``families_min_link_share``, ``families_weak_join``) out
of fold (``eval.families.oof_thresholds``: 5 models, each trained without one fold of dev
families; the dev part grouped with every pair scored by a model that never saw it) and
prints them with the table; ``--no-threshold`` skips that.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from retold.eval.data import find_data_dir
from retold.eval.families import OOF_GRID, oof_thresholds
from retold.eval.families_data import Item, load_corpus
from retold.family.signature import signatures
from retold.family.verify import PairModel
from retold.settings import Settings
from retold.training.family_pairs import fit_pair_model, write_model
from retold.training.synth_families import generate

SYNTH_SEED = 101  # the benchmark and tests use other seeds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--synthetic", type=int, default=1500, help="synthetic articles to add")
    ap.add_argument("--out", type=Path, default=Path("src/retold/families/pair_model.json"))
    ap.add_argument("--no-threshold", action="store_true", help="skip the threshold choice")
    args = ap.parse_args()
    data = find_data_dir(args.data)
    if data is None:
        print("../shared/data not found (set --data)", file=sys.stderr)
        return 2
    st = Settings()
    dev = [i for i in load_corpus(data) if i.dev]
    synth = list(generate(args.synthetic, seed=SYNTH_SEED))
    # each corpus grouped on its own (own candidates and word rarities), as a run would
    synthetic = (
        signatures([a.text for a, _, _ in synth], st),
        [f"synth:{f or n}" for n, (_, f, _) in enumerate(synth)],
    )
    dev_sigs = dict(zip((i.key for i in dev), signatures([i.text for i in dev], st), strict=True))

    def fit(items: list[Item]) -> tuple[PairModel, dict]:
        corpus = ([dev_sigs[i.key] for i in items], [i.family for i in items])
        return fit_pair_model([corpus, synthetic], st)

    model, stats = fit(dev)
    if not args.no_threshold:
        best, table = oof_thresholds(dev, [dev_sigs[i.key] for i in dev], lambda i: fit(i)[0], st)
        for values, row in table.items():
            print(", ".join(f"{k} {v}" for k, v in zip(OOF_GRID, values, strict=True)), row)
        chosen = dict(zip(OOF_GRID, best, strict=True))
        print("out of fold:", chosen, "(Settings has", {k: getattr(st, k) for k in OOF_GRID}, ")")
        # the choice goes with the model it was made for
        stats["out_of_fold"] = {
            "chosen": chosen,
            "table": {" ".join(map(str, v)): r for v, r in table.items()},
        }
    write_model(model, stats, args.out)
    print(f"wrote {args.out}: {stats}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
