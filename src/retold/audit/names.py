"""Name comparison as a reader does it: accents, case, hyphens, possessives and common
transliterations do not make another name, and a surname alone is the same person as the
full name ("Bond" / "John Bond"; a part must end as the whole does). A name that keeps some
words and swaps others ("Chevy Chase Community Center" / "Chevrolet Chase Community Center")
is a renamed one."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from typing import Generic, TypeVar

# letters that NFKD does not take apart, and common variant spellings of transliteration
_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_TRANSLIT = (("kh", "h"), ("ph", "f"), ("ou", "u"), ("yi", "i"), ("iy", "i"), ("y", "i"))
# titles and function words are not part of what makes a name
_TITLES = frozenset(
    "mr mrs ms dr prof sir dame lord lady st the rev gen col lt sgt capt jr sr "
    "of and for at in on de".split()
)


def fold(text: str) -> str:
    """Lower case, without diacritics, hyphens or possessive endings, spaces collapsed."""
    t = unicodedata.normalize("NFKD", text.lower().translate(_LETTERS))
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = re.sub(r"['’]s\b", "", t)
    t = re.sub(r"[-‐‑–—_.'’]", " ", t)
    return " ".join(re.findall(r"[a-z0-9]+", t))


def name_words(text: str) -> list[str]:
    return [w for w in fold(text).split() if w not in _TITLES]


def _translit(word: str) -> str:
    for a, b in _TRANSLIT:
        word = word.replace(a, b)
    return re.sub(r"(.)\1", r"\1", word)  # doubled letters: "Mohammed" / "Mohamed"


def same_name(a: str, b: str) -> bool:
    """The same name, or one a part of the other (a surname for the full name)."""
    wa = [_translit(w) for w in name_words(a)]
    wb = [_translit(w) for w in name_words(b)]
    if not wa or not wb:
        return False
    short, long_ = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    # the part must end as the whole does (a surname, an organisation's head noun): "FDA"
    # is not "the FDA's Center for Biologics Evaluation and Research"
    return short[-1] == long_[-1] and all(w in long_ for w in short)


def renamed(a: str, b: str, min_overlap: float) -> bool:
    """``b`` is ``a`` with some words swapped: not the same name, yet at least
    ``min_overlap`` of the longer one's words are shared."""
    if same_name(a, b):
        return False
    wa = {_translit(w) for w in name_words(a)}
    wb = {_translit(w) for w in name_words(b)}
    if not wa or not wb or len(wa) < 2 or len(wb) < 2:
        return False
    return len(wa & wb) / max(len(wa), len(wb)) >= min_overlap


T = TypeVar("T")


class NameIndex(Generic[T]):
    """Names (with an item each) looked up by their words, so comparing every name of one
    text with every name of another stays linear: ``same`` and ``renamed`` only look at
    names sharing a word (a same name ends with the same word)."""

    def __init__(self, items: list[tuple[str, T]]) -> None:
        self._by_last: dict[str, list[tuple[str, T]]] = defaultdict(list)
        self._by_word: dict[str, list[tuple[str, T]]] = defaultdict(list)
        for name, item in items:
            words = [_translit(w) for w in name_words(name)]
            if not words:
                continue
            self._by_last[words[-1]].append((name, item))
            for w in set(words):
                self._by_word[w].append((name, item))

    def same(self, name: str) -> list[T]:
        words = [_translit(w) for w in name_words(name)]
        if not words:
            return []
        return [item for other, item in self._by_last.get(words[-1], ()) if same_name(name, other)]

    def renamed(self, name: str, min_overlap: float) -> list[T]:
        """Items whose name ``name`` renames (see ``renamed``), each once, in index order."""
        seen: dict[int, T] = {}
        for w in {_translit(w) for w in name_words(name)}:
            for other, item in self._by_word.get(w, ()):
                if id(item) not in seen and renamed(other, name, min_overlap):
                    seen[id(item)] = item
        return list(seen.values())
