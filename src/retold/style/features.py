"""Feature rows for the style models: static word vectors of the packaged model2vec model plus
lexicon and surface cues. Pure functions over text; the vectors are loaded once.

Word vectors are the raw (un-normalised) rows of the static model, averaged over a word's
pieces, so that a document vector (mean over its words) is linear in its words: the
contribution of each word to a linear score is exact (``style.analyze_style`` uses this to show
which words drive the sensationalism score).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from retold.style.lexicon import CATEGORIES, lexicon_hits, machine_rewrite_terms

TOKEN_RE = re.compile(r"\w+(?:['’\-]\w+)*|[^\w\s]")
# sentence ends: a line break, or . ! ? (and a closing quote) before a capital or opening quote
_SENT_BREAK = re.compile(r"\n+|(?<=[.!?])[\"”’')]*\s+(?=[\"“‘'(]?[A-Z0-9])")
_QUOTE_CHARS = frozenset('"“”‘’«»')
_WE = frozenset("we our us ours ourselves".split())
_YOU = frozenset("you your yours yourself yourselves".split())
_NEG = frozenset("not no never nothing nobody none n't cannot".split())
_CAUSAL = frozenset("because therefore so thus hence since cause caused causes".split())

DIM = 256  # width of the packaged static vectors
RATE_MIN_WORDS = 100  # rates per 100 words are taken over at least this many words
N_CAT = len(CATEGORIES)
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _static() -> tuple[Any, np.ndarray]:
    from model2vec import StaticModel

    from retold.analysis.embed import packaged_model_path

    model = StaticModel.from_pretrained(str(packaged_model_path()))
    return model.tokenizer, np.asarray(model.embedding, dtype=np.float32)


_VEC_CACHE: dict[str, np.ndarray] = {}


def word_vectors(words: list[str]) -> np.ndarray:
    """One row per word: the mean of its word-piece rows (zero for words with no pieces)."""
    keys = [w.lower() for w in words]
    missing = [k for k in dict.fromkeys(keys) if k not in _VEC_CACHE]
    if missing:
        tokenizer, matrix = _static()
        with _LOCK:
            for k, enc in zip(
                missing, tokenizer.encode_batch(missing, add_special_tokens=False), strict=True
            ):
                ids = enc.ids
                _VEC_CACHE[k] = matrix[ids].mean(axis=0) if ids else np.zeros(DIM, np.float32)
            if len(_VEC_CACHE) > 500_000:  # bounded memory on very large corpora
                _VEC_CACHE.clear()
    if not keys:
        return np.zeros((0, DIM), np.float32)
    return np.stack([_VEC_CACHE.get(k, np.zeros(DIM, np.float32)) for k in keys])


@dataclass
class Tokens:
    """The tokens of one text with their offsets, sentence ids and cues."""

    text: str
    starts: np.ndarray  # int, character offsets
    ends: np.ndarray
    words: list[str]
    sentence: np.ndarray  # sentence id of each token
    sentences: list[tuple[int, int]]  # (start, end) character spans
    is_word: np.ndarray  # bool: letters/digits (not punctuation)
    cats: np.ndarray  # (n, N_CAT) 0/1: lexicon categories covering the token
    vectors: np.ndarray  # (n, DIM)
    hits: list[tuple[int, int, str]]  # lexicon cues (start, end, category)
    quoted: np.ndarray  # 0/1: inside quotation marks (parity of the quote marks before it)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    out = []
    pos = 0
    for m in _SENT_BREAK.finditer(text):
        if text[pos : m.start()].strip():
            out.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        out.append((pos, len(text)))
    return out


def tokenize(text: str, closing: bool = True) -> Tokens:
    """Tokens of ``text``; ``closing``: whether its last line may be a closing "As ...
    continues" line (not for a piece cut from the middle of a longer text)."""
    matches = list(TOKEN_RE.finditer(text))
    starts = np.fromiter((m.start() for m in matches), dtype=np.int64, count=len(matches))
    ends = np.fromiter((m.end() for m in matches), dtype=np.int64, count=len(matches))
    words = [m.group(0) for m in matches]
    sents = sentence_spans(text)
    bounds = np.array([s for s, _ in sents] or [0], dtype=np.int64)
    sentence = np.searchsorted(bounds, starts, side="right") - 1
    sentence = np.clip(sentence, 0, max(0, len(sents) - 1))
    is_word = np.array([w[0].isalnum() or w[0] == "_" for w in words], dtype=bool)
    cats = np.zeros((len(words), N_CAT), np.float32)
    hits = lexicon_hits(text, closing)
    if words:
        for a, b, cat in hits:
            i, j = np.searchsorted(ends, a, side="right"), np.searchsorted(starts, b, side="left")
            cats[i:j, CATEGORIES.index(cat)] = 1.0
    vectors = word_vectors(words)
    quoted = (np.cumsum([w in _QUOTE_CHARS for w in words], dtype=np.int64) % 2).astype(bool)
    return Tokens(text, starts, ends, words, sentence, sents, is_word, cats, vectors, hits, quoted)


def chunks(tok: Tokens, size: int = 4000) -> list[tuple[int, int]]:
    """Token ranges of about ``size`` tokens that start at sentence starts, so feature rows
    (which look only within a sentence) can be built piece by piece in bounded memory."""
    out, i, n = [], 0, len(tok.words)
    while i < n:
        j = min(n, i + size)
        if j < n:  # move the cut back to the start of the sentence holding token j
            cut = int(np.searchsorted(tok.sentence, tok.sentence[j], side="left"))
            j = cut if cut > i else int(np.searchsorted(tok.sentence, tok.sentence[j], "right"))
        out.append((i, j))
        i = j
    return out


def part(tok: Tokens, i: int, j: int) -> Tokens:
    """Tokens i..j of ``tok`` (whole sentences), sentence ids renumbered from 0."""
    s0 = int(tok.sentence[i]) if j > i else 0
    return Tokens(
        tok.text,
        tok.starts[i:j],
        tok.ends[i:j],
        tok.words[i:j],
        tok.sentence[i:j] - s0,
        tok.sentences[s0 : int(tok.sentence[j - 1]) + 1] if j > i else [],
        tok.is_word[i:j],
        tok.cats[i:j],
        tok.vectors[i:j],
        [],
        tok.quoted[i:j],
    )


# --- token rows (propaganda span identification)
TOKEN_EXTRA = (
    "capitalised",
    "all_caps",
    "punctuation",
    "digit",
    "in_quotes",
    "position",
    "log_sentence_words",
    "sentence_exclaims",
    "sentence_asks",
    "sentence_quotes",
    "we",
    "you",
    "negation",
    "causal",
    "token_norm",
)


def token_features(tok: Tokens, dims: int = DIM, window: int = 3) -> np.ndarray:
    """Rows of [word vector, context vector, sentence vector, cue flags, extra cues]; the
    vectors keep their ``dims`` leading (highest-variance, the static model is PCA'd) dims."""
    n = len(tok.words)
    if n == 0:
        return np.zeros((0, 3 * dims + N_CAT + len(TOKEN_EXTRA)), np.float32)
    vec = tok.vectors[:, :dims] * tok.is_word[:, None]
    import scipy.sparse as sp  # here, not at module level: the claim judge imports the lexicon

    # context and sentence means as sparse products (a banded neighbour matrix and a
    # sentence-membership matrix): one pass over the vectors, linear in the article length
    first = np.searchsorted(tok.sentence, tok.sentence, side="left")
    last = np.searchsorted(tok.sentence, tok.sentence, side="right")
    k = np.arange(n)
    offsets = np.array([d for d in range(-window, window + 1) if d])
    rows = np.repeat(k, len(offsets))
    cols = rows + np.tile(offsets, n)
    ok = (cols >= 0) & (cols < n)
    rows, cols = rows[ok], cols[ok]
    ok = (tok.sentence[cols] == tok.sentence[rows]) & tok.is_word[cols]
    rows, cols = rows[ok], cols[ok]
    denom = np.maximum(1, np.bincount(rows, minlength=n))
    near = sp.csr_matrix(((1.0 / denom[rows]).astype(np.float32), (rows, cols)), shape=(n, n))
    ctx = near @ vec
    n_sents = int(tok.sentence.max()) + 1
    member = sp.csr_matrix((tok.is_word.astype(np.float32), (tok.sentence, k)), shape=(n_sents, n))
    sent_words = np.bincount(tok.sentence, weights=tok.is_word, minlength=n_sents)
    sent = ((member @ vec) / np.maximum(1.0, sent_words)[:, None])[tok.sentence]
    n_sent_words = sent_words[tok.sentence]

    def per_sentence(flags: list[bool]) -> np.ndarray:
        c = np.concatenate([[0], np.cumsum(np.asarray(flags, dtype=np.int64))])
        return (c[last] - c[first]) > 0

    words = tok.words
    lower = [w.lower() for w in words]
    quoted = [w in _QUOTE_CHARS for w in words]
    extra = np.zeros((n, len(TOKEN_EXTRA)), np.float32)
    extra[:, 0] = [w[:1].isupper() for w in words]
    extra[:, 1] = [len(w) > 1 and w.isupper() for w in words]
    extra[:, 2] = ~tok.is_word
    extra[:, 3] = [any(c.isdigit() for c in w) for w in words]
    extra[:, 4] = tok.quoted
    extra[:, 5] = (k - first) / np.maximum(1, last - first - 1)
    extra[:, 6] = np.log1p(np.maximum(1, n_sent_words))
    extra[:, 7] = per_sentence([w == "!" for w in words])
    extra[:, 8] = per_sentence([w == "?" for w in words])
    extra[:, 9] = per_sentence(quoted)
    extra[:, 10] = [w in _WE for w in lower]
    extra[:, 11] = [w in _YOU for w in lower]
    extra[:, 12] = [w in _NEG for w in lower]
    extra[:, 13] = [w in _CAUSAL for w in lower]
    extra[:, 14] = np.linalg.norm(vec, axis=1)
    return np.hstack([vec, ctx, sent, tok.cats, extra]).astype(np.float32)


# --- span rows (technique classification of a propaganda span)
SPAN_EXTRA = (
    "log_words",
    "repetitions",
    "repeated_words",
    "asks",
    "exclaims",
    "quoted",
    "caps_share",
    "we",
    "you",
    "negation",
    "causal",
    "sentence_share",
)


def span_features(tok: Tokens, spans: list[tuple[int, int]]) -> np.ndarray:
    """Rows of [span vector, sentence vector, cue counts, extra cues] for spans of one text."""
    width = 2 * DIM + N_CAT + len(SPAN_EXTRA)
    if not spans:
        return np.zeros((0, width), np.float32)
    text_lower = tok.text.lower()
    lower = [w.lower() for w in tok.words]
    counts: dict[str, int] = {}
    for w, ok in zip(lower, tok.is_word, strict=True):
        if ok:
            counts[w] = counts.get(w, 0) + 1
    rows = np.zeros((len(spans), width), np.float32)
    for r, (a, b) in enumerate(spans):
        i = int(np.searchsorted(tok.ends, a, side="right"))
        j = max(i + 1, int(np.searchsorted(tok.starts, b, side="left")))
        j = min(j, len(tok.words))
        words_idx = [k for k in range(i, j) if tok.is_word[k]]
        if words_idx:
            rows[r, :DIM] = tok.vectors[words_idx].mean(axis=0)
        sid = int(tok.sentence[min(i, len(tok.words) - 1)]) if tok.words else 0
        lo = int(np.searchsorted(tok.sentence, sid, side="left"))
        hi = int(np.searchsorted(tok.sentence, sid, side="right"))
        sidx = lo + np.flatnonzero(tok.is_word[lo:hi])
        if sidx.size:
            rows[r, DIM : 2 * DIM] = tok.vectors[sidx].mean(axis=0)
        rows[r, 2 * DIM : 2 * DIM + N_CAT] = tok.cats[i:j].max(axis=0) if j > i else 0
        e = 2 * DIM + N_CAT
        span_text = tok.text[a:b]
        span_words = [lower[k] for k in words_idx]
        rows[r, e + 0] = np.log1p(len(span_words))
        rows[r, e + 1] = np.log1p(max(0, text_lower.count(span_text.lower()) - 1))
        rows[r, e + 2] = float(
            np.mean([counts.get(w, 0) > 1 for w in span_words if len(w) > 3] or [0.0])
        )
        rows[r, e + 3] = "?" in span_text
        rows[r, e + 4] = "!" in tok.text[a : min(len(tok.text), b + 2)]
        rows[r, e + 5] = any(c in _QUOTE_CHARS for c in tok.text[max(0, a - 1) : b + 1])
        rows[r, e + 6] = float(
            np.mean([len(w) > 1 and w.isupper() for w in (tok.words[k] for k in words_idx)] or [0])
        )
        rows[r, e + 7] = any(w in _WE for w in span_words)
        rows[r, e + 8] = any(w in _YOU for w in span_words)
        rows[r, e + 9] = any(w in _NEG for w in span_words)
        rows[r, e + 10] = any(w in _CAUSAL for w in span_words)
        rows[r, e + 11] = len(span_words) / max(1, sidx.size)
    return rows


# --- document rows (sensationalism of an article, clickbait of a headline)
DOC_EXTRA = (
    "exclaims",
    "asks",
    "quotes",
    "caps_words",
    "log_words",
    "log_sentence_words",
    "we",
    "you",
    "starts_with_number",
    "ends_with_question",
)


@dataclass
class DocCounts:
    """What a document row is computed from: sums and counts that add up over the pieces of a
    long text (``merge``), so its row needs no more than one piece in memory at a time."""

    total: np.ndarray  # sum of the word vectors (DIM,)
    n_real: int  # words (letters/digits)
    n_tokens: int  # words and punctuation
    cue_starts: np.ndarray  # (N_CAT,) lexicon hits per category (counted at first tokens)
    exclaims: int
    asks: int
    quotes: int
    caps_words: int
    we: int
    you: int
    n_sentences: int
    starts_with_number: bool
    ends_with_question: bool

    def merge(self, later: DocCounts) -> DocCounts:
        """These counts followed by those of the text's next piece."""
        return DocCounts(
            self.total + later.total,
            self.n_real + later.n_real,
            self.n_tokens + later.n_tokens,
            self.cue_starts + later.cue_starts,
            self.exclaims + later.exclaims,
            self.asks + later.asks,
            self.quotes + later.quotes,
            self.caps_words + later.caps_words,
            self.we + later.we,
            self.you + later.you,
            self.n_sentences + later.n_sentences,
            self.starts_with_number if self.n_tokens else later.starts_with_number,
            later.ends_with_question if later.n_tokens else self.ends_with_question,
        )


def doc_counts(tok: Tokens) -> DocCounts:
    n_real = int(tok.is_word.sum())
    total = tok.vectors[tok.is_word].sum(axis=0) if n_real else np.zeros(DIM, np.float32)
    # a multi-word hit counts once: count the hits' first tokens
    starts = tok.cats.copy()
    starts[1:] = np.clip(tok.cats[1:] - tok.cats[:-1], 0, 1)
    words = tok.words
    lower = [w.lower() for w in words]
    return DocCounts(
        total=total,
        n_real=n_real,
        n_tokens=len(words),
        cue_starts=starts.sum(axis=0),
        exclaims=words.count("!"),
        asks=words.count("?"),
        quotes=sum(w in _QUOTE_CHARS for w in words),
        caps_words=sum(len(w) > 1 and w.isupper() for w in words),
        we=sum(w in _WE for w in lower),
        you=sum(w in _YOU for w in lower),
        n_sentences=len(tok.sentences),
        starts_with_number=bool(words) and words[0][:1].isdigit(),
        ends_with_question=bool(words) and words[-1] == "?",
    )


def doc_features(
    tok: Tokens, min_words: int = RATE_MIN_WORDS, pad: np.ndarray | None = None
) -> np.ndarray:
    """One row: [mean word vector, cue hits per 100 words, extra cues]. A text shorter than
    ``min_words`` is read as if padded to that length with average words (``pad``, the mean
    word vector of neutral training articles) and its counts are taken over ``min_words``:
    a five-word text scores like a short calm article with those five words in it, not as an
    extreme (articles: RATE_MIN_WORDS; headlines: 1, their own scale)."""
    return doc_row(doc_counts(tok), min_words, pad)


def doc_row(
    c: DocCounts, min_words: int = RATE_MIN_WORDS, pad: np.ndarray | None = None
) -> np.ndarray:
    """``doc_features`` from the counts of a whole text (``doc_counts``, merged)."""
    n_real = c.n_real
    n_words = max(min_words, n_real)
    total = c.total
    if pad is not None and n_real < n_words:
        total = total + (n_words - n_real) * pad
    vec = total / max(1, n_words if pad is not None else n_real)
    rates = 100.0 * c.cue_starts / n_words
    extra = np.array(
        [
            100.0 * c.exclaims / n_words,
            100.0 * c.asks / n_words,
            100.0 * c.quotes / n_words,
            100.0 * c.caps_words / n_words,
            np.log1p(n_words),
            np.log1p(n_real / max(1, c.n_sentences)),
            100.0 * c.we / n_words,
            100.0 * c.you / n_words,
            float(c.starts_with_number),
            float(c.ends_with_question),
        ],
        dtype=np.float32,
    )
    return np.concatenate([vec, rates.astype(np.float32), extra])


# --- machine-rewrite rows: which stock phrases occur, and how often
def machine_phrases() -> tuple[str, ...]:
    return machine_rewrite_terms()


# no length column: LLM reframings in the training data are shorter than their originals,
# and length is no evidence of machine rewriting
MACHINE_EXTRA = ("closing_as", "em_dashes", "all_markers")


@dataclass
class MachineCounts:
    """Stock-phrase hits of a text (per phrase index, -1 for a phrase not in the model's
    list), whether it ends with a closing 'As ... continues' line, and its em dashes; they
    add up over the pieces of a long text (``merge``)."""

    hits: list[int]  # phrase index of each machine-rewrite hit, in text order
    closing: int  # closing-line hits (0 or 1 for a whole text)
    em_dashes: int
    n_words: int

    def merge(self, later: MachineCounts) -> MachineCounts:
        return MachineCounts(
            self.hits + later.hits,
            self.closing + later.closing,
            self.em_dashes + later.em_dashes,
            self.n_words + later.n_words,
        )


def machine_counts(tok: Tokens) -> MachineCounts:
    index = {p: k for k, p in enumerate(machine_phrases())}
    hits: list[int] = []
    closing = 0
    for a, b, cat in tok.hits:
        if cat == "machine-rewrite":
            hits.append(index.get(" ".join(tok.text[a:b].lower().split()), -1))
        elif cat == "closing-as":
            closing += 1
    dashes = tok.text.count("—") + tok.text.count(" – ")
    return MachineCounts(hits, closing, dashes, int(tok.is_word.sum()))


def machine_features(tok: Tokens) -> np.ndarray:
    """[hits of each stock phrase per 100 words..., closing 'As ... continues' line, em dashes
    per 100 words, all marker hits per 100 words]. The last column lets a phrase
    rare or absent in training still count as a marker (it shares the pooled weight)."""
    return machine_row(machine_counts(tok))


def machine_row(c: MachineCounts) -> np.ndarray:
    """``machine_features`` from the counts of a whole text (``machine_counts``, merged)."""
    k0 = len(machine_phrases())
    n_words = max(RATE_MIN_WORDS, c.n_words)
    row = np.zeros(k0 + len(MACHINE_EXTRA), np.float32)
    for k in c.hits:  # one float32 addition per hit, in text order
        if k >= 0:
            row[k] += 100.0 / n_words
            row[k0 + 2] += 100.0 / n_words
    if c.closing:
        row[k0] = 1.0
        row[k0 + 2] += 100.0 / n_words
    row[k0 + 1] = 100.0 * c.em_dashes / n_words
    return row


def headline_features(tok: Tokens) -> np.ndarray:
    """A headline's row for the clickbait model: ``doc_features`` on the headline's own scale."""
    return doc_features(tok, min_words=1)
