"""Fit retold's family pair model on the dev part of the families evaluation corpus.

    PYTHONPATH=src python scripts/train_family_pairs.py [--data ../shared/data]

Writes src/retold/families/pair_model.json. The held-out part is never read. Synthetic
articles (``retold.families.synth``, a seed the benchmark does not use) are added: their
same-topic stories share templates, the hard negatives the real sets lack.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from retold.eval.data import find_data_dir
from retold.eval.families_data import load_corpus
from retold.families.signature import signatures
from retold.families.synth import generate
from retold.families.train import fit_pair_model, write_model
from retold.settings import Settings

SYNTH_SEED = 101  # the benchmark and tests use other seeds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--synthetic", type=int, default=1500, help="synthetic articles to add")
    ap.add_argument("--out", type=Path, default=Path("src/retold/families/pair_model.json"))
    args = ap.parse_args()
    data = find_data_dir(args.data)
    if data is None:
        print("../shared/data not found (set --data)", file=sys.stderr)
        return 2
    st = Settings()
    dev = [i for i in load_corpus(data) if i.dev]
    synth = list(generate(args.synthetic, seed=SYNTH_SEED))
    # each corpus grouped on its own (own candidates and word rarities), as a run would
    corpora = [
        (signatures([i.text for i in dev], st), [i.family for i in dev]),
        (
            signatures([a.text for a, _, _ in synth], st),
            [f"synth:{f or n}" for n, (_, f, _) in enumerate(synth)],
        ),
    ]
    model, stats = fit_pair_model(corpora, st)
    write_model(model, stats, args.out)
    print(f"wrote {args.out}: {stats}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
