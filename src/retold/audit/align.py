"""Sentence alignment: which source sentences support each retelling sentence.

The score mixes three signals that fail differently: embedding cosine (catches paraphrase,
fooled by same-topic text), content-word overlap (precise, blind to synonyms) and shared
anchors (names and numbers: what makes two sentences about the same fact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from retold.analysis.embed import cosine_matrix
from retold.analysis.words import content_words
from retold.errors import InputError
from retold.settings import Settings
from retold.types import AnalyzedArticle


@dataclass
class Alignment:
    scores: np.ndarray  # (n_retelling_sentences, n_source_sentences)
    top: list[list[tuple[int, float]]]  # per retelling sentence, best source sentences
    source_words: list[set[str]]
    retelling_words: list[set[str]]
    source_anchors: list[set[str]]
    retelling_anchors: list[set[str]]
    # the three signals behind ``scores``, for judges that weigh them themselves
    cosine: np.ndarray | None = None
    lexical: np.ndarray | None = None
    anchor: np.ndarray | None = None

    def best(self, i: int) -> tuple[int, float]:
        return self.top[i][0] if self.top[i] else (-1, 0.0)

    def source_coverage(self) -> np.ndarray:
        """For each source sentence, its best score against any retelling sentence."""
        if self.scores.size == 0:
            return np.zeros(self.scores.shape[1] if self.scores.ndim == 2 else 0)
        return self.scores.max(axis=0)


def sentence_anchors(doc: AnalyzedArticle) -> list[set[str]]:
    """Names and numbers per sentence, normalised so that 'Keller' matches 'Maria Keller'."""
    anchors: list[set[str]] = [set() for _ in doc.sentences]
    for e in doc.entities:
        if 0 <= e.sentence < len(anchors) and e.label in {
            "PERSON",
            "ORG",
            "GPE",
            "LOC",
            "NORP",
            "FAC",
            "EVENT",
            "LAW",
            "PRODUCT",
        }:
            toks = content_words(e.text)
            if toks:
                anchors[e.sentence].add("e:" + toks[-1])
    for q in doc.quantities:
        if 0 <= q.sentence < len(anchors):
            anchors[q.sentence].add(f"q:{q.kind}:{q.value:g}")
    return anchors


# Rows of the score matrices computed at once: the temporaries of one block (a dozen n x m
# arrays) stay a few tens of MB however long the articles are. Articles whose pairs fit in
# one block (every news article) are scored in one go, exactly as before blocking.
_BLOCK_PAIRS = 1_000_000


def _incidence(sets: list[set[str]], vocab: dict[str, int], rows: range) -> sparse.csr_matrix:
    """0/1 matrix (len(rows) x len(vocab)): which vocabulary items each set holds."""
    indptr = [0]
    indices: list[int] = []
    for i in rows:
        indices.extend(vocab[w] for w in sets[i] if w in vocab)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.int32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), len(vocab)))


def _overlaps(
    rset: list[set[str]], sset: list[set[str]]
) -> tuple[dict[str, int], sparse.csr_matrix]:
    """Vocabulary of the source sets and their (vocab x m) incidence, for ``_shared``."""
    vocab: dict[str, int] = {}
    for ws in sset:
        for w in ws:
            vocab.setdefault(w, len(vocab))
    return vocab, _incidence(sset, vocab, range(len(sset))).T.tocsr()


def _shared(
    sets: list[set[str]], vocab: dict[str, int], src_t: sparse.csr_matrix, rows: range
) -> np.ndarray:
    """How many items each retelling set in ``rows`` shares with each source set."""
    if not vocab:
        return np.zeros((len(rows), src_t.shape[1]), dtype=np.int32)
    return (_incidence(sets, vocab, rows) @ src_t).toarray()


def align(source: AnalyzedArticle, retelling: AnalyzedArticle, settings: Settings) -> Alignment:
    sw = [set(content_words(s.text)) for s in source.sentences]
    rw = [set(content_words(s.text)) for s in retelling.sentences]
    sa, ra = sentence_anchors(source), sentence_anchors(retelling)
    n, m = len(rw), len(sw)
    check_pairs(source, retelling, settings)
    cos = np.zeros((n, m), dtype=np.float32)
    lex = np.zeros((n, m), dtype=np.float32)
    anc = np.zeros((n, m), dtype=np.float32)
    scores = np.zeros((n, m), dtype=np.float32)
    # only pairs that share a word or anchor get a lexical or anchor score: sparse products
    word_vocab, src_words = _overlaps(rw, sw)
    anchor_vocab, src_anchors = _overlaps(ra, sa)
    s_len = np.array([len(x) for x in sw], dtype=np.float64)
    sa_len = np.array([len(x) for x in sa], dtype=np.float64)
    w_e, w_l, w_a = settings.embed_weight, settings.lexical_weight, settings.entity_weight
    step = max(1, _BLOCK_PAIRS // max(1, m))
    for lo in range(0, n, step):
        rows = range(lo, min(n, lo + step))
        block = slice(rows.start, rows.stop)
        cos[block] = cosine_matrix(retelling.embeddings[block], source.embeddings)
        # count / sqrt(|a| |b|): the square root in float64 then float32, the division in
        # float32 (the word score) or float64 (the anchor score), as the scalar loop did
        shared = _shared(rw, word_vocab, src_words, rows)
        r_len = np.array([len(rw[i]) for i in rows], dtype=np.float64)
        norm = np.sqrt(np.outer(r_len, s_len)).astype(np.float32)
        np.divide(shared.astype(np.float32), norm, out=lex[block], where=shared > 0)
        common = _shared(ra, anchor_vocab, src_anchors, rows)
        ra_len = np.array([len(ra[i]) for i in rows], dtype=np.float64)
        a_norm = np.sqrt(np.outer(ra_len, sa_len))
        anc[block] = np.divide(common, a_norm, out=np.zeros(common.shape), where=common > 0)
        # anchors only count when a sentence has any; otherwise give their weight to the text
        has_anchor = np.outer(ra_len > 0, sa_len > 0)
        c = np.clip(cos[block], 0, 1)
        with_anchor = w_e * c + w_l * lex[block] + w_a * anc[block]
        without = (w_e * c + w_l * lex[block]) / max(1e-9, w_e + w_l)
        scores[block] = np.where(has_anchor, with_anchor, without)
    top: list[list[tuple[int, float]]] = []
    k = settings.align_top_k
    for i in range(n):
        order = np.argsort(-scores[i])[:k]
        row = [
            (int(j), float(scores[i, j])) for j in order if scores[i, j] >= settings.align_min_score
        ]
        top.append(row)
    return Alignment(scores, top, sw, rw, sa, ra, cos, lex, anc)


def check_pairs(source: AnalyzedArticle, retelling: AnalyzedArticle, settings: Settings) -> None:
    """Refuse a pair whose sentence pairs exceed ``max_sentence_pairs``: alignment keeps a few
    numbers per pair (16 bytes), and several later stages are linear in the pairs too."""
    n, m = len(retelling.sentences), len(source.sentences)
    if n * m > settings.max_sentence_pairs:
        raise InputError(
            f"{source.article.origin or 'source'} and {retelling.article.origin or 'retelling'}: "
            f"{m:,} x {n:,} sentences make {n * m:,} sentence pairs; at most "
            f"{settings.max_sentence_pairs:,} are compared (set max_sentence_pairs)"
        )
