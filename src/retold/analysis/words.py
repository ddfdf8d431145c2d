"""Word-level helpers shared by alignment, judging, quotes and style: one tokeniser."""

from __future__ import annotations

import re
from functools import lru_cache

WORD_RE = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['’][A-Za-z]+)?(?:[.,][0-9]+)*")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "said",
        "says",
        "say",
        "told",
        "tell",
        "added",
        "according",
        "mr",
        "ms",
        "mrs",
        "dr",
        "also",
        "would",
        "one",
        "new",
        "may",
        "might",
        "must",
        "shall",
        "per",
        "cent",
        "percent",
        "its",
        "it's",
        "i'm",
        "we're",
        "they're",
        "he's",
        "she's",
        "there's",
        "s",
        "t",
        "yet",
        "still",
        "even",
        "ever",
        "already",
    ]
)

NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "nothing",
        "nobody",
        "neither",
        "nor",
        "cannot",
        "can't",
        "won't",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "hasn't",
        "haven't",
        "hadn't",
        "shouldn't",
        "wouldn't",
        "couldn't",
        "n't",
        "without",
        "fail",
        "fails",
        "failed",
        "failing",
        "refuse",
        "refused",
        "refuses",
    ]
)


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD_RE.findall(text)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'investments'/'investment', 'rose'/'rises' not."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 4 or w[0].isdigit():
        return w
    for suffix, repl in (
        ("ies", "y"),
        ("ied", "y"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
        ("ly", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: len(w) - len(suffix)] + repl
            # running -> run, planned -> plan
            if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "lsz" and suffix in ("ing", "ed"):
                w = w[:-1]
            return w
    return w


def content_words(text: str) -> list[str]:
    """Stemmed words that carry content (no stop words, no one-letter tokens)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


# Words that make a statement uncertain; dropping them turns a possibility into a fact.
HEDGE_RE = re.compile(
    r"\b(could|may|might|possibly|perhaps|likely|unlikely|expected|expects?|estimated?|estimates|"
    r"projected|preliminary|provisional|up to|as many as|whether|unclear|unconfirmed|"
    r"not (?:yet|immediately) (?:clear|known|confirmed)|reportedly|allegedly|alleged|"
    r"plans? to|planned|aims? to|hopes? to|potentially)\b",
    re.IGNORECASE,
)
# Caveats more broadly: hedges plus conditions, contrasts and refusals (for omission ranking).
CAVEAT_RE = re.compile(
    HEDGE_RE.pattern[:-3]
    + r"|about|around|roughly|nearly|almost|pending|subject to|if|unless|depends? on|"
    r"warned|caution(?:ed)?|however|but|although|would not|declined to|denied|"
    r"appears? to|seems? to|not yet)\b",
    re.IGNORECASE,
)
# Claims of novelty or record that a retelling may add ("for the first time in history").
ESCALATION_RE = re.compile(
    r"\b(for the first time(?: in (?:history|decades|a generation))?|first time in history|"
    r"never before|unprecedented|historic|record[- ]breaking|all[- ]time|biggest ever|"
    r"largest ever|once[- ]in[- ]a[- ]generation|like never before|model for the entire)\b",
    re.IGNORECASE,
)


# Approximations keep a figure hedged ("put the loss at about 4.2" for "estimated 4.2").
APPROX_RE = re.compile(
    r"\b(about|around|roughly|approximately|some|nearly|almost|an estimated|believed to)\b",
    re.IGNORECASE,
)


def hedges(text: str) -> set[str]:
    return {m.group(0).lower() for m in HEDGE_RE.finditer(text)}


def dropped_hedges(source_sentence: str, retelling_sentence: str) -> set[str]:
    """Hedges of the source sentence whose qualified words the retelling states without any
    hedge: 'could create up to 3,000 jobs' -> 'will create 3,000 jobs' gives {'could', 'up to'}."""
    if hedges(retelling_sentence):
        return set()
    toks = words(retelling_sentence)
    stems = [stem(w) for w in toks]
    lost = set()
    for h, scope in hedge_scopes(source_sentence):
        hits = [k for k, s in enumerate(stems) if s in scope]
        # the whole qualified phrase must be restated: one shared word ("church") does not
        # make "whether he had any connection to the church" a hedge the retelling dropped
        if {stems[k] for k in hits} != scope:
            continue
        # an approximation just before the qualified words keeps them hedged
        if hits and not any(APPROX_RE.search(" ".join(toks[max(0, k - 4) : k])) for k in hits):
            lost.add(h)
    return lost


def hedge_scopes(text: str) -> list[tuple[str, set[str]]]:
    """Each hedge with the stems of the (up to two) content words it qualifies:
    'could run by 2031' -> ('could', {'run', '2031'})."""
    out = []
    for m in HEDGE_RE.finditer(text):
        # the scope ends with the clause: in "ran as fast as she could, then hid" nothing
        # is hedged, and a hedge in one clause does not qualify the next one's words
        clause = _CLAUSE_END.split(text[m.end() : m.end() + 60], maxsplit=1)[0]
        after = content_words(clause)[:2]
        out.append((m.group(0).lower(), set(after)))
    return out


# clause punctuation, but not the comma or point inside a figure ("3,000", "4.2")
_CLAUSE_END = re.compile(r"[,.](?!\d)|[;:!?()\[\]—–]|\s-+\s")


def caveats(text: str) -> set[str]:
    return {m.group(0).lower() for m in CAVEAT_RE.finditer(text)}


# past forms whose stem does not meet the present one: 'did not rise' against 'rose'
IRREGULAR = {
    "rose": "rise", "risen": "rise", "fell": "fall", "fallen": "fall", "grew": "grow",
    "grown": "grow", "won": "win", "lost": "lose", "went": "go", "gone": "go", "took": "take",
    "taken": "take", "gave": "give", "given": "give", "made": "make", "said": "say",
    "told": "tell", "met": "meet", "left": "leave", "sold": "sell", "bought": "buy",
    "paid": "pay", "held": "hold", "kept": "keep", "began": "begin", "begun": "begin",
    "ran": "run", "brought": "bring", "found": "find", "saw": "see", "seen": "see",
    "came": "come", "became": "become", "knew": "know", "known": "know", "spoke": "speak",
    "spoken": "speak", "chose": "choose", "chosen": "choose", "wrote": "write",
    "written": "write", "drove": "drive", "driven": "drive", "fought": "fight", "led": "lead",
    "sent": "send", "spent": "spend", "built": "build", "caught": "catch", "taught": "teach",
    "struck": "strike", "stood": "stand", "shut": "shut", "sought": "seek", "won't": "will",
}  # fmt: skip

# opposite pairs whose swap in an otherwise matching sentence reverses its claim (word order
# pairs such as before/after or more/fewer are left out: paraphrase reorders those freely)
ANTONYMS = dict(
    pair
    for a, b in (
        ("increase", "decrease"),
        ("increased", "decreased"),
        ("increases", "decreases"),
        ("rose", "fell"),
        ("rise", "fall"),
        ("rising", "falling"),
        ("won", "lost"),
        ("win", "lose"),
        ("wins", "loses"),
        ("support", "oppose"),
        ("supported", "opposed"),
        ("supports", "opposes"),
        ("accepted", "rejected"),
        ("approved", "rejected"),
        ("approve", "reject"),
        ("allowed", "banned"),
        ("agreed", "refused"),
        ("praised", "criticized"),
        ("praised", "criticised"),
        ("confirmed", "denied"),
        ("arrested", "released"),
        ("began", "ended"),
        ("opened", "closed"),
        ("gained", "lost"),
        ("guilty", "innocent"),
        ("legal", "illegal"),
        ("acquitted", "convicted"),
        ("passed", "failed"),
        ("upheld", "overturned"),
        ("lifted", "imposed"),
        ("expanded", "cut"),
        ("hired", "fired"),
        ("increasing", "decreasing"),
        ("higher", "lower"),
        ("largest", "smallest"),
        ("profit", "loss"),
        ("surplus", "deficit"),
        ("victory", "defeat"),
    )  # fmt: skip
    for pair in ((a, b), (b, a))
)


def lemma(word: str) -> str:
    """``stem`` with irregular past forms mapped to their present: 'rose' -> 'rise'."""
    w = word.lower().replace("’", "'")
    return IRREGULAR.get(w) or stem(w)


def antonym_swap(source: str, claim: str) -> tuple[str, str] | None:
    """(claim word, source word) when the claim says the opposite word of the source
    sentence's and neither text also has the other's word."""
    sw, cw = set(words(source)), set(words(claim))
    for w in sorted(cw - sw):
        opposite = ANTONYMS.get(w)
        if opposite and opposite in sw and opposite not in cw:
            return w, opposite
    return None


_BE = frozenset("is are was were be been being has have had got gets".split())


def _verb_like(w: str) -> bool:
    return len(w) > 3 and (w.endswith("ed") or w in IRREGULAR)


def actor_swap(source: str, claim: str, reach: int = 4) -> tuple[str, str, str] | None:
    """(verb, doer, receiver) when the claim swaps who did what to whom around a verb both
    sentences share in the active voice: 'police arrested protesters' -> 'protesters
    arrested police'. A passive on either side ('were arrested by') is a paraphrase."""
    ts, tc = words(source), words(claim)

    def sides(toks: list[str], i: int) -> tuple[set[str], set[str]]:
        def lemmas(part: list[str]) -> set[str]:
            return {lemma(w) for w in part if w not in STOPWORDS and len(w) > 2}

        return lemmas(toks[max(0, i - reach) : i]), lemmas(toks[i + 1 : i + 1 + reach])

    verbs_c: dict[str, list[int]] = {}
    for k, w in enumerate(tc):
        if _verb_like(w):
            verbs_c.setdefault(lemma(w), []).append(k)
    for i, w in enumerate(ts):
        if not _verb_like(w) or lemma(w) not in verbs_c or _BE & set(ts[max(0, i - 2) : i]):
            continue
        left_s, right_s = sides(ts, i)
        for k in verbs_c[lemma(w)]:
            if _BE & set(tc[max(0, k - 2) : k]):
                continue
            left_c, right_c = sides(tc, k)
            doers = (left_s & right_c) - right_s - left_c
            receivers = (right_s & left_c) - left_s - right_c
            if doers and receivers:
                return w, sorted(doers)[0], sorted(receivers)[0]
    return None


def negated_stems(text: str) -> set[str]:
    """Stems of the first content word after each negation ('did not approve' -> 'approve').

    Negations that belong to a hedge ('not yet clear') are left to the hedge checks."""
    toks = words(_YET_TO.sub(" not ", HEDGE_RE.sub(" ", text)))
    out = set()
    for k, w in enumerate(toks):
        if w in NEGATIONS or w.endswith("n't"):
            for nxt in toks[k + 1 : k + 5]:
                if nxt not in STOPWORDS and nxt not in NEGATIONS and len(nxt) > 2:
                    out.add(lemma(nxt))
                    break
    return out


_YET_TO = re.compile(r"\b(?:has|have|had|is|are|was|were)\s+yet\s+to\b", re.IGNORECASE)


def polarity_flip(a: str, b: str) -> str | None:
    """A content word negated in one text and asserted without negation in the other."""
    na, nb = negated_stems(a), negated_stems(b)
    sa = {lemma(w) for w in words(a) if w not in STOPWORDS} | set(content_words(a))
    sb = {lemma(w) for w in words(b) if w not in STOPWORDS} | set(content_words(b))
    for w in sorted(na - nb):
        if w in sb:
            return w
    for w in sorted(nb - na):
        if w in sa:
            return w
    return None
