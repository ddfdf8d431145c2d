"""The compact fingerprint of one article that families are built from.

No spaCy here: a family run must keep up with ingestion, so names are capitalised word runs
and numbers are digit runs (regexes), content words come from ``analysis.words`` and the
document vector from a contextual model over the article's lead (``analysis.embed.doc_vectors``:
static averaged vectors put every article of one topic at cosine > 0.95, so their nearest
neighbours were near random within a topic). Everything is stored as bytes
(``pack`` / ``unpack``) so later runs never re-read article text.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from datasketch import MinHash

from retold.analysis.words import STOPWORDS, content_words, words
from retold.settings import Settings

SIGNATURE_VERSION = 4
_PERMS: dict[tuple[int, int], tuple[tuple[np.ndarray, np.ndarray], str]] = {}

# A capitalised run not at a sentence start: "Maria Keller", "Lessmark", "Meridian Press".
_NAME_RE = re.compile(r"(?<![.!?\n\"“]\s)(?<!^)\b([A-Z][a-zA-Z’'\-]+(?:\s+[A-Z][a-zA-Z’'\-]+)*)")
_NUMBER_RE = re.compile(r"\d[\d,]*(?:\.\d+)?")
_QUOTE_RE = re.compile(r"[\"“]([^\"“”]{12,400})[\"”]")
# Words of cookie walls, paywalls and error pages: pages made mostly of these are not stories.
_BOILERPLATE_RE = re.compile(
    r"\b(cookies?|consent|subscribe|subscription|subscriber|sign in|log in|paywall|"
    r"javascript|browser|privacy policy|terms of (?:use|service)|accept all|newsletter|"
    r"ad ?blocker|unlock|premium|404|page not found|access denied|enable)\b",
    re.IGNORECASE,
)


@dataclass
class Signature:
    """``status`` is ``ok`` or why the article is left out of families."""

    status: str
    minhash: np.ndarray  # uint32 [num_perm], shingle MinHash
    embedding: np.ndarray  # float16 [dim], L2-normalised document vector
    words: np.ndarray  # sorted unique uint32 hashes of content-word stems
    anchors: np.ndarray  # sorted unique uint32 hashes of names and numbers
    quotes: np.ndarray  # sorted unique uint32 hashes of word 3-grams inside quotation marks
    n_shingles: int = 0
    boilerplate: float = 0.0  # share of words that are boilerplate vocabulary
    style: float = 0.0  # learned sensationalism, 0-100 (style.analyze_style.sensationalism)
    machine: float = 0.0  # machine-rewrite cues per 100 words (style.lexicon)
    # logit that the text reads like a machine rewrite (family.machine_text)
    machine_text: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def boilerplate_share(text: str, n_words: int | None = None) -> float:
    """Share of a text's words that are cookie-wall / paywall / sign-in vocabulary."""
    n = len(words(text)) if n_words is None else n_words
    return len(_BOILERPLATE_RE.findall(text)) / n if n else 0.0


def _h(tokens: list[str]) -> np.ndarray:
    return np.unique(
        np.fromiter((zlib.crc32(t.encode()) for t in tokens), dtype=np.uint32, count=len(tokens))
    )


def _permutations(num_perm: int, seed: int = 1) -> tuple[tuple[np.ndarray, np.ndarray], str]:
    key = (num_perm, seed)
    if key not in _PERMS:
        # datasketch's own permutations, so stored signatures stay MinHash-compatible
        m = MinHash(num_perm=num_perm, seed=seed)
        _PERMS[key] = (m.permutations, m.scheme)
    return _PERMS[key]


def minhash_of(shingles: np.ndarray, num_perm: int) -> np.ndarray:
    """MinHash of 32-bit shingle hashes (datasketch's affine scheme, vectorised)."""
    if len(shingles) == 0:
        return np.full(num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
    # the shingles are already 32-bit hashes: no second hashing pass
    perms, scheme = _permutations(num_perm)
    m = MinHash(num_perm=num_perm, permutations=perms, scheme=scheme, hashfunc=int)
    m.update_batch(shingles.tolist())
    return np.asarray(m.hashvalues, dtype=np.uint32)


def names(text: str) -> list[str]:
    out = []
    for m in _NAME_RE.finditer(text):
        parts = [p for p in m.group(1).lower().split() if p not in STOPWORDS]
        # the whole run and each word: "minister irena dalvik" still meets "dalvik"
        out += parts
        if len(parts) > 1:
            out.append(" ".join(parts))
    return out


def numbers(text: str) -> list[str]:
    return [n.replace(",", "").rstrip(".") for n in _NUMBER_RE.findall(text)]


def quote_grams(text: str) -> list[str]:
    grams: list[str] = []
    for m in _QUOTE_RE.finditer(text):
        w = words(m.group(1))
        grams += [" ".join(w[i : i + 3]) for i in range(len(w) - 2)]
    return grams


def empty(status: str, settings: Settings, dim: int) -> Signature:
    z = np.zeros(0, dtype=np.uint32)
    return Signature(
        status,
        np.full(settings.families_num_perm, np.iinfo(np.uint32).max, dtype=np.uint32),
        np.zeros(dim, dtype=np.float16),
        z,
        z,
        z,
    )


def signatures(texts: list[str], settings: Settings | None = None) -> list[Signature]:
    """One signature per text; texts too short for a story get a status saying so."""
    from retold.analysis.embed import doc_vectors
    from retold.family.machine_text import machine_logits
    from retold.style.analyze import sensationalism
    from retold.style.lexicon import machine_cue_density

    st = settings or Settings()
    vecs = (
        doc_vectors(
            [t if t.strip() else "." for t in texts], st.families_doc_model, st.families_doc_tokens
        )
        if texts
        else None
    )
    dim = vecs.shape[1] if vecs is not None else 1
    machine_text = machine_logits(texts, st.families_machine_text_model)
    out: list[Signature] = []
    for i, text in enumerate(texts):
        toks = words(text)
        if not toks:
            out.append(empty("no text", st, dim))
            continue
        if len(toks) < st.families_min_words:
            out.append(empty(f"too short for a story ({len(toks)} words)", st, dim))
            continue
        k = st.families_shingle_size
        shingles = _h([" ".join(toks[j : j + k]) for j in range(max(len(toks) - k + 1, 1))])
        boiler = boilerplate_share(text, len(toks))
        out.append(
            Signature(
                "ok",
                minhash_of(shingles, st.families_num_perm),
                vecs[i].astype(np.float16),
                _h(content_words(text)),
                _h(["n:" + n for n in numbers(text)] + ["p:" + n for n in names(text)]),
                _h(quote_grams(text)),
                n_shingles=len(shingles),
                boilerplate=round(boiler, 4),
                style=round(sensationalism(text, st), 3),
                machine=round(machine_cue_density(text), 4),
                machine_text=round(float(machine_text[i]), 4),
            )
        )
    return out


PACKAGED_DOC_MODEL = "minilm-int8"


def doc_model_tag(settings: Settings) -> str:
    """Which document model made a signature's vector (and over how many word pieces):
    vectors of two models do not compare, so a store records it with each signature."""
    model = settings.families_doc_model
    name = str(Path(model).expanduser().resolve()) if model else PACKAGED_DOC_MODEL
    return f"{name} ({settings.families_doc_tokens} word pieces)"


def pack(sig: Signature) -> dict[str, bytes | int | float | str]:
    return {
        "status": sig.status,
        "minhash": sig.minhash.astype(np.uint32).tobytes(),
        "embedding": sig.embedding.astype(np.float16).tobytes(),
        "words": sig.words.tobytes(),
        "anchors": sig.anchors.tobytes(),
        "quotes": sig.quotes.tobytes(),
        "n_shingles": sig.n_shingles,
        "boilerplate": sig.boilerplate,
        "style": sig.style,
        "machine": sig.machine,
        "machine_text": sig.machine_text,
    }


def unpack(row: dict) -> Signature:
    def u32(b: bytes | memoryview | None) -> np.ndarray:
        return np.frombuffer(bytes(b or b""), dtype=np.uint32)

    return Signature(
        row["status"],
        u32(row["minhash"]),
        np.frombuffer(bytes(row["embedding"] or b""), dtype=np.float16),
        u32(row["words"]),
        u32(row["anchors"]),
        u32(row["quotes"]),
        n_shingles=int(row["n_shingles"]),
        boilerplate=float(row["boilerplate"]),
        style=float(row["style"]),
        machine=float(row.get("machine") or 0.0),
        machine_text=float(row.get("machine_text") or 0.0),
    )
