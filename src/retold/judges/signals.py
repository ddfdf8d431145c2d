"""What a claim adds or changes relative to its source: the signals both the heuristic and
the learned judge decide from (computed once, one way)."""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field

import numpy as np

from retold.analysis.embed import token_vectors
from retold.analysis.words import (
    ESCALATION_RE,
    actor_swap,
    antonym_swap,
    content_words,
    dropped_hedges,
    polarity_flip,
    stem,
)
from retold.audit.align import Alignment
from retold.audit.changes import SentenceDiff, is_addition
from retold.settings import Settings
from retold.style.lexicon import STYLE_WORDS
from retold.types import AnalyzedArticle, Entity, Quantity, Quote

_STYLE_STEMS = frozenset(stem(w) for w in STYLE_WORDS)
_RELATIVE = re.compile(r",\s+(?:who|which|whose)\s+([^,;.]+)")
_PIECES = re.compile(r"[,;:]|\b(?:as|while|after|before|because|when)\b")
_REPORTING = frozenset(
    stem(w)
    for w in (
        "said declared added told stated insisted warned stressed explained noted argued claimed "
        "announced revealed emphasised emphasized continued reporters speaking ceremony"
    ).split()
)


@dataclass
class ClaimSignals:
    best_j: int
    best: float  # best alignment score
    cosine: float  # embedding cosine with the best source sentence
    lexical: float  # content-word set cosine with the best source sentence
    recall: float  # share of the claim's content words found in its candidate sentences
    n_words: int
    novel: list[str]  # content words found nowhere in the source (style words excluded)
    contradictions: list[str] = field(default_factory=list)
    lost_hedges: set[str] = field(default_factory=set)
    added: list[str] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)
    novel_names: list[Entity] = field(default_factory=list)
    novel_numbers: list[Quantity] = field(default_factory=list)
    token_exact: float = 0.0  # share of the claim's word pieces present in the whole source
    token_soft: float = 0.0  # the same with nearest-neighbour (static embedding) matching

    @property
    def specific(self) -> bool:
        """A finding beyond wording that a paraphrase does not explain away. A name the
        source lacks is left out: on real retellings it is mostly a name written out in full
        or a place added to a dateline, which a reader of meaning settles better."""
        return bool(
            self.contradictions
            or self.lost_hedges
            or self.added
            or self.escalations
            or self.novel_numbers
        )

    @property
    def novel_ratio(self) -> float:
        return len(self.novel) / max(1, self.n_words)

    FEATURES = (
        "best",
        "cosine",
        "lexical",
        "recall",
        "novel_ratio",
        "log_novel",
        "novel_names",
        "novel_numbers",
        "changes",
        "polarity",
        "lost_hedge",
        "added",
        "escalation",
        "log_words",
        "token_exact",
        "token_soft",
    )

    def vector(self) -> np.ndarray:
        n_changes = sum(1 for c in self.contradictions if not c.startswith("polarity"))
        polarity = any(c.startswith("polarity") for c in self.contradictions)
        return np.array(
            [
                self.best,
                self.cosine,
                self.lexical,
                self.recall,
                self.novel_ratio,
                math.log1p(len(self.novel)),
                min(3, len(self.novel_names)),
                min(3, len(self.novel_numbers)),
                min(3, n_changes),
                float(polarity),
                float(bool(self.lost_hedges)),
                float(bool(self.added)),
                float(bool(self.escalations)),
                math.log1p(self.n_words),
                self.token_exact,
                self.token_soft,
            ],
            dtype=np.float64,
        )


@dataclass
class SourceIndex:
    """What every claim of one retelling is checked against, built once per source."""

    vocab: set[str]  # stemmed content words
    tokens: np.ndarray  # unique content word-piece ids
    vectors: np.ndarray  # their static embeddings (rows L2-normalised)
    lower: str = ""  # the source text in lower case (once, not once per claim)


def source_index(source: AnalyzedArticle, al: Alignment) -> SourceIndex:
    vocab = set().union(*al.source_words) if al.source_words else set()
    parts = [t for t in (source.sentence_tokens or []) if len(t)]
    ids = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    vectors = token_vectors(ids) if len(ids) else np.zeros((0, 1))
    return SourceIndex(vocab, ids, vectors, source.text.lower())


def direct_quotes_by_sentence(doc: AnalyzedArticle) -> list[list[Quote]]:
    """The direct quotes overlapping each sentence, in quote order: built once per article,
    so that finding them is not a scan of every quote for every sentence."""
    out: list[list[Quote]] = [[] for _ in doc.sentences]
    starts = [s.start for s in doc.sentences]
    for q in doc.quotes:
        if q.kind != "direct":
            continue
        k = max(0, bisect.bisect_right(starts, q.start) - 1)
        while k < len(out) and doc.sentences[k].start < q.end:
            if q.start < doc.sentences[k].end:
                out[k].append(q)
            k += 1
    return out


def token_precision(claim_ids: np.ndarray | None, index: SourceIndex) -> tuple[float, float]:
    """(share of the claim's word pieces found in the source, mean best cosine of each piece
    to any source piece): how much of the claim's wording the whole source accounts for."""
    if claim_ids is None or not len(claim_ids) or not len(index.tokens):
        return 0.0, 0.0
    exact = float(np.isin(claim_ids, index.tokens).mean())
    soft = float((token_vectors(claim_ids) @ index.vectors.T).max(axis=1).mean())
    return exact, max(0.0, soft)


def claim_signals(
    i: int,
    source: AnalyzedArticle,
    retelling: AnalyzedArticle,
    al: Alignment,
    diff: SentenceDiff,
    index: SourceIndex,
    settings: Settings,
    sentence_quotes: list[list[Quote]] | None = None,
) -> ClaimSignals:
    vocab = index.vocab
    cands = al.top[i]
    best_j, best = cands[0] if cands else (-1, 0.0)
    words = al.retelling_words[i]
    near: set[str] = set().union(*(al.source_words[j] for j, _ in cands)) if cands else set()
    sig = ClaimSignals(
        best_j=best_j,
        best=best,
        cosine=float(al.cosine[i, best_j]) if al.cosine is not None and best_j >= 0 else 0.0,
        lexical=float(al.lexical[i, best_j]) if al.lexical is not None and best_j >= 0 else 0.0,
        recall=len(words & near) / max(1, len(words)),
        n_words=len(words),
        novel=sorted(w for w in words if w not in vocab and w not in _STYLE_STEMS),
        contradictions=[
            f"{c.kind} changed: source says '{c.source_text}', retelling says '{c.retelling_text}'"
            for c in diff.changes
            if not is_addition(c)  # a title the source never gives is new, not in conflict
        ],
        novel_names=list(diff.novel_names),
        novel_numbers=list(diff.novel_numbers),
    )
    r_text = retelling.sentences[i].text
    if best_j >= 0 and best >= settings.contradiction_min_align:
        s_text = source.sentences[best_j].text
        # polarity, only against a sentence that states the same thing
        flipped = polarity_flip(s_text, r_text)
        same_thing = len(words & al.source_words[best_j]) / max(1, len(words)) >= 0.5
        if flipped and same_thing:
            sig.contradictions.append(f"polarity flipped: '{flipped}' is negated in one text only")
        swapped = antonym_swap(s_text, r_text) if same_thing else None
        if swapped:
            sig.contradictions.append(
                f"polarity reversed: the source says '{swapped[1]}', the retelling '{swapped[0]}'"
            )
        actors = actor_swap(s_text, r_text) if same_thing else None
        if actors:
            verb, doer, receiver = actors
            sig.contradictions.append(
                f"actors swapped: in the source '{doer}' {verb} '{receiver}', "
                "the retelling has it the other way round"
            )
    # a hedge dropped turns a possibility into a fact; a retelling sentence may merge several
    # source sentences, so every well-aligned one is checked
    for j, score in cands:
        if score >= settings.contradiction_min_align:
            sig.lost_hedges |= dropped_hedges(source.sentences[j].text, r_text)
    sig.added = added_parts(
        i, retelling, vocab, sentence_quotes[i] if sentence_quotes is not None else None
    )
    toks = retelling.sentence_tokens[i] if retelling.sentence_tokens else None
    sig.token_exact, sig.token_soft = token_precision(toks, index)
    src_lower = index.lower or source.text.lower()
    sig.escalations = [
        m.group(0) for m in ESCALATION_RE.finditer(r_text) if m.group(0).lower() not in src_lower
    ]
    return sig


def added_parts(
    i: int, retelling: AnalyzedArticle, vocab: set[str], quotes: list[Quote] | None = None
) -> list[str]:
    """Parts of an otherwise supported sentence that bring new content: a relative clause
    ('who has championed the project for a decade') or narration around a quote
    ('visibly emotional as she addressed reporters'). ``quotes``: the direct quotes
    overlapping the sentence, when known (``direct_quotes_by_sentence``)."""
    sent = retelling.sentences[i]
    parts = [m.group(1) for m in _RELATIVE.finditer(sent.text)]
    if quotes is None:
        quotes = [
            q
            for q in retelling.quotes
            if q.kind == "direct" and q.start < sent.end and sent.start < q.end
        ]
    if quotes:
        rest = sent.text
        for q in sorted(quotes, key=lambda q: -q.start):
            a, b = max(0, q.start - sent.start), min(q.end, sent.end) - sent.start
            rest = rest[:a] + " , " + rest[b:]
        speakers = {stem(w) for q in quotes for w in (q.speaker or "").split()}
        parts.append(
            " ".join(w for w in rest.split() if stem(w.strip(",.;:“”\"'")) not in speakers)
        )
    out = []
    for part in (x for p in parts for x in _PIECES.split(p) if x and x.strip()):
        cw = [w for w in content_words(part) if w not in _STYLE_STEMS and w not in _REPORTING]
        novel = [w for w in cw if w not in vocab]
        if len(novel) >= 2 and len(novel) / max(1, len(cw)) >= 0.5:
            out.append(part.strip(' ,.“”"'))
    return out
