"""Sentence embeddings, loaded once.

Default: a static model2vec model distilled from all-MiniLM-L6-v2 by
``scripts/distill_embeddings.py`` and shipped in the package (15 MB, ~50k sentences/s on one
core, numpy only). A user may point ``Settings.embedding_model`` at a local directory holding
either a model2vec model or a sentence-transformers model (the latter needs
``sentence-transformers`` installed).
"""

from __future__ import annotations

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


def embed(sentences: list[str], path: str = "") -> np.ndarray:
    """L2-normalised embeddings, one row per sentence (zero rows stay zero)."""
    if not sentences:
        return np.zeros((0, 1), dtype=np.float32)
    vecs = get_encoder(path).encode(sentences)
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
    with _TOKENIZE_LOCK:
        encodings = tokenizer.encode_batch(texts, add_special_tokens=False)
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
