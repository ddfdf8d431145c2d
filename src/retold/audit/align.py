"""Sentence alignment: which source sentences support each retelling sentence.

The score mixes three signals that fail differently: embedding cosine (catches paraphrase,
fooled by same-topic text), content-word overlap (precise, blind to synonyms) and shared
anchors (names and numbers: what makes two sentences about the same fact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from retold.analyze.embed import cosine_matrix
from retold.analyze.words import content_words
from retold.model import AnalyzedArticle
from retold.settings import Settings


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


def _set_cosine(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def align(source: AnalyzedArticle, retelling: AnalyzedArticle, settings: Settings) -> Alignment:
    sw = [set(content_words(s.text)) for s in source.sentences]
    rw = [set(content_words(s.text)) for s in retelling.sentences]
    sa, ra = sentence_anchors(source), sentence_anchors(retelling)
    cos = cosine_matrix(retelling.embeddings, source.embeddings)
    n, m = len(rw), len(sw)
    lex = np.zeros((n, m), dtype=np.float32)
    anc = np.zeros((n, m), dtype=np.float32)
    # inverted index: only pairs that share a word or anchor get a lexical score
    index: dict[str, list[int]] = {}
    for j, ws in enumerate(sw):
        for w in ws:
            index.setdefault(w, []).append(j)
    for i, ws in enumerate(rw):
        shared = np.zeros(m, dtype=np.float32)
        for w in ws:
            for j in index.get(w, ()):
                shared[j] += 1
        for j in np.nonzero(shared)[0]:
            lex[i, j] = shared[j] / math.sqrt(len(ws) * len(sw[j]))
        for j in range(m):
            if ra[i] and sa[j]:
                anc[i, j] = _set_cosine(ra[i], sa[j])
    # anchors only count when a sentence has any; otherwise give their weight to the text
    has_anchor = np.outer([bool(x) for x in ra], [bool(x) for x in sa]).reshape(n, m)
    w_e, w_l, w_a = settings.embed_weight, settings.lexical_weight, settings.entity_weight
    with_anchor = w_e * np.clip(cos, 0, 1) + w_l * lex + w_a * anc
    without = (w_e * np.clip(cos, 0, 1) + w_l * lex) / max(1e-9, w_e + w_l)
    scores = np.where(has_anchor, with_anchor, without).astype(np.float32)
    top: list[list[tuple[int, float]]] = []
    k = settings.align_top_k
    for i in range(n):
        order = np.argsort(-scores[i])[:k]
        row = [
            (int(j), float(scores[i, j])) for j in order if scores[i, j] >= settings.align_min_score
        ]
        top.append(row)
    return Alignment(scores, top, sw, rw, sa, ra, cos, lex, anc)
