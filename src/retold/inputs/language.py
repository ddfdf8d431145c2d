"""Cheap "is this English?" check from function-word ratios.

Each language gets ~40-50 of its most frequent function words. The share of a text's
words found in a list is that language's ratio: running English prose scores about
0.35-0.50 on the English list and under 0.10 on the others, so the lists separate
languages well without a model or dependency. Names and loanwords are content words,
so "Jean de la Fontaine said on Tuesday ..." still scores as English.

Lists overlap on purpose ("in", "a", "de", "la"): a word counts for every list it is in.
Only the first ``SAMPLE_CHARS`` characters are looked at, which keeps huge inputs fast.
"""

from __future__ import annotations

import re
import unicodedata

from retold.errors import InputError
from retold.settings import Settings

SAMPLE_CHARS = 200_000


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Tokens are split at apostrophes, so French/Italian elisions ("l'homme", "dell'anno")
# yield "l", "dell"; those fragments are listed where they are typical.
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _word_set(
        "the of and to a in is that for it was on with as he she be by at this are his her "
        "from have has had but not they were an which or will said their been would who its "
        "we you there after about than more also into"
    ),
    "de": _word_set(
        "der die und den von zu das mit sich des auf für ist im dem nicht ein eine als auch "
        "es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über "
        "einen zum war haben nur oder aber vor zur bis mehr durch wurde sei"
    ),
    "fr": _word_set(
        "de la le et les des en un du une que est pour qui dans par plus pas au sur ne se ce "
        "il sont avec son aux sa ont elle mais ou été nous cette ses leur comme l d qu c n "
        "selon était fait"
    ),
    "es": _word_set(
        "de la que el en y los del se las por un para con no una su al lo como más pero sus "
        "le ya o este porque esta entre cuando muy sin sobre también hasta hay donde desde "
        "fue ha es son según"
    ),
    "it": _word_set(
        "di e il la che in per un è del non una con della le si da al lo sono ha ma come "
        "nel anche più gli dei alla questo se delle l nella dal degli suo sua essere stato "
        "era ci dell all sul"
    ),
    "pt": _word_set(
        "de o que e do da em um para é com não uma os no se na por mais as dos como mas foi "
        "ao ele das tem à seu sua ou ser quando muito há nos já está também pelo pela até "
        "isso ela entre era depois sem são"
    ),
    "nl": _word_set(
        "de van een het en in is dat op te zijn met voor niet die aan er om ook als maar bij "
        "door hij naar dan nog uit wordt worden over tot werd zo kan ze wel heeft hebben was "
        "of dit deze haar meer geen"
    ),
}

LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
}

# First word of a letter's Unicode name -> how to describe text written mostly in it.
_SCRIPT_NAMES = {
    "CYRILLIC": "Cyrillic-script text",
    "GREEK": "Greek",
    "ARABIC": "Arabic-script text",
    "HEBREW": "Hebrew",
    "CJK": "Chinese or Japanese",
    "HIRAGANA": "Japanese",
    "KATAKANA": "Japanese",
    "HANGUL": "Korean",
    "THAI": "Thai",
    "DEVANAGARI": "Devanagari-script text",
}

_WORD = re.compile(r"[^\W\d_]+")

# A foreign language must reach this ratio (and this many hits) before we reject the text;
# a couple of stray "de"/"la" in a short English text must never trigger a rejection.
_MIN_FOREIGN_RATIO = 0.15
_MIN_FOREIGN_HITS = 2


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_LETTERS = re.compile(r"[A-Za-z]")


def _words(text: str) -> list[str]:
    return _WORD.findall(text[:SAMPLE_CHARS].lower())


def language_ratios(text: str) -> dict[str, float]:
    """Share of words in each language's function-word list (0.0 for empty text)."""
    words = _words(text)
    if not words:
        return dict.fromkeys(STOP_WORDS, 0.0)
    return {lang: sum(w in stops for w in words) / len(words) for lang, stops in STOP_WORDS.items()}


def guess_language(text: str) -> tuple[str, float]:
    """Best-scoring language code and its ratio; ("und", 0.0) when no list matches at all.

    Ties go to English (it is listed first), so ambiguous short texts count as English.
    """
    ratios = language_ratios(text)
    lang = max(ratios, key=lambda k: ratios[k])  # first maximum wins: "en" on ties
    if ratios[lang] == 0.0:
        return "und", 0.0
    return lang, ratios[lang]


def dominant_script(text: str) -> str | None:
    """Description of the main non-Latin script if most letters are not Latin, else None."""
    sample = text[:SAMPLE_CHARS]
    if sample.isascii():  # the common case, decided in C
        return None
    foreign = _NON_ASCII.findall(sample)
    if len(foreign) < 10:
        return None
    counts: dict[str, int] = {}
    latin = len(_ASCII_LETTERS.findall(sample))
    for ch in foreign:
        if not ch.isalpha():
            continue
        script = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
        if script == "LATIN":
            latin += 1
        else:
            counts[script] = counts.get(script, 0) + 1
    other = sum(counts.values())
    if other < 10 or other <= latin:
        return None
    top = max(counts, key=lambda k: counts[k])
    return _SCRIPT_NAMES.get(top, f"{top.title()}-script text")


def _error(origin: str, problem: str) -> InputError:
    # one line whatever the origin holds (a file name or dataset key with a line break)
    line = f"{origin}: {problem}"
    return InputError("".join("?" if unicodedata.category(c) == "Cc" else c for c in line))


def check_english(text: str, origin: str, settings: Settings | None = None) -> None:
    """Raise InputError when ``text`` is clearly not English.

    Clearly means: most letters are in a non-Latin script, or another language's ratio
    is at least twice English's (and >= 0.15, with 2+ hits) while English's is below
    ``settings.min_english_ratio``. Texts with no signal either way (very short, lists of
    names or figures) are accepted: the analysis will just find little in them.
    """
    settings = settings or Settings()
    script = dominant_script(text)
    if script is not None:
        raise _error(origin, f"text looks like {script}; only English is analysed")
    words = _words(text)
    if not words:
        return
    english = sum(w in STOP_WORDS["en"] for w in words) / len(words)
    if english >= settings.min_english_ratio:  # most articles: one list checked, not all
        return
    hits = {lang: sum(w in stops for w in words) for lang, stops in STOP_WORDS.items()}
    lang = max((k for k in hits if k != "en"), key=lambda k: hits[k])
    foreign = hits[lang] / len(words)
    if hits[lang] >= _MIN_FOREIGN_HITS and foreign >= _MIN_FOREIGN_RATIO and foreign >= 2 * english:
        raise _error(origin, f"text looks like {LANGUAGE_NAMES[lang]}; only English is analysed")
