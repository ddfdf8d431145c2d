"""A judge backed by a local NLI / fact-checking sequence-classification model.

``settings.nli_model`` names a directory on disk (nothing is ever downloaded):

* a transformers export (``config.json`` + weights + tokenizer files), run with torch on CPU;
* an ONNX export (``model.onnx``, or ``onnx/model.onnx``, + tokenizer files), run with
  onnxruntime on CPU. The tokenizer is loaded with transformers when its files are there
  (``tokenizer_config.json``), else from ``tokenizer.json`` with the ``tokenizers`` library,
  so an ONNX model needs neither torch nor transformers.

When a directory holds both, the transformers weights win if torch and transformers are
installed (they are the reference); otherwise the ONNX graph is used.

Labels: ``settings.nli_labels`` lists the model's outputs in order, using the names
entailment / neutral / contradiction (``supported`` / ``unsupported`` are aliases for
entailment / neutral), any subset, e.g. ``neutral,entailment`` for a 2-label MiniCheck-style
model. While ``nli_labels`` names the default order (entailment,neutral,contradiction), a
``config.json`` whose ``id2label`` names are all recognisable (MNLI, RTE, FEVER names such as
CONTRADICTION, not_entailment, SUPPORTS) is used instead, so most NLI exports work without
configuration; any other ``nli_labels`` always wins. A config with ``LABEL_0``-style names is
ignored, so a 2-label model then needs ``nli_labels`` (else a label-count error).

Verdict: probability = P(entailment); contradicted when P(contradiction) > P(entailment) and
P(contradiction) >= 0.5; supported when P(entailment) >= ``support_threshold``; else
unsupported. ``nli_max_length`` is also capped by the tokenizer's ``model_max_length`` when
transformers loads it; a claim longer than the limit on its own is cut too.

Scoring (SummaC-style): the claim is the hypothesis; the premise is the candidate passages
joined in source order, truncated first to ``nli_max_length`` tokens. Each single passage is
scored too, and per class the maximum over {joined premise, each passage} is kept, because a
claim is supported when any one passage entails it, and a fact spread over passages still
shows in the joined premise.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from retold.analysis.embed import session_options
from retold.errors import RetoldError
from retold.judges.base import ClaimInput, Judgement, TextJudge
from retold.settings import Settings

CLASSES = ("entailment", "neutral", "contradiction")
DEFAULT_LABELS = Settings.nli_labels

# names accepted in ``nli_labels``
_SETTING_ALIASES = {
    "entailment": "entailment",
    "neutral": "neutral",
    "contradiction": "contradiction",
    "supported": "entailment",
    "unsupported": "neutral",
}
# names recognised in a config's ``id2label`` (normalised: lower case, "_" for " " and "-")
_CONFIG_ALIASES = {
    **_SETTING_ALIASES,
    "entail": "entailment",
    "entails": "entailment",
    "entailed": "entailment",
    "support": "entailment",
    "supports": "entailment",
    "not_entailment": "neutral",
    "non_entailment": "neutral",
    "not_entailed": "neutral",
    "not_supported": "neutral",
    "not_enough_info": "neutral",
    "nei": "neutral",
    "contradict": "contradiction",
    "contradicts": "contradiction",
    "contradicted": "contradiction",
    "refutes": "contradiction",
    "refuted": "contradiction",
}

_WEIGHTS = (
    "model.safetensors",
    "pytorch_model.bin",
    "model.safetensors.index.json",
    "pytorch_model.bin.index.json",
)
_ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# transformers reports "no limit" as a huge model_max_length; ignore anything above this
_SANE_MAX_LENGTH = 100_000
_INSTALL_HINT = "pip install 'retold[nli]'"


def _norm(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def parse_labels(text: str) -> tuple[str, ...]:
    """``nli_labels`` as canonical class names in model output order."""
    names = [n for n in (part.strip() for part in text.split(",")) if n]
    out = []
    for n in names:
        canon = _SETTING_ALIASES.get(_norm(n))
        if canon is None:
            raise RetoldError(
                f"nli_labels: unknown label '{n}' (use entailment, neutral, contradiction; "
                "supported/unsupported are aliases)"
            )
        out.append(canon)
    _check_labels(out, f"nli_labels '{text}'")
    return tuple(out)


def _check_labels(labels: list[str], where: str) -> None:
    if len(labels) < 2:
        raise RetoldError(f"{where}: needs at least two labels in model output order")
    if len(set(labels)) != len(labels):
        raise RetoldError(f"{where}: a label is listed twice")
    if "entailment" not in labels:
        raise RetoldError(f"{where}: must include entailment (or its alias supported)")


def labels_from_config(id2label: dict[Any, Any] | None) -> tuple[str, ...] | None:
    """The config's ``id2label`` as canonical names, or None if any name is unrecognised
    (e.g. ``LABEL_0``) or the mapping is unusable."""
    if not id2label:
        return None
    try:
        items = sorted((int(k), str(v)) for k, v in id2label.items())
    except (TypeError, ValueError):
        return None
    if [k for k, _ in items] != list(range(len(items))):
        return None
    out = [_CONFIG_ALIASES.get(_norm(v)) for _, v in items]
    if any(c is None for c in out):
        return None
    labels = [c for c in out if c is not None]
    if len(labels) < 2 or len(set(labels)) != len(labels) or "entailment" not in labels:
        return None
    return tuple(labels)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# --- back ends


class _Backend(Protocol):
    num_labels: int
    id2label: dict[Any, Any] | None
    kind: str

    def logits(self, premises: list[str], hypotheses: list[str], max_length: int) -> np.ndarray:
        """Raw logits, shape (len(premises), num_labels)."""
        ...


def _read_config(path: Path) -> dict[str, Any]:
    cfg = path / "config.json"
    if not cfg.is_file():
        return {}
    try:
        data = json.loads(cfg.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RetoldError(f"{cfg}: cannot read model config ({_first_line(exc)})") from None
    return data if isinstance(data, dict) else {}


def _model_max_length(tok: Any) -> int | None:
    m = getattr(tok, "model_max_length", None)
    return int(m) if isinstance(m, int) and 0 < m < _SANE_MAX_LENGTH else None


def _encode_hf(
    tok: Any, premises: list[str], hypotheses: list[str], max_length: int, tensors: str
) -> Any:
    """Tokenise pairs, cutting the premise first; a claim that alone exceeds ``max_length``
    cannot be fitted that way, so then both sides are cut instead of failing."""
    limit = min(max_length, _model_max_length(tok) or max_length)
    kwargs: dict[str, Any] = {"max_length": limit, "padding": True, "return_tensors": tensors}
    try:
        return tok(premises, hypotheses, truncation="only_first", **kwargs)
    except Exception:  # tokenizers raises a bare Exception ("Truncation error: ...")
        return tok(premises, hypotheses, truncation="longest_first", **kwargs)


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """No "Loading weights" progress bar on the CLI's stderr; restored afterwards."""
    try:
        from transformers.utils import logging as hf_logging

        was_on = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
    except (ImportError, AttributeError):  # other transformers versions: leave it be
        yield
        return
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


class _TorchBackend:
    kind = "transformers"

    def __init__(self, path: Path) -> None:
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError:
            raise RetoldError(
                f"{path}: the nli judge needs transformers and torch for this model: "
                f"{_INSTALL_HINT}"
            ) from None
        self._torch = torch
        import retold

        if "OMP_NUM_THREADS" in retold.PINNED_THREAD_VARS:  # a model this size wants them all
            torch.set_num_threads(os.cpu_count() or 1)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        with _quiet_transformers():
            model = AutoModelForSequenceClassification.from_pretrained(
                str(path), local_files_only=True
            )
        # float32 on CPU whatever the checkpoint's dtype (half precision is slow or
        # unsupported there); the thread count is the caller's business
        self.model = model.to("cpu").float().eval()
        self.num_labels = int(self.model.config.num_labels)
        self.id2label = dict(getattr(self.model.config, "id2label", None) or {})

    def logits(self, premises: list[str], hypotheses: list[str], max_length: int) -> np.ndarray:
        enc = _encode_hf(self.tokenizer, premises, hypotheses, max_length, "pt")
        with self._torch.inference_mode():
            out = self.model(**enc).logits
        return out.float().numpy()


class _OnnxBackend:
    kind = "onnx"

    def __init__(self, path: Path, onnx_file: Path) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise RetoldError(
                f"{path}: the nli judge needs onnxruntime for model.onnx: {_INSTALL_HINT}"
            ) from None
        self._hf_tok: Any = None
        self._raw_tok: Any = None
        self._raw_lock = threading.Lock()  # truncation is set on the shared tokenizer
        if (path / "tokenizer_config.json").is_file() and _importable("transformers"):
            from transformers import AutoTokenizer

            self._hf_tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        elif (path / "tokenizer.json").is_file():
            # no transformers (or no tokenizer_config.json): the tokenizers library alone
            try:
                from tokenizers import Tokenizer
            except ImportError:
                raise RetoldError(
                    f"{path}: reading tokenizer.json needs the tokenizers package: {_INSTALL_HINT}"
                ) from None
            self._raw_tok = Tokenizer.from_file(str(path / "tokenizer.json"))
            self._raw_tok.no_padding()  # padded below, to the batch's longest pair
            self._pad_id = self._find_pad_id()
        elif (path / "tokenizer_config.json").is_file():
            raise RetoldError(
                f"{path}: this tokenizer (no tokenizer.json) needs transformers: {_INSTALL_HINT}"
            )
        else:
            raise RetoldError(
                f"{path}: no tokenizer next to {onnx_file.name} "
                "(expected tokenizer.json or tokenizer_config.json)"
            )
        opts = session_options()
        self.session = ort.InferenceSession(
            str(onnx_file), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name: i.type for i in self.session.get_inputs()}
        if "input_ids" not in self._inputs:
            raise RetoldError(
                f"{onnx_file}: the graph has no 'input_ids' input "
                f"(inputs: {', '.join(self._inputs)})"
            )
        outs = self.session.get_outputs()
        self._output = next((o.name for o in outs if o.name == "logits"), outs[0].name)
        self.id2label = _read_config(path).get("id2label")
        shape = next(o.shape for o in outs if o.name == self._output)
        if len(shape) == 2 and isinstance(shape[1], int):
            self.num_labels = int(shape[1])
        else:  # dynamic output width: ask the graph once
            self.num_labels = int(self.logits(["a"], ["a"], 16).shape[-1])

    def _find_pad_id(self) -> int:
        for token in ("[PAD]", "<pad>", "<|pad|>", "<unk>", "[UNK]"):
            tid = self._raw_tok.token_to_id(token)
            if tid is not None:
                return int(tid)
        return 0

    def _encode(
        self, premises: list[str], hypotheses: list[str], max_length: int
    ) -> dict[str, np.ndarray]:
        if self._hf_tok is not None:
            enc = _encode_hf(self._hf_tok, premises, hypotheses, max_length, "np")
            return {k: np.asarray(v) for k, v in enc.items()}
        tok = self._raw_tok
        pairs = list(zip(premises, hypotheses, strict=True))
        with self._raw_lock:
            try:
                tok.enable_truncation(max_length, strategy="only_first")
                encs = tok.encode_batch(pairs)
            except Exception:  # the claim alone is too long to cut only the premise
                tok.enable_truncation(max_length, strategy="longest_first")
                encs = tok.encode_batch(pairs)
        width = max(len(e.ids) for e in encs)
        ids = np.full((len(encs), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        types = np.zeros((len(encs), width), dtype=np.int64)
        for r, e in enumerate(encs):
            n = len(e.ids)
            ids[r, :n] = e.ids
            mask[r, :n] = e.attention_mask
            types[r, :n] = e.type_ids
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}

    def logits(self, premises: list[str], hypotheses: list[str], max_length: int) -> np.ndarray:
        enc = self._encode(premises, hypotheses, max_length)
        feed = {}
        # feed only what the graph declares (RoBERTa/DeBERTa exports take no token types)
        for name in _ONNX_INPUTS:
            if name not in self._inputs:
                continue
            arr = enc.get(name)
            if arr is None:
                arr = (
                    np.ones_like(enc["input_ids"])
                    if name == "attention_mask"
                    else np.zeros_like(enc["input_ids"])
                )
            dtype = np.int32 if self._inputs[name] == "tensor(int32)" else np.int64
            feed[name] = arr.astype(dtype, copy=False)
        return np.asarray(self.session.run([self._output], feed)[0])


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class _Layout:
    """What a model directory holds."""

    path: Path
    has_weights: bool
    onnx_file: Path | None


def inspect_model_dir(model: str) -> _Layout:
    """Check ``nli_model`` names a usable directory; one-line errors otherwise."""
    if not model.strip():
        raise RetoldError("nli judge needs a model directory: set nli_model or --nli-model")
    path = Path(model).expanduser()
    if not path.exists():
        raise RetoldError(f"{path}: nli model directory not found")
    if not path.is_dir():
        raise RetoldError(f"{path}: nli model must be a directory, not a file")
    has_weights = (path / "config.json").is_file() and any((path / w).is_file() for w in _WEIGHTS)
    onnx_file = next(
        (f for f in (path / "model.onnx", path / "onnx" / "model.onnx") if f.is_file()), None
    )
    if not has_weights and onnx_file is None:
        raise RetoldError(
            f"{path}: not an nli model directory (expected config.json with model weights, "
            "or model.onnx, plus tokenizer files)"
        )
    return _Layout(path.resolve(), has_weights, onnx_file)


_CACHE: dict[str, _Backend] = {}
_CACHE_LOCK = threading.Lock()


def load_backend(layout: _Layout) -> _Backend:
    """The model for a directory, loaded once per process (by resolved path)."""
    key = str(layout.path)
    with _CACHE_LOCK:  # one load at a time: a second caller waits for the first's model
        backend = _CACHE.get(key)
        if backend is None:
            backend = _load(layout)
            _CACHE[key] = backend
        return backend


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def _load(layout: _Layout) -> _Backend:
    path = layout.path
    use_torch = layout.has_weights and (
        layout.onnx_file is None or (_importable("torch") and _importable("transformers"))
    )
    try:
        if use_torch:
            return _TorchBackend(path)
        assert layout.onnx_file is not None
        return _OnnxBackend(path, layout.onnx_file)
    except RetoldError:
        raise
    except Exception as exc:  # corrupt or incompatible files: one line, naming the directory
        raise RetoldError(f"{path}: cannot load nli model ({_first_line(exc)})") from None


# --- the judge


class NLIJudge(TextJudge):
    name = "nli"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        # cheap checks now, so a bad setting fails before any analysis; the model itself is
        # loaded on first use (a cascade may never escalate a claim)
        self.layout = inspect_model_dir(settings.nli_model)
        self._setting_labels = parse_labels(settings.nli_labels)
        if settings.nli_batch_size < 1:
            raise RetoldError("nli_batch_size must be at least 1")
        if settings.nli_max_length < 8:
            raise RetoldError("nli_max_length must be at least 8 tokens")
        self._backend: _Backend | None = None
        self._labels: tuple[str, ...] = ()

    def _ready(self) -> _Backend:
        if self._backend is None:
            backend = load_backend(self.layout)
            labels = self._setting_labels
            source = "nli_labels"
            if labels == parse_labels(DEFAULT_LABELS):  # left at the default: config may say
                from_config = labels_from_config(backend.id2label)
                if from_config is not None:
                    labels, source = from_config, "config.json id2label"
            if len(labels) != backend.num_labels:
                raise RetoldError(
                    f"{self.layout.path}: {source} gives {len(labels)} labels "
                    f"({','.join(labels)}) but the model has {backend.num_labels} outputs; "
                    "set nli_labels to the model's output order"
                )
            self._labels = labels
            self._backend = backend
        return self._backend

    @property
    def labels(self) -> tuple[str, ...]:
        """Canonical class name of each model output, in order (loads the model)."""
        self._ready()
        return self._labels

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Class probabilities for (premise, hypothesis) pairs, shape (n, 3) in ``CLASSES``
        order; a class the model lacks gets 0."""
        backend = self._ready()
        st = self.settings
        out = np.zeros((len(pairs), len(CLASSES)), dtype=np.float64)
        if not pairs:
            return out
        cols = [CLASSES.index(c) for c in self._labels]
        # longest first, so each batch pads to similar lengths
        order = sorted(range(len(pairs)), key=lambda k: -(len(pairs[k][0]) + len(pairs[k][1])))
        for start in range(0, len(order), st.nli_batch_size):
            idx = order[start : start + st.nli_batch_size]
            try:
                logits = backend.logits(
                    [pairs[k][0] for k in idx], [pairs[k][1] for k in idx], st.nli_max_length
                )
            except Exception as exc:
                raise RetoldError(
                    f"{self.layout.path}: nli model failed ({_first_line(exc)})"
                ) from None
            if logits.ndim != 2 or logits.shape != (len(idx), len(cols)):
                raise RetoldError(
                    f"{self.layout.path}: nli model returned logits of shape "
                    f"{tuple(logits.shape)}, expected ({len(idx)}, {len(cols)})"
                )
            out[np.ix_(idx, cols)] = _softmax(logits)
        return out

    def judge_inputs(self, inputs: list[ClaimInput]) -> list[Judgement]:
        # every distinct (premise, claim) pair once: the joined premise and each passage
        pair_index: dict[tuple[str, str], int] = {}
        plans: list[tuple[int, list[int]] | None] = []
        for ci in inputs:
            if not ci.passages:
                plans.append(None)
                continue
            joined = pair_index.setdefault((ci.premise, ci.claim), len(pair_index))
            singles = [pair_index.setdefault((p, ci.claim), len(pair_index)) for p in ci.passages]
            plans.append((joined, singles))
        probs = self.probabilities(list(pair_index)) if pair_index else np.zeros((0, 3))
        ent_c, con_c = CLASSES.index("entailment"), CLASSES.index("contradiction")
        return [
            self._verdict(ci, plan, probs, ent_c, con_c)
            for ci, plan in zip(inputs, plans, strict=True)
        ]

    def _verdict(
        self,
        ci: ClaimInput,
        plan: tuple[int, list[int]] | None,
        probs: np.ndarray,
        ent_c: int,
        con_c: int,
    ) -> Judgement:
        if plan is None:
            return Judgement("unsupported", 0.0, 1.0, [], ["no source passage to check against"])
        joined, singles = plan
        rows = [joined, *singles]
        ent = float(np.clip(probs[rows, ent_c].max(), 0.0, 1.0))
        con = float(np.clip(probs[rows, con_c].max(), 0.0, 1.0))
        contradicted = con > ent and con >= 0.5
        key = con_c if contradicted else ent_c
        # stable sort keeps the aligner's order among ties
        ranked = sorted(range(len(singles)), key=lambda k: -probs[singles[k], key])
        evidence = [ci.passage_ids[k] for k in ranked]
        scores = f"entailment {ent:.2f}, contradiction {con:.2f}"
        if contradicted:
            return Judgement(
                "contradicted", ent, con, evidence, [f"NLI: the source contradicts it ({scores})"]
            )
        if ent >= self.settings.support_threshold:
            return Judgement("supported", ent, ent, evidence, [f"NLI: entailed ({scores})"])
        return Judgement("unsupported", ent, 1.0 - ent, evidence, [f"NLI: not entailed ({scores})"])
