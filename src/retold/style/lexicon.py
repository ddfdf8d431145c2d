"""A lexicon baseline for tone: sensational/loaded words and machine-rewrite stock phrases
per 100 words. The style issue replaces the scoring with a learned model; spans and the
comparison against the source stay."""

from __future__ import annotations

import re
from dataclasses import replace

from retold.model import StyleComparison, StyleSpan

_LEXICON: dict[str, list[str]] = {
    "sensational": [
        "stunning",
        "stunned",
        "shock",
        "shocking",
        "shockwaves",
        "bombshell",
        "explosive",
        "dramatic",
        "dramatically",
        "jaw-dropping",
        "unprecedented",
        "historic",
        "massive",
        "huge",
        "staggering",
        "incredible",
        "unbelievable",
        "sensational",
        "earth-shattering",
        "game-changer",
        "game-changing",
        "seismic",
        "meltdown",
        "chaos",
        "chaotic",
        "frenzy",
        "firestorm",
        "uproar",
        "outrage",
        "outraged",
        "furious",
        "fury",
        "slammed",
        "slams",
        "blasted",
        "blasts",
        "erupted",
        "skyrocket",
        "skyrocketing",
        "soaring",
        "plummet",
        "plunged",
        "catastrophic",
        "catastrophe",
        "disaster",
        "disastrous",
        "nightmare",
        "crisis",
        "explosion",
        "mind-blowing",
        "breathtaking",
        "first time in history",
        "once-in-a-generation",
        "like never before",
        "all-out",
        "sent shockwaves",
        "you won't believe",
        "what happened next",
    ],
    "loaded": [
        "regime",
        "scheme",
        "radical",
        "extremist",
        "so-called",
        "cronies",
        "elite",
        "elites",
        "corrupt",
        "shameful",
        "disgraceful",
        "betrayal",
        "betrayed",
        "puppet",
        "propaganda",
        "draconian",
        "reckless",
        "brazen",
        "notorious",
        "infamous",
        "thugs",
        "cover-up",
    ],
    "urgency": [
        "time is running out",
        "breaking",
        "urgent",
        "urgently",
        "must act now",
        "before it's too late",
        "race against time",
        "ticking",
    ],
    "hype-exclusive": ["exclusive", "revealed", "secret", "insiders", "sources close to"],
    "machine-rewrite": [
        "underscores",
        "underscoring",
        "pivotal moment",
        "pivotal",
        "in the face of",
        "a testament to",
        "navigate",
        "navigating",
        "landscape",
        "delve",
        "tapestry",
        "it remains to be seen",
        "only time will tell",
        "in a world where",
        "as the dust settles",
        "a new chapter",
        "marks a significant",
        "sends a clear message",
        "at the forefront",
    ],
}
_WEIGHTS = {
    "sensational": 1.0,
    "loaded": 1.0,
    "urgency": 1.0,
    "hype-exclusive": 0.7,
    "machine-rewrite": 0.5,
}

# single words of the lexicon are tone, not content: the claim judge does not count them as facts
STYLE_WORDS = frozenset(
    t.lower() for terms in _LEXICON.values() for t in terms if " " not in t and "-" not in t
)

# one alternation for the whole lexicon (longest terms first, so "sent shockwaves" wins over
# "shockwaves"): a single scan per text instead of one per term
_TERM_LABEL = {t.lower(): label for label, terms in _LEXICON.items() for t in terms}
_ALL_TERMS = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(t).replace(r"\ ", r"\s+") for t in sorted(_TERM_LABEL, key=len, reverse=True)
    )
    + r")\b",
    re.IGNORECASE,
)
# a closing "As the ... continues, ..." line is a stock ending of machine rewrites
_CLOSING_AS = re.compile(
    r"(?:^|\n)\s*As [^.\n]{3,80}\b(?:continues?|unfolds?|evolves?)\b[^.\n]*\.\s*$"
)


# how sure a lexicon hit is of its label (machine-rewrite phrases are evidence, not proof)
_CONFIDENCE = {
    "sensational": 0.7,
    "loaded": 0.6,
    "urgency": 0.6,
    "hype-exclusive": 0.5,
    "machine-rewrite": 0.4,
}


def style_spans(text: str) -> list[StyleSpan]:
    spans = []
    for m in _ALL_TERMS.finditer(text):
        label = _TERM_LABEL[" ".join(m.group(0).lower().split())]
        spans.append(
            StyleSpan(m.group(0), m.start(), m.end(), label, confidence=_CONFIDENCE.get(label, 0.5))
        )
    m = _CLOSING_AS.search(text.rstrip() + "\n")
    if m:
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        end = min(len(text), m.end())
        spans.append(
            StyleSpan(
                text[start:end].strip(),
                start,
                start + len(text[start:end].strip()),
                "machine-rewrite",
                confidence=_CONFIDENCE["machine-rewrite"],
            )
        )
    spans.sort(key=lambda s: s.start)
    return spans


def score(text: str, spans: list[StyleSpan] | None = None) -> float:
    """Weighted style hits per 100 words."""
    spans = style_spans(text) if spans is None else spans
    n_words = max(1, len(text.split()))
    return 100.0 * sum(_WEIGHTS.get(s.label, 1.0) for s in spans) / n_words


def compare_style(source_text: str, retelling_text: str) -> StyleComparison:
    src_spans = style_spans(source_text)
    ret_spans = style_spans(retelling_text)
    src_terms = {s.text.lower() for s in src_spans}
    spans = [
        replace(s, side="retelling", new=s.text.lower() not in src_terms) for s in ret_spans
    ] + [replace(s, side="source", new=False) for s in src_spans]
    return StyleComparison(
        source_score=score(source_text, src_spans),
        retelling_score=score(retelling_text, ret_spans),
        spans=spans,
        method="lexicon",
    )
