"""Plain data types passed between stages.

Every offset is a character offset into the article's ``text`` (``text[start:end]``).
Stages talk through these types only; ``to_dict`` gives the JSON form used by reports.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

QuantityKind = Literal["number", "percent", "money", "date", "year", "ordinal", "duration"]
QuoteKind = Literal["direct", "indirect"]
# judge_failed: the chosen judge could not answer (endpoint down, malformed answer);
# boilerplate: page furniture (credits, bylines, share text), set aside and not judged
ClaimVerdict = Literal["supported", "unsupported", "contradicted", "judge_failed", "boilerplate"]
QuoteVerdict = Literal["verbatim", "altered", "indirect", "misattributed", "unsourced"]


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """``text`` with lone surrogates (from ``surrogateescape`` or broken JSON; no encoder,
    tokenizer or JSON writer takes them) replaced by U+FFFD: same length, same offsets."""
    return _SURROGATE_RE.sub("\ufffd", text)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Article:
    """A document as read from disk, stdin or the network, before analysis."""

    text: str
    title: str = ""
    origin: str = ""  # path, URL or "<stdin>": used in messages and reports
    language: str = "en"

    def __post_init__(self) -> None:
        # caught here, with the field's name, rather than deep inside spaCy
        for name in ("text", "title", "origin", "language"):
            value = getattr(self, name)
            if isinstance(value, str) and _SURROGATE_RE.search(value):
                # as the readers do: same length, so every offset still holds
                object.__setattr__(self, name, valid_unicode(value))
                continue
            if not isinstance(value, str):
                hint = (
                    " (decode it first, or pass the bytes to retold.compare, which decodes "
                    "them as it decodes a file)"
                    if isinstance(value, bytes | bytearray) and name == "text"
                    else ""
                )
                raise TypeError(
                    f"{type(self).__name__}: {name} must be str, not {type(value).__name__}{hint}"
                )

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Entity:
    text: str
    label: str  # spaCy label: PERSON, ORG, GPE, LOC, NORP, DATE, ...
    start: int
    end: int
    sentence: int


@dataclass(frozen=True)
class Quantity:
    """A number, amount, percentage or date found in text, normalised to a value.

    ``value`` is the number (3000.0 for "3,000", "three thousand" and "3k"; 30.0 for
    "30 per cent"); for dates it is an ordinal-like key (e.g. 20240314.0 for "March 14, 2024",
    or month*100+day when the year is absent) so equal dates compare equal. ``unit`` is a
    lower-case noun or symbol that follows or precedes it ("troops", "usd", "%"), or "".
    """

    text: str
    start: int
    end: int
    value: float
    kind: QuantityKind
    unit: str = ""
    sentence: int = -1


@dataclass(frozen=True)
class Quote:
    """Words attributed to a speaker. ``start``/``end`` cover the quoted words only
    (without quotation marks) for direct quotes, and the reported clause for indirect ones."""

    text: str
    start: int
    end: int
    kind: QuoteKind
    speaker: str | None = (
        None  # canonical name ("Maria Keller"), or a description ("a spokesperson")
    )
    speaker_span: Span | None = None  # where the speaker is named for this quote (may be a pronoun)
    cue: str = ""  # reporting verb or phrase: "said", "told Bild", "according to"
    sentences: tuple[int, ...] = ()


@dataclass
class AnalyzedArticle:
    article: Article
    sentences: list[Sentence]
    entities: list[Entity]
    quantities: list[Quantity]
    quotes: list[Quote]
    # sentence embeddings (numpy array, one row per sentence, L2-normalised); not serialised
    embeddings: Any = None
    # content word-piece ids per sentence (static model vocabulary); not serialised
    sentence_tokens: Any = None

    @property
    def text(self) -> str:
        return self.article.text

    def sentence_at(self, offset: int) -> int:
        for s in self.sentences:
            if s.start <= offset < s.end:
                return s.index
        return -1


@dataclass(frozen=True)
class Evidence:
    """A span of one article that a finding rests on. ``side`` is 'source' or 'retelling'."""

    text: str
    start: int
    end: int
    side: Literal["source", "retelling"] = "source"
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["score"] is None:
            del d["score"]
        return d


@dataclass
class ClaimFinding:
    text: str
    start: int
    end: int
    verdict: ClaimVerdict
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    sentence: int = -1
    support_score: float = 0.0  # judge's probability that the source supports the claim


@dataclass
class WordDiffOp:
    op: Literal["equal", "insert", "delete", "replace"]
    source: str
    retelling: str


@dataclass
class QuoteFinding:
    text: str
    start: int
    end: int
    speaker: str | None
    verdict: QuoteVerdict
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    source_speaker: str | None = None
    similarity: float = 0.0
    diff: list[WordDiffOp] = field(default_factory=list)
    kind: QuoteKind = "direct"
    reasons: list[str] = field(default_factory=list)


@dataclass
class Change:
    kind: Literal["number", "date", "name", "place", "role", "organisation"]
    source_text: str
    retelling_text: str
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    note: str = ""


@dataclass
class Omission:
    """``kind`` 'sentence': a source sentence not retold at all (span = the sentence);
    'caveat' / 'attribution': the sentence is retold without it (span = the lost phrase)."""

    text: str
    start: int
    end: int
    importance: float
    reasons: list[str] = field(default_factory=list)
    kind: Literal["sentence", "caveat", "attribution"] = "sentence"
    confidence: float = 0.5
    # for caveat/attribution: the source phrase and the retelling sentence that lacks it
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class StyleSpan:
    text: str
    start: int
    end: int
    label: str  # a propaganda technique, a sensational cue, or a machine-rewrite marker
    side: Literal["source", "retelling"] = "retelling"
    new: bool = True  # not present in the source
    confidence: float = 0.5  # that the span is what its label says
    # "propaganda" (SemEval-2020 T11 technique), "sensational" (drives the sensationalism
    # score) or "machine-rewrite" (a stock phrase of LLM rewriting: evidence, not proof)
    kind: str = "sensational"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StyleScores:
    """Per-article style scores; 0-100 scales are model probabilities x 100."""

    sensationalism: float  # sensational / emotionally triggering style of the body
    # evidence of machine rewriting from stock phrases (not proof); None when no marker was
    # found: the model's output is then its prior, not a measurement (see machine_note)
    machine_rewrite: float | None
    clickbait: float | None  # the headline's clickbait score; None without a headline
    propaganda_spans: int
    propaganda_per_100_words: float
    techniques: dict[str, int] = field(default_factory=dict)  # propaganda spans per technique
    sensational: bool = False  # sensationalism at/above Settings.style_sensational_at
    clickbait_flag: bool = False  # clickbait at/above the threshold chosen on dev
    machine_note: str = ""  # why machine_rewrite is None, or what it rests on

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("sensationalism", "machine_rewrite", "clickbait", "propaganda_per_100_words"):
            if d[k] is not None:
                d[k] = round(d[k], 2)
        return d


@dataclass
class StyleAnalysis:
    """How one article is told. Offsets index ``text``: the headline (when given), a blank
    line, then the body, as ``retold compare`` analyses it."""

    text: str
    title: str
    word_count: int
    scores: StyleScores
    spans: list[StyleSpan] = field(default_factory=list)
    method: str = "learned"

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "text": self.text,
            "word_count": self.word_count,
            "method": self.method,
            "scores": self.scores.to_dict(),
            "spans": [
                {k: v for k, v in s.to_dict().items() if k not in ("side", "new")}
                for s in self.spans
            ],
        }


@dataclass
class StyleComparison:
    source_score: float  # sensationalism (0-100) of the source
    retelling_score: float  # ... and of the retelling
    spans: list[StyleSpan] = field(default_factory=list)
    method: str = "learned"
    source: StyleScores | None = None
    retelling: StyleScores | None = None
    more_sensational: bool = False  # retelling above source by at least the pair threshold
    new_techniques: dict[str, int] = field(default_factory=dict)  # technique spans new in it


@dataclass(frozen=True)
class AuditSummary:
    """The audit in figures (decided by ``retold.audit.summary``): how faithful the retelling
    is and whether it retells the source at all."""

    fidelity: float  # 0-1: supported share of claims, fabricated quotes weighing extra
    relatedness: float  # 0-1: share of retelling sentences well aligned to a source sentence
    # relatedness reaches ``Settings.related_min_share``, or the two texts are the same story
    # by meaning (``same_story`` >= ``Settings.families_same_story``)
    related: bool
    claims: dict[str, int]  # claims per verdict (every verdict, zeros included)
    quotes: dict[str, int]  # quotes per verdict (every verdict, zeros included)
    # same-story probability from the family pair model; None when the sentences align well
    # enough that it was not needed
    same_story: float | None = None


@dataclass
class Audit:
    source: AnalyzedArticle
    retelling: AnalyzedArticle
    claims: list[ClaimFinding]
    quotes: list[QuoteFinding]
    changes: list[Change]
    omissions: list[Omission]
    style: StyleComparison
    # alignment[i] = list of (source sentence index, score) supporting retelling sentence i
    alignment: list[list[tuple[int, float]]] = field(default_factory=list)
    judge: str = "heuristic"
    notes: list[str] = field(default_factory=list)
    summary: AuditSummary | None = None  # set by ``compare``, with its settings
