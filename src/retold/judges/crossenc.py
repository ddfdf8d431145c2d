"""The learned judge's cross-encoder: a MiniLM fine-tuned by ``retold train`` to read a
(source passage, claim) pair and score how well the passage supports the claim.

Shipped as an int8 ONNX model (``models/claim-ce``) and run through the ``nli`` back end's
loader (onnxruntime + tokenizers, no torch), batched, longest pairs first so padding is small.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

MAX_LENGTH = 128  # tokens per (premise, claim) pair; the premise is cut first
BATCH = 32
PACKAGED = "models/claim-ce"


def model_dir(path: str = "") -> Path:
    return Path(path) if path else Path(str(resources.files("retold").joinpath(PACKAGED)))


def support_logits(path: Path, pairs: list[tuple[str, str]]) -> np.ndarray:
    """Support logit (entailment minus not-entailment) of each (premise, claim) pair."""
    from retold.judges.nli import inspect_model_dir, load_backend

    out = np.zeros(len(pairs))
    if not pairs:
        return out
    backend = load_backend(inspect_model_dir(str(path)))
    order = sorted(range(len(pairs)), key=lambda k: -(len(pairs[k][0]) + len(pairs[k][1])))
    for s in range(0, len(order), BATCH):
        idx = order[s : s + BATCH]
        z = backend.logits([pairs[k][0] for k in idx], [pairs[k][1] for k in idx], MAX_LENGTH)
        out[idx] = z[:, 1] - z[:, 0]
    return out
