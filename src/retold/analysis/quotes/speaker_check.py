"""Speakers that cannot be one: a storm's name ("Hurricane Melba ... Melba said" is a
misread), a nationality adjective alone ("the Norwegian said" describes someone, it does not
name them) and a bare organisation word ("the Ministry"). A storm gives no speaker; the
others become descriptions, which never count as evidence of a misattributed quote."""

from __future__ import annotations

import re

_STORM_RE = re.compile(
    r"\b(?:hurricane|typhoon|cyclone|tropical storm|storm|tropical depression|super typhoon)"
    r"\s+([A-Z][\w'’-]+)",
    re.IGNORECASE,
)
# words that name a kind of body, not who in it spoke
_ORG_WORDS = frozenset(
    "ministry department council agency office committee government court police army "
    "commission authority parliament senate congress board company firm group".split()
)


def storm_names(text: str) -> set[str]:
    return {m.group(1).lower() for m in _STORM_RE.finditer(text)}


def checked_speaker(speaker: str | None, storms: set[str], nationalities: set[str]) -> str | None:
    """``speaker`` unless it cannot be a speaker (see the module doc). ``storms``: the
    text's storm names (lower case); ``nationalities``: its NORP entity texts."""
    if not speaker:
        return speaker
    words = speaker.split()
    if len(words) == 1 and words[0].lower() in storms:
        return None
    core = [w for w in words if w.lower() not in ("the", "a", "an")]
    if len(core) == 1:
        low = core[0].lower()
        if low in _ORG_WORDS:
            return f"the {low}"
        if core[0] in nationalities:
            return f"the {core[0]}"  # a nationality: "the Norwegian" describes someone
    return speaker
