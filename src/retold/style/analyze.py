"""How an article is told: propaganda technique spans, a sensationalism score with the spans
that drive it, machine-rewrite markers (evidence, never proof) and a headline clickbait score,
all from the trained ``style.model``; and the comparison of a retelling against its source."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from retold.analysis.nlp import split_chunks
from retold.analysis.words import STOPWORDS
from retold.errors import InputError
from retold.settings import Settings
from retold.style.features import (
    DIM,
    MACHINE_EXTRA,
    DocCounts,
    MachineCounts,
    Tokens,
    chunks,
    doc_counts,
    doc_features,
    doc_row,
    headline_features,
    machine_counts,
    machine_row,
    part,
    span_features,
    token_features,
    tokenize,
)
from retold.style.lexicon import CATEGORIES
from retold.style.model import StyleModel, load_model
from retold.style.spans import decode_spans
from retold.types import (
    StyleAnalysis,
    StyleComparison,
    StyleScores,
    StyleSpan,
    valid_unicode,
)

# lexicon categories that can drive the sensationalism score (the rest are machine markers)
_SENSATIONAL_CUES = (
    "sensational",
    "loaded",
    "urgency",
    "hype-exclusive",
    "intensifier",
    "superlative",
    "hype-opener",
    "shouting",
)
_MACHINE_CUES = ("machine-rewrite", "closing-as")


def _squash(x: float) -> float:
    """A positive logit change to a [0, 1) confidence (1 logit ≈ 0.46)."""
    return float(max(0.0, 2.0 / (1.0 + math.exp(-x)) - 1.0))


def analyze_style(
    text: str, title: str | None = None, settings: Settings | None = None
) -> StyleAnalysis:
    """Analyse one article. ``title`` (the headline) leads the analysed text as its own
    paragraph, as in ``retold compare``, and is scored for clickbait.

    A text longer than ``Settings.style_chunk_chars`` is read in pieces of at most that
    length (cut at paragraph breaks, else sentence ends), so memory stays bounded: spans are
    found piece by piece (each token's features look only within its sentence) and the
    document scores come from counts summed over the pieces.

    Returns a ``StyleAnalysis`` (scores 0-100 and spans with offsets and confidences).
    Raises ``InputError`` when there is no text to analyse."""
    st = settings or Settings()
    if not isinstance(text, str):
        raise TypeError(f"style: text must be str, not {type(text).__name__}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"style: title must be str or None, not {type(title).__name__}")
    if not text.strip():
        raise InputError("style: no article text to analyse")
    text = valid_unicode(text)  # the tokenizer takes no lone surrogates; offsets unchanged
    head = " ".join(valid_unicode(title or "").split())
    full = text if not head or text.lstrip().startswith(head) else f"{head}\n\n{text}"
    model = load_model(st.style_model)
    spans: list[StyleSpan] = []
    doc: DocCounts | None = None
    mach: MachineCounts | None = None
    pieces = split_chunks(full, st.style_chunk_chars)
    for k, (a, b) in enumerate(pieces):
        # a piece is one Tokens; a text that fits is one piece at offset 0, as it always was
        tok = tokenize(full[a:b] if len(pieces) > 1 else full, closing=k == len(pieces) - 1)
        found = _propaganda(tok, model, st)
        found += _sensational_drivers(tok, model)
        found += _machine_markers(tok, model, st.style_marker_max_confidence)
        spans += [replace(s, start=s.start + a, end=s.end + a) for s in found] if a else found
        doc = doc_counts(tok) if doc is None else doc.merge(doc_counts(tok))
        mach = machine_counts(tok) if mach is None else mach.merge(machine_counts(tok))
        del tok
    assert doc is not None and mach is not None  # full is not empty
    n_words = max(1, doc.n_real)
    sensationalism = 100.0 * float(model.sens.prob(doc_row(doc, pad=model.sens_baseline))[0])
    machine = 100.0 * float(model.machine.prob(machine_row(mach))[0])
    clickbait = None
    if head:
        clickbait = 100.0 * float(model.clickbait.prob(headline_features(tokenize(head)))[0])
    cb_thr = st.style_clickbait_threshold or model.clickbait_threshold
    techniques: dict[str, int] = {}
    for s in spans:
        if s.kind == "propaganda":
            techniques[s.label] = techniques.get(s.label, 0) + 1
    n_prop = sum(techniques.values())
    scores = StyleScores(
        sensationalism=sensationalism,
        machine_rewrite=machine,
        clickbait=clickbait,
        propaganda_spans=n_prop,
        propaganda_per_100_words=100.0 * n_prop / n_words,
        techniques=dict(sorted(techniques.items(), key=lambda kv: (-kv[1], kv[0]))),
        sensational=sensationalism >= st.style_sensational_at,
        clickbait_flag=clickbait is not None and clickbait >= 100.0 * cb_thr,
    )
    spans.sort(key=lambda s: (s.start, -s.end, s.kind))
    return StyleAnalysis(full, head, n_words, scores, spans)


def _sensationalism(tok: Tokens, model: StyleModel) -> float:
    return 100.0 * float(model.sens.prob(doc_features(tok, pad=model.sens_baseline))[0])


def sensationalism(text: str, settings: Settings | None = None) -> float:
    """The sensationalism score (0-100) alone: no spans, a few ms per article (used as
    source-direction evidence for whole corpora). Long texts are read in pieces."""
    st = settings or Settings()
    if not isinstance(text, str):
        raise TypeError(f"sensationalism: text must be str, not {type(text).__name__}")
    model = load_model(st.style_model)
    text = valid_unicode(text)
    pieces = split_chunks(text, st.style_chunk_chars)
    if len(pieces) == 1:
        return _sensationalism(tokenize(text), model)
    doc: DocCounts | None = None
    for k, (a, b) in enumerate(pieces):
        counts = doc_counts(tokenize(text[a:b], closing=k == len(pieces) - 1))
        doc = counts if doc is None else doc.merge(counts)
    assert doc is not None
    return 100.0 * float(model.sens.prob(doc_row(doc, pad=model.sens_baseline))[0])


def _propaganda(tok: Tokens, model: StyleModel, st: Settings) -> list[StyleSpan]:
    if not tok.words:
        return []
    probs = np.concatenate(
        [model.si.prob(token_features(part(tok, i, j), model.si_dims)) for i, j in chunks(tok)]
    )
    found = decode_spans(tok, probs, st.style_span_threshold or model.si_threshold)
    if not found:
        return []
    tech = model.tc.softmax(span_features(tok, [(a, b) for a, b, _ in found]))
    out = []
    for (a, b, p), row in zip(found, tech, strict=True):
        k = int(np.argmax(row))
        out.append(
            StyleSpan(
                tok.text[a:b],
                a,
                b,
                model.techniques[k],
                confidence=round(float(p * row[k]), 3),
                kind="propaganda",
            )
        )
    return out


def _sensational_drivers(tok: Tokens, model: StyleModel) -> list[StyleSpan]:
    """Cues and words that raise the sensationalism score, each with how sure it is: the
    logit change it brings to a 100-word text, squashed to [0, 1)."""
    out: list[StyleSpan] = []
    cue_w = model.sens.w[DIM : DIM + len(CATEGORIES)]
    covered = np.zeros(len(tok.text) + 1, dtype=bool)
    for a, b, cat in tok.hits:
        if cat not in _SENSATIONAL_CUES:
            continue
        move = float(cue_w[CATEGORIES.index(cat)])
        if move > 0:
            out.append(StyleSpan(tok.text[a:b], a, b, cat, confidence=round(_squash(move), 3)))
            covered[a:b] = True
    if tok.words:
        moves = (tok.vectors - model.sens_baseline) @ model.sens.w[:DIM] / 100.0
        tau = model.sens_word_tau
        for i in np.flatnonzero(tok.is_word & (moves > tau)):
            a, b = int(tok.starts[i]), int(tok.ends[i])
            if not covered[a:b].any():
                conf = round(_squash(float(moves[i]) / tau), 3)
                out.append(StyleSpan(tok.text[a:b], a, b, "charged word", confidence=conf))
    return out


def _machine_markers(tok: Tokens, model: StyleModel, cap: float) -> list[StyleSpan]:
    out = []
    index = {p: k for k, p in enumerate(model.machine_phrases)}
    pooled = float(model.machine.w[len(model.machine_phrases) + MACHINE_EXTRA.index("all_markers")])
    for a, b, cat in tok.hits:
        if cat not in _MACHINE_CUES:
            continue
        if cat == "closing-as":
            k, label = len(model.machine_phrases), "closing 'As ... continues' line"
        else:
            k = index.get(" ".join(tok.text[a:b].lower().split()), -1)
            label = "stock phrase"
        # the logit change of one more marker in a 100-word text
        move = pooled + (float(model.machine.w[k]) if k >= 0 else 0.0)
        if move > 0:
            out.append(
                StyleSpan(
                    tok.text[a:b],
                    a,
                    b,
                    label,
                    confidence=round(cap * _squash(move), 3),
                    kind="machine-rewrite",
                )
            )
    return out


# --- a retelling against its source
def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", text.lower()) if len(w) > 2 and w not in STOPWORDS]


def _word_key(word: str) -> str:
    """A crude stem: inflections of one word share it (compromised / compromise)."""
    return word[: max(4, len(word) - 3)]


@dataclass(frozen=True)
class _Source:
    norm: str  # the words of the source, lower case, single-spaced
    prefixes: frozenset[str]  # every prefix (4+ letters) of every source word
    padded: str = ""  # f" {norm} ", built once rather than once per span

    @classmethod
    def of(cls, text: str) -> _Source:
        words = set(re.findall(r"\w+", text.lower()))
        norm = _norm(text)
        prefixes = frozenset(w[:k] for w in words for k in range(4, len(w) + 1))
        return cls(norm, prefixes, f" {norm} ")


def _in_source(span: StyleSpan, source: _Source, min_ratio: float) -> bool:
    """A span is the source's, not the retelling's, when its words occur there as they stand,
    when it brings no content word the source lacks (a reworded "would not compromise" is
    not a new "compromised"), or, for a long propaganda span, when it is near-verbatim."""
    words = _norm(span.text)
    if not words or f" {words} " in (source.padded or f" {source.norm} "):
        return True
    if not any(_word_key(w) not in source.prefixes for w in _content_words(span.text)):
        return True
    if span.kind != "propaganda" or len(words) < 12:
        return False
    from rapidfuzz import fuzz

    return fuzz.partial_ratio(words, source.norm) >= min_ratio


def compare_style(
    source_text: str,
    retelling_text: str,
    *,
    source_title: str = "",
    retelling_title: str = "",
    settings: Settings | None = None,
) -> StyleComparison:
    """Scores of both texts and the spans of the retelling that its source does not have, so a
    source that is dramatic itself is not blamed on the retelling."""
    for name, value in (
        ("source_text", source_text),
        ("retelling_text", retelling_text),
        ("source_title", source_title),
        ("retelling_title", retelling_title),
    ):
        if not isinstance(value, str):
            raise TypeError(f"compare_style: {name} must be str, not {type(value).__name__}")
    st = settings or Settings()
    src = analyze_style(source_text, source_title or None, st)
    ret = analyze_style(retelling_text, retelling_title or None, st)
    source = _Source.of(src.text)
    new_ret = [
        replace(s, side="retelling", new=not _in_source(s, source, st.style_same_span_ratio))
        for s in ret.spans
    ]
    new_techniques: dict[str, int] = {}
    for s in new_ret:
        if s.new and s.kind == "propaganda":
            new_techniques[s.label] = new_techniques.get(s.label, 0) + 1
    min_delta = st.style_min_delta or load_model(st.style_model).sens_min_delta
    delta = ret.scores.sensationalism - src.scores.sensationalism
    return StyleComparison(
        source_score=src.scores.sensationalism,
        retelling_score=ret.scores.sensationalism,
        spans=new_ret + [replace(s, side="source", new=False) for s in src.spans],
        method="learned",
        source=src.scores,
        retelling=ret.scores,
        more_sensational=delta >= min_delta,
        new_techniques=dict(sorted(new_techniques.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
