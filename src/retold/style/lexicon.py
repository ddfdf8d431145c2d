"""Word lists of tone: features of the learned style models (``style.features``), never a
score on their own. ``STYLE_WORDS`` also tells the claim judge which words are tone, not facts.
"""

from __future__ import annotations

import re

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
# more cues for the learned models; kept apart from _LEXICON so STYLE_WORDS (used by the claim
# judge) does not change with them
_EXTRA: dict[str, list[str]] = {
    "intensifier": [
        "very",
        "extremely",
        "absolutely",
        "totally",
        "utterly",
        "completely",
        "incredibly",
        "truly",
        "really",
        "deeply",
        "hugely",
        "literally",
        "simply",
        "entirely",
        "so much",
        "at all",
        "ever",
        "never",
        "forever",
        "every single",
    ],
    "machine-rewrite": [
        "furthermore",
        "moreover",
        "additionally",
        "notably",
        "in conclusion",
        "it is important to note",
        "it is worth noting",
        "plays a crucial role",
        "crucial",
        "shed light on",
        "sheds light on",
        "highlighting",
        "highlights the",
        "amidst",
        "paving the way",
        "stark reminder",
        "serves as a reminder",
        "serves as a stark reminder",
        "ever-evolving",
        "a significant step",
        "raising questions",
        "raises questions",
        "sparking",
        "garnered",
        "multifaceted",
        "robust",
        "all eyes are now on",
        "all eyes are on",
        "the stakes could not be higher",
    ],
    "urgency": [
        "now more than ever",
        "act now",
        "don't wait",
        "last chance",
        "stark warning",
    ],
}
_SUPERLATIVE = re.compile(
    r"\b(?:(?:most|least)\s+[a-z]{4,}|best|worst|biggest|greatest|largest|deadliest|"
    r"fastest|highest|lowest|strongest|toughest|boldest|wildest|craziest|scariest|"
    r"harshest|fiercest|darkest|ultimate|unmatched|unrivalled|unrivaled)\b",
    re.IGNORECASE,
)
# a sentence that opens on hype: "In a stunning move, ...", "BREAKING: ...", "Brace yourselves"
_HYPE_OPENER = re.compile(
    r"(?:^|(?<=[.!?\n]))\s*(?:In an? (?:stunning|shocking|dramatic|bombshell|unprecedented|"
    r"surprising|startling|jaw-dropping|explosive|historic|bold|stunning,?)\b[^,.\n]{0,60}|"
    r"(?:BREAKING|SHOCKING|EXCLUSIVE|URGENT|ALERT)\b:?|Brace yourselves\b|"
    r"You won't believe\b|Get ready\b|Buckle up\b)",
)
_SHOUT = re.compile(r"\b[A-Z]{4,}(?:\s+[A-Z]{2,})*\b")  # words in capitals: shouting

# single words of the lexicon are tone, not content: the claim judge does not count them as facts
STYLE_WORDS = frozenset(
    t.lower() for terms in _LEXICON.values() for t in terms if " " not in t and "-" not in t
)

# one alternation for the whole lexicon (longest terms first, so "sent shockwaves" wins over
# "shockwaves"): a single scan per text instead of one per term
_TERM_LABEL = {
    t.lower(): label
    for lists in (_LEXICON, _EXTRA)
    for label, terms in lists.items()
    for t in terms
}
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


# every category a hit can carry, in a fixed order (feature columns depend on it)
CATEGORIES: tuple[str, ...] = (
    "sensational",
    "loaded",
    "urgency",
    "hype-exclusive",
    "machine-rewrite",
    "intensifier",
    "superlative",
    "hype-opener",
    "shouting",
    "closing-as",
)


def lexicon_hits(text: str, closing: bool = True) -> list[tuple[int, int, str]]:
    """(start, end, category) of every lexicon cue in ``text``, sorted by start. ``closing``:
    look for a closing "As ... continues" line (off for a piece that does not end the text)."""
    hits = [
        (m.start(), m.end(), _TERM_LABEL[" ".join(m.group(0).lower().split())])
        for m in _ALL_TERMS.finditer(text)
    ]
    hits += [(m.start(), m.end(), "superlative") for m in _SUPERLATIVE.finditer(text)]
    for m in _HYPE_OPENER.finditer(text):
        lead = len(m.group(0)) - len(m.group(0).lstrip())
        hits.append((m.start() + lead, m.end(), "hype-opener"))
    for m in _SHOUT.finditer(text):
        # acronyms (NASA, NATO) are short and sit in mixed-case text: only long shouted runs
        if len(m.group(0)) >= 8 or " " in m.group(0):
            hits.append((m.start(), m.end(), "shouting"))
    m = _CLOSING_AS.search(text.rstrip() + "\n") if closing else None
    if m:
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        hits.append((start, start + len(m.group(0).strip()), "closing-as"))
    hits.sort()
    return hits


def machine_cue_density(text: str) -> float:
    """Machine-rewrite cues (stock LLM phrases, a closing "As ... continues" line) per 100
    words: a retelling by a language model carries more of them than its source."""
    n = sum(cat in ("machine-rewrite", "closing-as") for _, _, cat in lexicon_hits(text))
    return 100.0 * n / max(1, len(text.split()))


def machine_rewrite_terms() -> tuple[str, ...]:
    """The stock phrases of machine rewriting, one feature column each (fixed order)."""
    return tuple(
        dict.fromkeys(
            t.lower() for lists in (_LEXICON, _EXTRA) for t in lists.get("machine-rewrite", [])
        )
    )
