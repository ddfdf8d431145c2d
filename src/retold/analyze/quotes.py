"""Direct and indirect quotes, and who said them, in one article.

Pure regex over the text plus the entities from ``nlp.parse`` (no spaCy call here): the
parser is excluded from the pipeline, so speakers come from reporting-verb patterns around
entities, pronouns and role nouns. About 1 ms for a 600-word article.

Conventions (the auditor relies on them):

* Direct quote spans exclude the quotation marks, surrounding whitespace and a trailing
  comma or full stop inside the marks (``“We will not stop,”`` -> ``We will not stop``,
  ``“More will follow.”`` -> ``More will follow``), as in the demo gold file; a final
  ``!``, ``?`` or ellipsis is kept, as are full stops between sentences of the quote.
* Only the outermost quotation is a Quote; nested quotes stay inside its text.
* Direct quotes of fewer than 2 words (scare quotes, titles: so-called “reform”) are dropped.
* An unterminated double mark runs to the end of its paragraph (or to the next opening mark
  of the same kind); an unterminated single mark is taken to be an apostrophe.
* Indirect quotes cover the reported clause only ("that ..." to the sentence end, without the
  final punctuation), and only in sentences without a direct quote. "X, Keller said, and Y"
  gives two indirect quotes; "Prices, she added, had not been set" (the attribution splits
  the subject from its verb) gives one span that still contains the attribution.
* ``speaker`` is a canonical full name ("Maria Keller"), a description as written
  ("a spokesperson for the ministry"), or None. A pronoun speaker keeps ``speaker_span`` on the
  pronoun; when it cannot be resolved ``speaker`` is None. A definite description seen in an
  appositive ("Maria Keller, the finance minister,") resolves to that name elsewhere; a bare
  "the judge" goes to the last person introduced with that role ("Judge Ottilie Brask").
* A name spaCy labelled ORG/GPE counts as a person after an honorific or role title ("Dr X",
  "glaciologist X") or when its surname is later a speaker on its own ("Marrow said").
* A quote without its own attribution takes that of a later quote in its paragraph (only when
  the quote is a sentence by itself), else of the previous sentence if that has a cue; else None.

Heuristic limits: no coreference beyond he/she/they (gender only from Mr/Ms and earlier
pronouns); two people sharing a surname both map to the first full name; an attribution in
a later sentence than the quote is not used; English cues only.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from retold.model import Entity, Quote, Sentence, Span

_Q = "\ue000"  # masks quoted regions so cues and sentence ends inside quotes are ignored
MIN_WORDS = 2
SPEAKER_LABELS = {"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC"}

# ----------------------------------------------------------------------------- lexicons

_HONORIFICS = {
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lady", "lord",
    "rev", "reverend", "fr", "sheikh", "prince", "princess", "king", "queen", "pope", "capt",
    "captain", "col", "colonel", "lt", "sgt", "maj", "judge", "justice",
}  # fmt: skip
# role words that may precede a name: "Finance Minister Maria Keller", "opposition leader X"
_ROLE_TITLES = {
    "minister", "president", "chancellor", "secretary", "senator", "sen", "governor", "gov",
    "mayor", "premier", "leader", "spokesperson", "spokesman", "spokeswoman", "chief",
    "director", "chairman", "chairwoman", "chair", "ceo", "ambassador", "commissioner",
    "representative", "rep", "congressman", "congresswoman", "economist", "analyst", "coach",
    "manager", "head", "envoy", "negotiator", "prosecutor", "lawyer", "attorney", "councillor",
    "councilor", "alderman", "assemblyman", "assemblywoman", "mp", "mep", "officer", "inspector",
    "superintendent", "commander", "bishop", "archbishop", "rabbi", "imam", "cardinal",
}  # fmt: skip


def _words(s: str) -> list[str]:
    return s.split()


# job words that may stand right before a name, usually lower-case: "said lead author Elin
# Trask", "glaciologist Elin Trask", "prosecutor Lena Mott" (plus any -ologist / -ician)
_PRE_NAME_ROLES = set(
    _words("""
author co-author coauthor researcher scientist glaciologist hydrologist economist analyst lawyer
judge prosecutor pharmacist physician doctor nurse professor historian engineer architect
journalist reporter editor columnist writer novelist activist campaigner chemist physicist
biologist specialist strategist lobbyist consultant adviser advisor expert official spokesperson
spokesman spokeswoman investigator detective attorney barrister solicitor defender teacher
farmer owner founder executive curator principal surgeon dentist therapist
psychologist psychiatrist veterinarian vet pilot captain coach""")
)
_ROLE_SUFFIX_RE = re.compile(r"[a-z]{3,}(?:ologist|ician)$")


def _is_role_title(low: str) -> bool:
    """A role word that may precede a name: 'Minister', 'lead author', 'glaciologist'."""
    return low in _ROLE_TITLES or low in _PRE_NAME_ROLES or bool(_ROLE_SUFFIX_RE.match(low))


def _is_title_word(low: str) -> bool:
    return low in _HONORIFICS or _is_role_title(low)


_GENDER_TITLES = {"mr": "m", "mrs": "f", "ms": "f", "miss": "f", "sir": "m", "dame": "f"}

_ROLES_SINGULAR = _words("""
spokesperson spokesman spokeswoman official minister ministry analyst source diplomat president
chancellor leader expert economist researcher scientist officer witness resident lawmaker
legislator senator mp negotiator aide adviser advisor lawyer attorney prosecutor judge
investigator government department office agency company firm group organisation organization
union party statement report newspaper broadcaster court army military commander secretary chief
head director executive manager chairman chairwoman chair ceo founder member activist campaigner
protester critic supporter observer insider employee worker teacher doctor nurse farmer mayor
governor council committee commission authority regulator bank board ambassador envoy
representative delegate colleague friend neighbour neighbor relative mother father son daughter
wife husband student voter citizen villager owner survivor victim engineer professor historian
commentator journalist reporter correspondent editor author study survey poll filing document
memo letter police person people staff opposition coalition administration cabinet
premier presidency palace kremlin
""")


def _plural(w: str) -> list[str]:
    if w.endswith("person"):
        return [w[:-6] + "people"]
    if w.endswith("man") or w.endswith("woman"):
        return [w[:-3] + "men"]
    if w.endswith("y") and w[-2] not in "aeiou":
        return [w[:-1] + "ies"]
    if w.endswith(("s", "sh", "ch", "x")):
        return [w + "es"]
    return [w + "s"]


_ROLE_FORMS = frozenset(
    {f for w in _ROLES_SINGULAR for f in (w, *_plural(w))} | {"data", "figures", "estimates"}
)
_ALPHA_RE = re.compile(r"[A-Za-z]+")

_DETS = {
    "a", "an", "the", "one", "two", "three", "four", "five", "six", "several", "some", "many",
    "most", "other", "few", "both", "all", "various", "numerous", "dozens", "hundreds",
    "another", "his", "her", "their", "its", "our",
}  # fmt: skip
# words that end a description when walking left from its role noun
_LEFT_STOP = {
    "said", "says", "say", "told", "and", "but", "or", "nor", "that", "which", "who", "whom",
    "whose", "while", "when", "as", "because", "if", "although", "though", "on", "in", "at",
    "by", "for", "from", "with", "after", "before", "during", "to", "of", "is", "was", "were",
    "are", "be", "been", "has", "had", "have", "not", "also", "then", "this", "these", "those",
    "it", "he", "she", "they", "we", "i", "you", "there", "here", "so", "than", "asked",
    "speaking", "according", "where", "why", "how", "what", "yet", "however", "meanwhile",
}  # fmt: skip
# capitalised words that start sentences but are not names
_CAP_STOP = {
    "The", "A", "An", "But", "And", "Or", "On", "In", "At", "After", "Before", "Meanwhile",
    "However", "Yet", "So", "Then", "When", "While", "Asked", "Speaking", "It", "This", "That",
    "There", "We", "I", "You", "He", "She", "They", "According", "Last", "Next", "Earlier",
    "Later", "Still", "Also", "Now", "Today", "Yesterday", "Monday", "Tuesday", "Wednesday",
    "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May",
    "June", "July", "August", "September", "October", "November", "December", "If", "As",
    "Its", "His", "Her", "Their", "Our", "My", "Your", "Some", "Many", "Most", "Other", "Both",
}  # fmt: skip
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "gen", "col", "lt", "sgt", "capt", "gov", "sen",
    "rep", "jr", "sr", "inc", "ltd", "co", "corp", "vs", "etc", "no", "fr", "rev", "maj", "mt",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx",
}  # fmt: skip

_CUE_VERBS = _words("""
said says say told tells tell added adds warned warns stressed stresses insisted insists
explained explains noted notes argued argues claimed claims announced announces wrote writes
tweeted tweets emphasised emphasises emphasized emphasizes stated states acknowledged
acknowledges admitted admits conceded concedes declared declares continued continues replied
replies responded responds asked asks recalled recalls cautioned cautions predicted predicts
promised promises vowed vows complained complains countered counters remarked remarks observed
observes suggested suggests confirmed confirms maintained maintains posted reported reports
add warn stress insist explain note argue claim announce write emphasise emphasize acknowledge
admit concede declare reply respond recall caution predict promise complain suggest confirm
maintain report called calls described describes
""")
# verbs that may introduce a reported clause without "that" ("said the plan would fail")
_BARE_CLAUSE_VERBS = set(
    _words(
        """said says say told tells added adds warned warns argued argues claimed claims insisted
    insists noted notes wrote writes stressed stresses admitted admits conceded concedes add
    warn argue claim insist note write stress admit concede acknowledge predict suggest
    acknowledged acknowledges predicted predicts suggested suggests explained explains stated
    states declared declares announced announces confirmed confirms maintained maintains
    emphasised emphasises emphasized emphasizes"""
    )
)
# cues for direct quotes only ("called it “a disgrace”", "asked: “...”")
_NO_INDIRECT = {
    "asked", "asks", "continued", "continues", "posted", "tweeted", "tweets", "called", "calls",
    "described", "describes",
}  # fmt: skip

# "told reporters", "told Bild", "told a news conference": the object is part of the cue
_TELL_OBJ = (
    r"(?:reporters|journalists|lawmakers|legislators|parliament|supporters|delegates|students"
    r"|the\s+press|the\s+media|him|her|them|us|me"
    r"|(?:the|a|an)\s+(?:[a-z-]+\s+){0,2}?(?:newspaper|paper|broadcaster|agency|station|radio"
    r"|channel|magazine|conference|briefing|audience|crowd|committee|parliament|assembly|court"
    r"|hearing|summit|rally|meeting|podcast|outlet|programme|program|show|interviewer|website"
    r"|daily|weekly|inquiry)"
    r"|[A-Z][\w'’&-]*(?:(?:\s+(?:of|de|der|die|du|la|le|the))?\s+[A-Z][\w'’&-]*){0,4})"
)
_CUE_RE = re.compile(
    r"\b(?:(?P<acc>[Aa]ccording\s+to)"
    r"|(?P<tell>told|tells|tell)(?:\s+" + _TELL_OBJ + r")?"
    r"|(?P<verb>pointed\s+out|went\s+on|" + "|".join(_CUE_VERBS) + r"))\b"
)
_PP_RE = re.compile(
    r"\s+(?:for|of|at|from|in|with|close\s+to|familiar\s+with|on|inside|within|near|to"
    r"|representing|involved\s+in|briefed\s+on|(?:published|issued|released|commissioned"
    r"|conducted|prepared|seen|obtained|cited|quoted|led|run)\s+by)\s+[^,;:\ue000.!?\n]{1,60}?\s*",
    re.I,
)
_TRAIL_ADV_RE = re.compile(
    r"(?:\s+(?:also|later|then|once|again|previously|repeatedly|earlier|recently|reportedly"
    r"|further|simply|firmly|flatly|bluntly|angrily|publicly|privately|separately|finally"
    r"|initially|subsequently|has|had|have|would|will|did|on\s+\w+day|last\s+\w+))+\s*$"
)
_AFFIL_RE = re.compile(r"\s+(?:of|from|at|with)\s+(?:the\s+)?$")
_PRON_TAIL_RE = re.compile(r"(?:^|[\s,;:—–(\ue000])(he|she|they|He|She|They)\s*$")
_PRON_HEAD_RE = re.compile(r"(he|she|they)\b")
_NAME_TOKEN = r"[A-Z][\w'’-]*"
_NAME_CONNECT = r"(?:van|von|de|der|den|da|di|del|la|le|bin|al|el|ibn)"
_CAPSEQ_HEAD_RE = re.compile(
    rf"(?:(?:{_NAME_TOKEN}\.?|{_NAME_CONNECT})\s+){{0,4}}{_NAME_TOKEN}(?<!['’])"
)
_CAPSEQ_TAIL_RE = re.compile(
    rf"(?:{_NAME_TOKEN}\.?\s+(?:{_NAME_CONNECT}\s+)?){{0,4}}{_NAME_TOKEN}$"
)
_TOKEN_RE = re.compile(r"[\w'’.&-]+")
_WORD_RE = re.compile(r"\w+(?:['’]\w+)*")
_WS_COMMA_RE = re.compile(r"[\s,]*")

# "that" after the cue, possibly after an adverbial: "said on Tuesday that", "said, however, that"
_THAT_RE = re.compile(
    r"\s*,?\s*(?:(?:on|in|at|during|after|before|from|via|over|late|early|earlier|last|this"
    r"|yesterday|today|however|also|again|repeatedly|privately|publicly|previously|recently"
    r"|once|then)\b[^,.;:!?\ue000]{0,50}?)?,?\s+that\s+",
    re.I,
)
# after a parenthetical cue: "said, and ..." / "said on Tuesday, but ..." / "added, had ..."
_PAREN_RE = re.compile(
    r"(?:\s+(?:on|in|at|late|last|this|earlier)\b[^,.;:!?\ue000]{0,40})?\s*,\s*(?:(?:and|but)\s+)?"
)
_BARE_ADV_RE = re.compile(
    r"\s*(?:(?:on|last|this|late\s+on|earlier\s+on)\s+\w+|in\s+a\s+statement|in\s+an\s+interview)?"
    r"\s*,?\s+"
)
_AUX = (
    r"would|will|could|can|should|must|may|might|had|has|have|was|were|is|are|did|does|do"
    r"|remained|remains|planned|plans|needed|needs|wanted|wants|expected|expects|'d|’d|'ll|’ll"
)
# a clause: a subject-like first word, then an auxiliary or past-tense verb within ~60 chars
_CLAUSE_RE = re.compile(
    r"(?!(?:to|on|in|at|for|with|by|from|of|about|so|goodbye|hello|yes)\b)"
    r"[\w'’-]+\b[^,;:\ue000.!?]{0,60}?\s(?:" + _AUX + r"|[a-z]{3,}ed)\b"
)
_SENT_END_RE = re.compile(r"[.!?]+[)\]\"'”’»]*(?=\s+[^\sa-z])")
_PARA_RE = re.compile(r"\n[ \t\r]*\n\s*|(?<=[.!?:”\"’'»\ue000])[ \t\r]*\n\s*")
_YEAR_APOS_RE = re.compile(r"['‘]\d\d(?:s\b|\b)")
_ELISION_RE = re.compile(r"'(?:n'|em\b|til\b|cause\b|tis\b|twas\b)", re.I)

_POSS_RE = re.compile(r"['’]s?$")
_PUNCT_RE = re.compile(r"[^\w\s-]")
_LAST_WORD_RE = re.compile(r"([\w.]+)$")
_CLAUSE_BOUNDARY_RE = re.compile(r"[,;:—–()\ue000]|\bthat\b")
_ABBR_END_RE = re.compile(r"\b(?:[A-Z]|[A-Z][a-z]{1,3})$")
_APPOS_END_RE = re.compile(r"\s*(?:[,.;!?\ue000]|$)")
_NEXT_SENT_RE = re.compile(r"\s+[^\sa-z]")
_GENDER_RE = re.compile(r"\b(Mr|Mrs|Ms|Miss|Sir|Dame)\.?\s+$")
_QUOTE_CHAR_RE = re.compile("[“„«\"‘']")
_NESTED_STOP = {".’", ".”", '."', ".'"}  # a quote ending with a nested quote and a full stop
_DOUBLE_CLOSE = {"“": "”", "„": "“”", "«": "»", '"': '"'}
_SINGLE_CLOSE = {"‘": "’", "'": "'"}


# ----------------------------------------------------------------------------- public helpers


@lru_cache(maxsize=4096)
def _strip_titles(name: str) -> str:
    """Drop honorifics, role titles and appositives, keeping case: 'Finance Minister Maria
    Keller' -> 'Maria Keller', 'Dr. Keller' -> 'Keller'. Descriptions pass through unchanged."""
    name = unicodedata.normalize("NFKC", name).strip()
    if "," in name:
        segs = [s.strip() for s in name.split(",") if s.strip()]
        named = [s for s in segs if s.split()[0].lower() not in _DETS and s[:1].isupper()]
        name = (named or segs or [""])[0]
    name = _POSS_RE.sub("", name).strip()
    toks = name.split()
    cut = 0
    for i, tok in enumerate(toks[:-1]):
        w = tok.rstrip(".").lower()
        if w in _HONORIFICS or (_is_role_title(w) and toks[i + 1][:1].isupper()):
            cut = i + 1  # a role title only counts before a name, not in "a spokesperson for"
        elif any(_is_role_title(t.rstrip(".").lower()) for t in toks[i + 1 : -1]):
            continue  # a qualifier before a later title ("Finance" in "Finance Minister X")
        else:
            break
    return " ".join(toks[cut:])


def normalise_speaker(s: str | None) -> str:
    """Comparison key for a speaker: titles and appositive roles removed, accents folded,
    lower-cased ('Dr. Maria Keller, the minister' -> 'maria keller')."""
    return _normalise(s) if s else ""


@lru_cache(maxsize=4096)
def _normalise(s: str) -> str:
    s = _strip_titles(s)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = _PUNCT_RE.sub("", s.casefold())
    return " ".join(s.split())


def canonical_speakers(entities: list[Entity]) -> dict[str, str]:
    """Map normalised name forms ('keller', 'maria keller') to the fullest PERSON name that
    introduces them ('Maria Keller'). The first full name wins when two people share a surname."""
    canon: dict[str, str] = {}
    for e in entities:
        if e.label != "PERSON":
            continue
        full = _strip_titles(e.text)
        toks = full.split()
        if not toks:
            continue
        key = normalise_speaker(full)
        if len(toks) == 1:
            canon.setdefault(key, full)
            continue
        canon.setdefault(key, full)
        for short in (toks[-1], f"{toks[0]} {toks[-1]}"):
            k = normalise_speaker(short)
            if k not in canon or " " not in canon[k]:  # upgrade a surname seen before
                canon[k] = full
    return canon


def resolve_speaker(name: str, canon: dict[str, str]) -> str:
    """The canonical form of a name mention: 'Ms Keller' -> 'Maria Keller'."""
    return canon.get(normalise_speaker(name)) or _strip_titles(name) or name.strip()


def same_speaker(a: str | None, b: str | None) -> bool:
    """True when two speaker strings plausibly name the same person ('Keller' vs
    'Dr. Maria Keller'); descriptions compare by their normalised text."""
    na, nb = normalise_speaker(a), normalise_speaker(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    ta, tb = na.split(), nb.split()
    return (len(ta) == 1 or len(tb) == 1) and ta[-1] == tb[-1]


# ----------------------------------------------------------------------------- people

# words that make a capitalised run an organisation or place, never a person's name
_ORG_WORDS = frozenset(
    _words("""
association institute institution university college school academy authority agency council
party bank group company corporation corp inc ltd llc plc gmbh foundation trust fund museum
hospital clinic court board union committee commission department ministry office service
services police force army navy church federation league club society centre center network
times post news press valley river lake mountain mountains city county region province state
republic kingdom island islands airport station street road square park chemicals industries
holdings partners pharmacists airlines motors energy health research rivers""")
)
_PERSONISH = r"[A-Z][a-z]+(?:[-'’][A-Za-z]+)*"
_PERSONISH_RE = re.compile(_PERSONISH)
_TITLE_WORD_RE = re.compile(r"\b([A-Z][a-z]+)\.?\s+(?=[A-Z])")  # "Prof " before a name
_NAME_AT_RE = re.compile(rf"{_PERSONISH}(?:\s+{_PERSONISH}){{0,2}}(?![\w'’-])")
_APPOS_DET = r"(?:[Tt]he|[Aa]n?|[Ii]ts|[Tt]heir|[Hh]is|[Hh]er)\s+(?:[\w'’-]+\s+){0,3}?"
_APPOS_BEFORE_RE = re.compile(r"\b" + _APPOS_DET + r"([a-z][\w-]*),\s+$")
_APPOS_AFTER_RE = re.compile(
    r",\s+"
    + _APPOS_DET
    + r"([a-z][\w-]*)(?:\s+(?:at|of|for|with|from|in)\s+[^,.;]{1,40}?)?\s*[,.;]"
)
_TITLE_BEFORE_RE = re.compile(r"(?:^|[\s(“\"‘'—–,])([A-Za-z][\w-]*)\.?\s+$")
_CUE_WORDS = "|".join(sorted(_CUE_VERBS, key=len, reverse=True))
_CUE_AFTER_RE = re.compile(r"\s*,?\s+(?:" + _CUE_WORDS + r")\b")
_CUE_BEFORE_RE = re.compile(r"\b(?:" + _CUE_WORDS + r"|Mr|Mrs|Ms|Dr|Prof)\.?,?\s+$")


def _name_core(text: str) -> list[str] | None:
    """Tokens of a person-like name ('Dr Helena Marrow' -> ['Helena', 'Marrow']): 1-3
    Title-Case words, none of them an organisation or role word."""
    toks = _strip_titles(text).split()
    if not 1 <= len(toks) <= 3:
        return None
    for t in toks:
        low = t.lower()
        if not _PERSONISH_RE.fullmatch(t) or t in _CAP_STOP or low in _ORG_WORDS:
            return None
        if low in _ROLE_FORMS or _is_title_word(low):
            return None
    return toks


def _used_as_speaker(
    text: str, word: str, after: int, cache: dict[str, list[int]] | None = None
) -> bool:
    """Is ``word`` used alone later as a person ('Marrow said', 'said Marrow', 'Ms Marrow')?
    ``cache`` keeps, per word, where it is so used: one scan of the text per word, not one
    per entity (a long text names the same organisation thousands of times)."""
    if cache is None:
        cache = {}
    uses = cache.get(word)
    if uses is None:
        uses = cache[word] = []
        for mt in re.finditer(r"\b" + re.escape(word) + r"\b", text):
            if mt.end() < len(text) and text[mt.end()] in "'’-":
                continue  # "Marrow's", "Marrow-based"
            if _CUE_AFTER_RE.match(text, mt.end()) or _CUE_BEFORE_RE.search(
                text, max(0, mt.start() - 14), mt.start()
            ):
                uses.append(mt.start())
    return bisect.bisect_left(uses, after) < len(uses)


def _title_before(text: str, pos: int, n_core: int) -> int | None:
    """Start of a name whose honorific or role title precedes ``pos``, skipping up to two
    more given names ('Prof Odile | Varnhem' when spaCy only found 'Varnhem'), or None."""
    start = pos
    while True:
        t = _TITLE_BEFORE_RE.search(text, max(0, start - 24), start)
        if t is None:
            return None
        word = t.group(1)
        low = word.lower()
        if low in _HONORIFICS or (_is_role_title(low) and (word[:1].isupper() or n_core > 1)):
            return start
        personish = _PERSONISH_RE.fullmatch(word) and word not in _CAP_STOP
        if n_core >= 3 or not personish or low in _ORG_WORDS or text[t.end(1)] == ".":
            return None
        n_core += 1
        start = t.start(1)


def _promote_people(text: str, entities: list[Entity]) -> list[Entity]:
    """spaCy sometimes labels a person ORG or GPE ('Dr Helena Marrow', 'Marrow'). Relabel as
    PERSON a name after an honorific or role title ('Dr', 'Judge', 'glaciologist'), a 2-3 word
    Title-Case name whose surname is later used alone as a speaker ('Marrow said'), and lone
    surnames of people found so. Leading sentence words are trimmed ('Later Kasimir Troll')."""
    surnames = {e.text.split()[-1] for e in entities if e.label == "PERSON" and e.text.split()}
    changed: dict[int, Entity] = {}
    speaker_uses: dict[str, list[int]] = {}
    for i, ent in enumerate(entities):
        if ent.label not in SPEAKER_LABELS:
            continue
        start = ent.start
        first = _WORD_RE.match(text, start, ent.end)
        while first and first.group() in _CAP_STOP and first.end() < ent.end:
            start = _WS_COMMA_RE.match(text, first.end(), ent.end).end()
            first = _WORD_RE.match(text, start, ent.end)
        core = _name_core(text[start : ent.end])
        if core is None:
            continue
        if ent.label == "PERSON":
            if start != ent.start:
                changed[i] = replace(ent, text=text[start : ent.end], start=start)
            continue
        if start != ent.start:  # "Later Kasimir Troll"
            changed[i] = replace(ent, text=text[start : ent.end], start=start)
        titled = _strip_titles(text[start : ent.end]) != text[start : ent.end].strip()
        if not titled:
            new_start = _title_before(text, start, len(core))
            if new_start is not None:
                titled, start = True, new_start
                core = text[start : ent.end].split()
        if titled or (len(core) > 1 and _used_as_speaker(text, core[-1], ent.end, speaker_uses)):
            changed[i] = replace(ent, text=text[start : ent.end], start=start, label="PERSON")
            surnames.add(core[-1])
    # "Prof Odile Varnhem" that spaCy did not tag at all
    taken = _SpanIndex([(e.start, e.end) for e in entities])
    extra = []
    for mt in _TITLE_WORD_RE.finditer(text):
        low = mt.group(1).lower()
        if not (low in _HONORIFICS or _is_role_title(low)):
            continue
        name = _NAME_AT_RE.match(text, mt.end())
        if name is None:
            continue
        ns, ne = name.span()
        if taken.overlaps(ns, ne) or _name_core(name.group()) is None:
            continue
        extra.append(Entity(name.group(), "PERSON", ns, ne, -1))
        surnames.add(name.group().split()[-1])
    if not changed and not surnames:
        return entities
    grown = _SpanIndex([(e.start, e.end) for e in changed.values()])
    out = []
    for i, ent in enumerate(entities):
        if i in changed:
            ent = changed[i]
        elif grown.contains(ent.start, ent.end):
            continue  # inside a name grown to the left ('Odile' in 'Prof Odile Varnhem')
        elif ent.label != "PERSON" and ent.label in SPEAKER_LABELS and ent.text in surnames:
            ent = replace(ent, label="PERSON")  # "Marrow said", after "Dr Helena Marrow"
        out.append(ent)
    if extra:
        # each (in text order) goes after the entities starting at or before it, taking the
        # sentence of the one before it: a merge of two sorted lists
        out.sort(key=lambda x: x.start)
        merged: list[Entity] = []
        k = 0
        for x in extra:
            while k < len(out) and out[k].start <= x.start:
                merged.append(out[k])
                k += 1
            merged.append(replace(x, sentence=merged[-1].sentence if merged else 0))
        out = merged + out[k:]
    return out


# ----------------------------------------------------------------------------- internals


@dataclass
class _Region:
    open: int  # position of the opening mark
    end: int  # one past the closing mark (or the cut-off when unterminated)
    cs: int  # content start/end, marks and trailing commas excluded
    ce: int
    para: int
    terminal: bool  # content ends with . ! ? (a sentence may end after the region)
    full_stop: bool  # ... with a full stop: no "she said" can follow


@dataclass
class _Who:
    text: str
    start: int
    end: int
    kind: str  # "name" | "pronoun" | "desc"
    label: str = ""


@dataclass
class _Attr:
    who: _Who
    cue: str
    phrase_start: int  # start of the whole speaker phrase (appositives included)
    speaker: str | None = None


@dataclass
class _Ctx:
    text: str
    m: str  # text with quoted regions masked
    by_end: dict[int, Entity]
    by_start: dict[int, Entity]
    aliases: dict[str, str] = field(default_factory=dict)  # "the finance minister" -> name
    roles: list[tuple[int, int]] = field(default_factory=list)  # role-noun spans, sorted
    # (offset, role word, name) for people introduced with a role: "Judge X", "X, the judge"
    titled: list[tuple[int, str, str]] = field(default_factory=list)
    # by_start sorted by offset, with each entity's place in by_start (see _starting_in)
    start_index: tuple[list[int], list[tuple[int, int, Entity]]] | None = None


def _starting_in(ctx: _Ctx, lo: int, hi: int) -> list[Entity]:
    """The speaker entities starting in [lo, hi), in ``by_start`` order: a bisection in a
    sorted copy, since a scan of all of them per call is quadratic in a long text."""
    if ctx.start_index is None:
        items = sorted((st, k, e) for k, (st, e) in enumerate(ctx.by_start.items()))
        ctx.start_index = ([st for st, _, _ in items], items)
    keys, items = ctx.start_index
    found = items[bisect.bisect_left(keys, lo) : bisect.bisect_left(keys, hi)]
    return [e for _, _, e in sorted(found, key=lambda x: x[1])]


class _SpanIndex:
    """(start, end) spans answering "does any overlap / contain this one?" by bisection."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        spans = sorted(spans)
        self.starts = [a for a, _ in spans]
        self.max_end: list[int] = []  # the largest end among the first k + 1 spans
        for _, b in spans:
            self.max_end.append(max(b, self.max_end[-1]) if self.max_end else b)

    def _max_end_before(self, k: int) -> int | None:
        return self.max_end[k - 1] if k > 0 else None

    def overlaps(self, start: int, end: int) -> bool:
        """Some span has s < end and start < e."""
        e = self._max_end_before(bisect.bisect_left(self.starts, end))
        return e is not None and e > start

    def contains(self, start: int, end: int) -> bool:
        """Some span has s <= start and end <= e."""
        e = self._max_end_before(bisect.bisect_right(self.starts, start))
        return e is not None and e >= end


def _note_alias(ctx: _Ctx, desc: _Who | str, name: _Who) -> None:
    """Remember that a description ('the finance minister') names ``name`` here."""
    text = desc if isinstance(desc, str) else desc.text
    ctx.aliases.setdefault(normalise_speaker(text), name.text)
    words = _ALPHA_RE.findall(text.lower())
    if words and words[-1] in _ROLE_FORMS:
        ctx.titled.append((name.start, words[-1], name.text))


_LOWER_WORD_RE = re.compile(r"([a-z][\w'’-]*)\s+")


def _role_name(ctx: _Ctx, s: int, e: int) -> _Who | None:
    """'lead author Elin Trask', 'glaciologist Elin Trask', 'the prosecutor Lena Mott' at s:
    a few lower-case words ending in a role word, then a name ending the phrase."""
    m = ctx.m
    pos = s
    for _ in range(5):
        w = _LOWER_WORD_RE.match(m, pos, e)
        if w is None:
            return None
        pos = w.end()
        low = w.group(1).lower()
        if _is_role_title(low) and m[pos : pos + 1].isupper():
            n = _CAPSEQ_HEAD_RE.match(m, pos, e)
            if n is None or not _APPOS_END_RE.match(m, n.end(), e):
                return None
            who = _name_who(ctx, pos, n.end())
            if who is not None:
                ctx.titled.append((who.start, low, who.text))
            return who
        if low in _LEFT_STOP:
            return None
    return None


def _has_role(ctx: _Ctx, s: int, e: int) -> bool:
    k = bisect.bisect_left(ctx.roles, (s, s))
    return k < len(ctx.roles) and ctx.roles[k][1] <= e


def _is_opener(text: str, i: int, end: int) -> bool:
    c = text[i]
    nxt = text[i + 1] if i + 1 < end else ""
    prev = text[i - 1] if i > 0 else " "
    if not nxt or nxt.isspace():
        return False
    if c in "“„«":
        return True
    if prev.isalnum() or prev in "'’":
        return False
    if c == '"':
        return True
    if _YEAR_APOS_RE.match(text, i) or _ELISION_RE.match(text, i):
        return False
    return nxt.isalnum() or nxt in "“\"‘'(["


def _find_single_close(text: str, i: int, end: int) -> int | None:
    """Closing mark for a single-quote opener at i; skips nested double quotes, apostrophes
    inside words, and prefers a later candidate over a plural possessive (ministers' plan)."""
    closer = _SINGLE_CLOSE[text[i]]
    fallback = None
    j = i + 1
    while j < end:
        c = text[j]
        if c == "“" or (c == '"' and _is_opener(text, j, end)):
            k = text.find("”" if c == "“" else '"', j + 1, end)
            if k < 0:
                break
            j = k + 1
            continue
        if c == text[i] and c != closer and _is_opener(text, j, end):
            break  # a new quotation starts: this one was never closed
        if c == closer and not text[j - 1].isspace():
            nxt = text[j + 1] if j + 1 < end else ""
            if nxt.isalnum():  # don't, people's
                j += 1
                continue
            possessive = text[j - 1] in "sS" and nxt == " " and text[j + 2 : j + 3].islower()
            if not possessive:
                return j
            if fallback is None:
                fallback = j
        elif c == "'" and closer == "'" and _is_opener(text, j, end) and fallback is not None:
            break
        j += 1
    return fallback


def _scan_regions(text: str, paras: list[tuple[int, int]]) -> list[_Region]:
    regions: list[_Region] = []
    for pi, (ps, pe) in enumerate(paras):
        i = ps
        while i < pe:
            hit = _QUOTE_CHAR_RE.search(text, i, pe)
            if hit is None:
                break
            i = hit.start()
            c = text[i]
            if not _is_opener(text, i, pe):
                i += 1
                continue
            if c in _SINGLE_CLOSE:
                j = _find_single_close(text, i, pe)
                if j is None:  # an apostrophe after all
                    i += 1
                    continue
                close, stop = j, j + 1
            else:
                closers = _DOUBLE_CLOSE[c]
                close = -1
                j = i + 1
                while j < pe:
                    ch = text[j]
                    if ch in closers and (c != '"' or not text[j - 1].isspace()):
                        close = j
                        break
                    if ch == c and c != '"' and ch not in closers:
                        break  # same opener again: the first quotation was never closed
                    if c == '"' and ch == '"':
                        break  # '"' in opening position: previous one unterminated
                    j += 1
                if close >= 0:
                    stop = close + 1
                else:
                    close = stop = j  # unterminated: up to the next opener or paragraph end
            cs, ce = i + 1, close
            while cs < ce and text[cs].isspace():
                cs += 1
            while ce > cs and (text[ce - 1].isspace() or text[ce - 1] == ","):
                ce -= 1
            if ce > cs:
                full_stop = text[ce - 1] == "." or text[ce - 2 : ce] in _NESTED_STOP
                terminal = full_stop or text[ce - 1] in "!?"
                if text[ce - 1] == "." and text[ce - 2 : ce] != "..":
                    ce -= 1  # the closing full stop is punctuation, not words (kept: … ! ?)
                regions.append(_Region(i, stop, cs, ce, pi, terminal, full_stop))
            i = stop
    return regions


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for m in _PARA_RE.finditer(text):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    return out


def _sentence_cuts(m: str) -> list[int]:
    """Positions where a new sentence starts, from punctuation outside quotes."""
    cuts = []
    for mt in _SENT_END_RE.finditer(m):
        if mt.group()[0] == "." and len(mt.group()) == 1 or mt.group()[:2] == ".”":
            w = _LAST_WORD_RE.search(m, max(0, mt.start() - 12), mt.start())
            word = w.group(1).lower().rstrip(".") if w else ""
            if word in _ABBREV or (len(word) == 1 and word.isalpha()) or "." in word:
                continue
        cuts.append(mt.end())
    return cuts


def _entity_at_end(ctx: _Ctx, e: int) -> Entity | None:
    ent = ctx.by_end.get(e)
    return ent if ent is not None and ent.label in SPEAKER_LABELS else None


def _name_who(ctx: _Ctx, s: int, e: int) -> _Who | None:
    """A capitalised name sequence in [s, e), leading sentence words and titles dropped."""
    toks = list(_TOKEN_RE.finditer(ctx.m, s, e))
    while toks and (
        toks[0].group().rstrip(".") in _CAP_STOP
        or (len(toks) > 1 and _is_title_word(toks[0].group().rstrip(".").lower()))
    ):
        toks.pop(0)
    if not toks:
        return None
    a, b = toks[0].start(), toks[-1].end()
    for ent in _starting_in(ctx, a, b):  # prefer a PERSON entity inside ("Finance Minister X")
        if ent.end <= b and ent.label == "PERSON":
            a, b = ent.start, ent.end
            break
    while b > a and ctx.text[b - 1] in ".'’":
        b -= 1
    word = ctx.text[a:b]
    if not word[:1].isupper():
        return None
    return _Who(word, a, b, "name", "")


def _desc_tail(ctx: _Ctx, s: int, e: int, anchored: bool = False) -> _Who | None:
    """A description ending at e: [det] [modifiers] ROLE [prepositional phrase].
    With ``anchored`` it must also start at s (used after the cue: 'said a spokesperson')."""
    m = ctx.m
    cs = s
    for mt in _CLAUSE_BOUNDARY_RE.finditer(m, s, e):
        cs = mt.end()
    if anchored and cs != s:
        return None
    roles = ctx.roles
    for k in range(bisect.bisect_left(roles, (cs, cs)), len(roles)):
        r_start, r_end = roles[k]
        if r_end > e:
            break
        rest = m[r_end:e]
        if rest.strip() and not _PP_RE.fullmatch(rest):
            continue
        start, n = r_start, 0
        for tok in reversed(list(_TOKEN_RE.finditer(m, cs, r_start))):
            w = tok.group().lower()
            if m[tok.end() : start].strip() or n >= 4:
                break
            if w in _DETS:
                start = tok.start()
                break
            if w in _LEFT_STOP:
                break
            start, n = tok.start(), n + 1
        if anchored and m[s:start].strip():
            return None
        end = e
        while end > start and m[end - 1].isspace():
            end -= 1
        if len(m[start:end].split()) > 12:
            return None
        return _Who(ctx.text[start:end], start, end, "desc")
    return None


def _speaker_tail(ctx: _Ctx, s: int, e: int) -> _Who | None:
    """The speaker phrase that ends at e (subject of a following reporting verb)."""
    m = ctx.m
    while e > s and m[e - 1].isspace():
        e -= 1
    if e <= s:
        return None
    p = _PRON_TAIL_RE.search(m[s:e])  # sliced: '^' does not match at a search pos
    if p:
        return _Who(p.group(1), s + p.start(1), s + p.end(1), "pronoun")
    d = _desc_tail(ctx, s, e)
    ent = _entity_at_end(ctx, e)
    if ent is not None and ent.start >= s:
        # "a spokesperson for the Finance Ministry": the description holds the entity
        if d is not None and d.start < ent.start and _has_role(ctx, d.start, ent.start):
            return d
        # "Henrik Sauer of the DIW said": the person, not the institution
        aff = _AFFIL_RE.search(m, s, ent.start)
        if ent.label != "PERSON" and aff and aff.end() == ent.start:
            person = _entity_at_end(ctx, aff.start())
            if person is not None and person.label == "PERSON" and person.start >= s:
                return _Who(person.text, person.start, person.end, "name", person.label)
        return _Who(ent.text, ent.start, ent.end, "name", ent.label)
    if d is not None:
        return d
    c = _CAPSEQ_TAIL_RE.search(m, s, e)
    if c and c.end() == e:
        return _name_who(ctx, c.start(), c.end())
    return None


def _exact_phrase(ctx: _Ctx, s: int, e: int) -> _Who | None:
    """A speaker phrase covering exactly [s, e) (an appositive segment), or None."""
    while s < e and ctx.m[s].isspace():
        s += 1
    while e > s and ctx.m[e - 1].isspace():
        e -= 1
    if e <= s:
        return None
    ent = _entity_at_end(ctx, e)
    if ent is not None and (
        not ctx.m[s : ent.start].strip(" .") or _strip_titles(ctx.m[s:e]) == ent.text
    ):
        return _Who(ent.text, ent.start, ent.end, "name", ent.label)
    d = _desc_tail(ctx, s, e)
    if d is not None and d.start == s:
        return d
    c = _CAPSEQ_TAIL_RE.fullmatch(ctx.m, s, e)
    if c:
        return _name_who(ctx, s, e)
    return None


def _title_start(ctx: _Ctx, s: int, start: int) -> int:
    """Start of the titles before a name ('Karvenian Transport Minister | Irena Dalvik'), so
    the whole phrase counts as the speaker when checking what precedes it."""
    prev_title = False
    for n, tok in enumerate(reversed(list(_TOKEN_RE.finditer(ctx.m, s, start)))):
        w = tok.group().rstrip(".")
        low = w.lower()
        if ctx.m[tok.end() : start].strip() or n >= 5:
            break
        if low in _DETS:
            return tok.start()
        is_title = _is_title_word(low)
        if not (is_title or prev_title or (w[:1].isupper() and w not in _CAP_STOP)):
            break
        prev_title, start = is_title, tok.start()
    return start


def _speaker_before(ctx: _Ctx, s: int, e: int) -> tuple[_Who, int] | None:
    """Speaker ending just before a reporting verb at e -> (who, start of the whole phrase).
    Handles appositives both ways: 'Maria Keller, the finance minister,' and
    'the finance minister, Maria Keller,'."""
    m = ctx.m
    adv = _TRAIL_ADV_RE.search(m, s, e)
    if adv:
        e = adv.start()
    while e > s and m[e - 1].isspace():
        e -= 1
    if e <= s:
        return None
    if m[e - 1] != ",":
        who = _speaker_tail(ctx, s, e)
        if who is None:
            return None
        return who, _title_start(ctx, s, who.start) if who.kind == "name" else who.start
    inner = e - 1
    c = max(m.rfind(",", s, inner), m.rfind(_Q, s, inner), m.rfind(":", s, inner))
    if c < s:
        return None
    seg = _exact_phrase(ctx, c + 1, inner)
    head = _speaker_tail(ctx, s, c) if m[c] == "," else None
    if seg is not None and seg.kind == "name" and (head is None or head.kind == "desc"):
        if head is not None and head.text.lower().startswith("the "):
            _note_alias(ctx, head, seg)
        return seg, head.start if head else seg.start
    if head is not None:
        if seg is not None and seg.kind == "desc" and head.kind == "name":
            _note_alias(ctx, seg, head)
        return head, head.start
    return (seg, seg.start) if seg else None


def _speaker_after(ctx: _Ctx, pos: int, e: int) -> _Who | None:
    """Speaker starting right after a cue: 'said Dr. Anna Vogt', 'according to officials'."""
    m = ctx.m
    p = _WS_COMMA_RE.match(m, pos, e).end()
    if p >= e:
        return None
    pr = _PRON_HEAD_RE.match(m, p, e)
    if pr:
        return _Who(pr.group(1), p, pr.end(), "pronoun")
    stop = p
    while stop < e and m[stop] not in ",;:.!?\n" + _Q:
        stop += 1
    # "Dr. Anna Vogt": a full stop after a title or initial is not the chunk's end
    while stop < e and m[stop] == "." and _ABBR_END_RE.search(m, p, stop):
        stop += 1
        while stop < e and m[stop] not in ",;:.!?\n" + _Q:
            stop += 1
    ent = ctx.by_start.get(p)
    t = _CAPSEQ_HEAD_RE.match(m, p, stop)
    if t:
        # "declared Transport Minister Irena Dalvik", "said Lessmark's Secretary Tomas Brenner":
        # the last PERSON in the capitalised run is the speaker, whatever spaCy made of the rest
        inside = [x for x in _starting_in(ctx, p, t.end()) if x.end <= stop]
        people = sorted((x for x in inside if x.label == "PERSON"), key=lambda x: x.start)
        ent = people[-1] if people else ent or (inside or [None])[0]
    if ent is not None and ent.label in SPEAKER_LABELS:
        return _Who(ent.text, ent.start, ent.end, "name", ent.label)
    if m[p].islower():
        who = _role_name(ctx, p, e)  # "said lead author Elin Trask"
        if who is not None:
            return who
    d = _desc_tail(ctx, p, stop, anchored=True)
    if d is not None:
        # "said the finance minister, Maria Keller." / "..., glaciologist Elin Trask." -> the name
        if stop < e and m[stop] == ",":
            q = _WS_COMMA_RE.match(m, stop, e).end()
            n = _CAPSEQ_HEAD_RE.match(m, q, e)
            who = None
            if n and _APPOS_END_RE.match(m, n.end(), e):
                who = _name_who(ctx, q, n.end())
            elif q < e and m[q].islower():
                who = _role_name(ctx, q, e)
            if who is not None:
                _note_alias(ctx, d, who)
                return who
        return d
    t = _CAPSEQ_HEAD_RE.match(m, p, stop)
    if t:
        return _name_who(ctx, p, t.end())
    return None


def _attribution(ctx: _Ctx, s: int, e: int, side: str) -> _Attr | None:
    """Find 'cue + speaker' in m[s:e]. side='after' looks right after a closing mark (only a
    short speaker phrase may precede the cue); 'before' takes the last cue before the quote."""
    m = ctx.m
    cues = list(_CUE_RE.finditer(m, s, e))
    if side == "after":
        if m[s:e].rstrip().endswith(":"):
            return None  # "Keller added:" introduces the next quote
    else:
        cues.reverse()
    for cue in cues:
        pre = m[s : cue.start()].strip(" \t\n,—–-:")
        if side == "after" and len(pre.split()) > 10:
            return None
        if cue.group("acc") or not pre:
            who = _speaker_after(ctx, cue.end(), e)
            if who is not None:
                return _Attr(who, _cue_text(cue), cue.start())
            continue
        res = _speaker_before(ctx, s, cue.start())
        if res is None:
            continue
        who, phrase_start = res
        if side == "after" and m[s:phrase_start].strip(" \t\n,—–-"):
            return None
        return _Attr(who, _cue_text(cue), phrase_start)
    return None


def _cue_text(cue: re.Match[str]) -> str:
    if cue.group("acc"):
        return "according to"
    return " ".join(cue.group().split())


def _indirect(ctx: _Ctx, s: int, e: int) -> list[tuple[int, int, _Attr]]:
    """Reported clauses in sentence m[s:e] (which holds no quoted region): usually one, two
    for a clause split by a parenthetical attribution ("X, Dalvik said, and Y")."""
    m = ctx.m
    end = e
    while end > s and (m[end - 1] in ".!?;:)\"'”’ \n" or m[end - 1] == _Q):
        end -= 1
    for cue in _CUE_RE.finditer(m, s, e):
        word = cue.group("verb") or cue.group("tell") or ""
        if cue.group("acc"):
            who = _speaker_after(ctx, cue.end(), e)
            if who is None:
                continue
            attr = _Attr(who, _cue_text(cue), cue.start())
            comma = m.find(",", who.end, e)
            if not m[s : cue.start()].strip():  # "According to X, CLAUSE."
                if comma < 0 or m[who.end : comma].strip(" .") and who.kind != "desc":
                    continue
                return [(*_ws_trim(m, comma + 1, end), attr)]
            before = m[s : cue.start()].rstrip()
            if before.endswith(","):  # "CLAUSE, according to X."
                return [(*_ws_trim(m, s, s + len(before) - 1), attr)]
            continue
        if word in _NO_INDIRECT:
            continue
        res = _speaker_before(ctx, s, cue.start())
        if res is None:
            # inverted: "CLAUSE, said a spokesperson."
            head = m[s : cue.start()].rstrip()
            who = _speaker_after(ctx, cue.end(), e)
            if head.endswith(",") and who is not None and not m[who.end : e].strip(" .!\n"):
                return [(*_ws_trim(m, s, s + len(head) - 1), _Attr(who, _cue_text(cue), s))]
            continue
        who, phrase_start = res
        attr = _Attr(who, _cue_text(cue), phrase_start)
        head = m[s:phrase_start].rstrip()
        if head.endswith(","):
            x = _ws_trim(m, s, s + len(head) - 1)
            tail = m[cue.end() : e].strip(" .!\n")
            if len(tail.split()) <= 4:  # "CLAUSE, Keller said on Tuesday."
                return [(*x, attr)]
            paren = _PAREN_RE.match(m, cue.end(), e)
            if paren:  # "CLAUSE, Keller said, and CLAUSE." / "Prices, she added, had not ..."
                y = _ws_trim(m, paren.end(), end)
                if _CLAUSE_RE.match(m, x[0], x[1]):
                    return [(*x, attr), (*y, attr)]
                return [(x[0], y[1], attr)]  # subject before the attribution: keep it whole
        that = _THAT_RE.match(m, cue.end(), e)
        if that:
            return [(*_ws_trim(m, that.end(), end), attr)]
        if word.split()[0] in _BARE_CLAUSE_VERBS or cue.group("tell"):
            adv = _BARE_ADV_RE.match(m, cue.end(), e)
            if adv and _CLAUSE_RE.match(m, adv.end(), end):
                return [(*_ws_trim(m, adv.end(), end), attr)]
    return []


def _ws_trim(m: str, s: int, e: int) -> tuple[int, int]:
    while s < e and m[s] in " \t\n,":
        s += 1
    while e > s and m[e - 1] in " \t\n,":
        e -= 1
    return s, e


def _sentence_ids(sentences: list[Sentence], starts: list[int], s: int, e: int) -> tuple[int, ...]:
    i = max(0, bisect.bisect_right(starts, s) - 1)
    out = []
    while i < len(sentences) and sentences[i].start < e:
        if sentences[i].end > s:
            out.append(sentences[i].index)
        i += 1
    return tuple(out)


# ----------------------------------------------------------------------------- main entry


def extract_quotes(text: str, sentences: list[Sentence], entities: list[Entity]) -> list[Quote]:
    """All direct (quotation marks) and indirect (reported clause) quotes in ``text``, in
    order, with speakers resolved to canonical names where possible."""
    paras = _paragraphs(text)
    # scare quotes and titles ("so-called “reform”") are ordinary words for everything else
    regions = [
        r
        for r in _scan_regions(text, paras)
        if len(_WORD_RE.findall(text[r.cs : r.ce])) >= MIN_WORDS
    ]
    entities = _promote_people(text, entities)
    chars = list(text)
    for r in regions:
        chars[r.open : r.end] = _Q * (r.end - r.open)
    m = "".join(chars)
    ctx = _Ctx(
        text=text,
        m=m,
        by_end={e.end: e for e in entities if e.label in SPEAKER_LABELS},
        by_start={e.start: e for e in entities if e.label in SPEAKER_LABELS},
        # role nouns found once with a set lookup: a 300-way regex alternation is slow
        roles=[w.span() for w in _ALPHA_RE.finditer(m) if w.group().lower() in _ROLE_FORMS],
    )
    canon = canonical_speakers(entities)

    # sentence cuts: punctuation outside quotes, paragraph ends, then quote ends
    base = sorted({*_sentence_cuts(m), *(pe for _, pe in paras)})
    own: list[_Attr | None] = []
    for k, r in enumerate(regions):
        # journalists end a quote with a comma, ! or ? before "she said", never a full stop
        if r.full_stop:
            own.append(None)
            continue
        nb = bisect.bisect_left(base, r.end)
        limit = base[nb] if nb < len(base) else len(text)
        if k + 1 < len(regions):
            limit = min(limit, regions[k + 1].open)
        own.append(_attribution(ctx, r.end, limit, "after"))
    cuts = set(base)
    for r, a in zip(regions, own, strict=True):
        if r.terminal and a is None and _NEXT_SENT_RE.match(m, r.end):
            cuts.add(r.end)
    cut_list = sorted(c for c in cuts if 0 < c < len(text))
    sents: list[tuple[int, int]] = []
    prev = 0
    for c in [*cut_list, len(text)]:
        a, b = _ws_trim(m, prev, c)
        if b > a:
            sents.append((a, b))
        prev = c
    sent_starts = [a for a, _ in sents]

    def sent_of(pos: int) -> int:
        return max(0, bisect.bisect_right(sent_starts, pos) - 1)

    # attributions before the quote, within its sentence
    for k, r in enumerate(regions):
        if own[k] is not None:
            continue
        si = sent_of(r.open)
        s = sents[si][0] if sents else 0
        if k > 0 and regions[k - 1].end > s:
            s = regions[k - 1].end
        own[k] = _attribution(ctx, s, r.open, "before")

    # indirect quotes and bare cue sentences ("Keller told reporters:")
    region_sents = {sent_of(r.open) for r in regions} | {sent_of(r.ce - 1) for r in regions}
    indirect: list[tuple[int, int, _Attr, int]] = []
    sent_attr: dict[int, _Attr] = {}
    for si, (a, b) in enumerate(sents):
        if si in region_sents:
            continue
        found = [
            f for f in _indirect(ctx, a, b) if len(_WORD_RE.findall(text[f[0] : f[1]])) >= MIN_WORDS
        ]
        for qs, qe, attr in found:
            indirect.append((qs, qe, attr, si))
            sent_attr[si] = attr
        if not found:
            generic = _attribution(ctx, a, b, "before")
            if generic is not None:
                sent_attr[si] = generic

    # resolve speakers in text order (pronouns look back at earlier speakers)
    attrs = {id(a): a for a in [*own, *(x[2] for x in indirect), *sent_attr.values()] if a}
    _resolve_all(ctx, sorted(attrs.values(), key=lambda a: a.who.start), entities, canon, sents)

    # fallbacks for unattributed direct quotes, in order so chains of quote paragraphs work
    for k, r in enumerate(regions):
        si = sent_of(r.open)
        if own[k] is None:
            # a quote standing alone as a sentence takes the attribution of a later quote in
            # its paragraph (“We lost.” “We'll be back,” she said.); failing that, a cue in
            # the previous sentence ("Keller told reporters:" / "Keller said the ...")
            nxt = None
            if sents and not m[sents[si][0] : sents[si][1]].replace(_Q, "").strip(" .,;:!?—–-"):
                # regions are in text order: the paragraph's own end the search
                for j in range(k + 1, len(regions)):
                    if regions[j].para != r.para:
                        break
                    if own[j]:
                        nxt = own[j]
                        break
            own[k] = nxt or sent_attr.get(si - 1)
        if own[k] is not None and si not in sent_attr:
            sent_attr[si] = own[k]  # type: ignore[assignment]

    sent_list_starts = [s.start for s in sentences]
    out: list[Quote] = []
    for r, a in zip(regions, own, strict=True):
        out.append(_make_quote(text, r.cs, r.ce, "direct", a, sentences, sent_list_starts))
    for s, e, a, _ in indirect:
        out.append(_make_quote(text, s, e, "indirect", a, sentences, sent_list_starts))
    out.sort(key=lambda q: q.start)
    return out


def _make_quote(
    text: str,
    s: int,
    e: int,
    kind: str,
    a: _Attr | None,
    sentences: list[Sentence],
    starts: list[int],
) -> Quote:
    return Quote(
        text=text[s:e],
        start=s,
        end=e,
        kind=kind,  # type: ignore[arg-type]
        speaker=a.speaker if a else None,
        speaker_span=Span(a.who.start, a.who.end, text[a.who.start : a.who.end]) if a else None,
        cue=a.cue if a else "",
        sentences=_sentence_ids(sentences, starts, s, e),
    )


def _resolve_all(
    ctx: _Ctx,
    attrs: list[_Attr],
    entities: list[Entity],
    canon: dict[str, str],
    sents: list[tuple[int, int]],
) -> None:
    """Fill ``speaker`` on each attribution. Pronouns go to the most recent compatible
    candidate: a named PERSON speaker or a PERSON entity opening a sentence (its subject);
    failing both, the last PERSON mentioned. Gender comes from Mr/Ms and earlier pronouns."""
    gender: dict[str, str] = {}
    persons: list[tuple[int, str]] = []  # every PERSON mention, canonical
    for ent in entities:
        if ent.label != "PERSON":
            continue
        name = resolve_speaker(ent.text, canon)
        persons.append((ent.start, name))
        t = _GENDER_RE.search(ctx.text, max(0, ent.start - 6), ent.start)
        if t:
            gender.setdefault(name, _GENDER_TITLES[t.group(1).lower()])
    titled_cache: list[dict[str, list[tuple[int, str]]]] = []

    def titled() -> dict[str, list[tuple[int, str]]]:
        # people introduced with a role, built only when a bare "the judge" needs them:
        # (offset, name) per role word, sorted
        if not titled_cache:
            people = (x for ent in entities if ent.label == "PERSON" for x in _titles_of(ctx, ent))
            by_role: dict[str, list[tuple[int, str]]] = {}
            for off, role, name in sorted([*ctx.titled, *people]):
                by_role.setdefault(role, []).append((off, name))
            titled_cache.append(by_role)
        return titled_cache[0]

    sent_starts = [a for a, _ in sents]
    # where the masked quotes are: "is there a quote between a and b" by bisection, not by
    # slicing the text (a sentence can be the whole text when it has no punctuation)
    masked = [mt.start() for mt in re.finditer(_Q, ctx.m)]

    def quote_between(a: int, b: int) -> bool:
        k = bisect.bisect_left(masked, a)
        return k < len(masked) and masked[k] < b

    # pronoun candidates (offset, name, kind): named speakers, plus the first PERSON of each
    # sentence as a stand-in for its subject ("Brandt, the opposition leader, disagreed.")
    subjects: list[tuple[int, str, str]] = []
    seen_sents: set[int] = set()
    for off, name in persons:
        si = max(0, bisect.bisect_right(sent_starts, off) - 1)
        if si not in seen_sents and not quote_between(sent_starts[si] if sents else 0, off):
            subjects.append((off, name, "person"))
        seen_sents.add(si)
    for a in attrs:
        w = a.who
        if w.kind == "name":
            # spaCy often labels a lone surname ORG/GPE; a known PERSON surname wins
            person = (
                w.label in ("PERSON", "")
                or normalise_speaker(w.text) in canon
                or _strip_titles(w.text) != w.text.strip()  # "Councillor Ines Moravec" (ORG)
            )
            a.speaker = resolve_speaker(w.text, canon) if person else w.text
            kind = "person" if person else "group"
            if not person and len(_name_core(w.text) or ()) > 1:
                kind = "person"  # "Kasimir Troll" (ORG) said ... "...," he said
            subjects.append((w.start, a.speaker, kind))
        elif w.kind == "desc":
            a.speaker = ctx.aliases.get(normalise_speaker(w.text)) or _titled_person(
                w, titled, canon
            )
            a.speaker = a.speaker or w.text
            subjects.append((w.start, a.speaker, "group" if a.speaker == w.text else "person"))
    subjects.sort()
    subject_offsets = [x[0] for x in subjects]
    # the last group / person among the first k subjects, for "they"
    last_group: list[tuple[int, str, str] | None] = [None]
    last_person: list[tuple[int, str, str] | None] = [None]
    for x in subjects:
        last_group.append(x if x[2] == "group" else last_group[-1])
        last_person.append(x if x[2] == "person" else last_person[-1])
    person_offsets = [off for off, _ in persons]
    persons_sorted = person_offsets == sorted(person_offsets)
    for a in attrs:
        w = a.who
        if w.kind != "pronoun":
            continue
        pron = w.text.lower()
        n_prior = bisect.bisect_left(subject_offsets, w.start)
        pick = None
        if pron == "they":
            pick = last_group[n_prior] or last_person[n_prior]
            a.speaker = pick[1] if pick else None
            continue
        want = "m" if pron == "he" else "f"
        # antecedents further back than _PRONOUN_LOOKBACK characters are not looked at: in a
        # long text the backward scans would otherwise make this quadratic
        horizon = w.start - _PRONOUN_LOOKBACK
        for k in range(n_prior - 1, -1, -1):
            cand = subjects[k]
            if cand[0] < horizon:
                break
            if cand[2] == "person" and gender.get(cand[1], want) == want:
                pick = cand[1]
                break
        if pick is None and persons_sorted:
            for k in range(bisect.bisect_left(person_offsets, w.start) - 1, -1, -1):
                off, n = persons[k]
                if off < horizon:
                    break
                if gender.get(n, want) == want:
                    pick = n
                    break
        elif pick is None:
            pick = next(
                (
                    n
                    for off, n in reversed(persons)
                    if horizon <= off < w.start and gender.get(n, want) == want
                ),
                None,
            )
        if pick is not None:
            gender.setdefault(pick, want)
        a.speaker = pick


# how far back (characters) a pronoun's antecedent is looked for: far more than any news
# article, so only texts far longer than one are affected
_PRONOUN_LOOKBACK = 50_000

_NON_ROLE_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "lady", "lord"}


def _titles_of(ctx: _Ctx, ent: Entity) -> list[tuple[int, str, str]]:
    """Role words introducing a PERSON entity: 'Judge Ottilie Brask' -> [(.., 'judge', ..)],
    also 'Finance Minister' or 'glaciologist' just before the entity's text."""
    toks = ent.text.split()
    words = [
        t.rstrip(".").lower() for t in toks[: len(toks) - len(_strip_titles(ent.text).split())]
    ]
    pos = ent.start
    for n, tok in enumerate(reversed(list(_TOKEN_RE.finditer(ctx.m, max(0, pos - 60), pos)))):
        w = tok.group().rstrip(".")
        if ctx.m[tok.end() : pos].strip() or n >= 4:
            break
        low = w.lower()
        if not (_is_title_word(low) or (w[:1].isupper() and w not in _CAP_STOP)):
            break
        words.append(low)
        pos = tok.start()
    # appositives: "the defence lawyer, Omar Feld," / "Omar Feld, a lawyer for the family,"
    before = _APPOS_BEFORE_RE.search(ctx.m, max(0, ent.start - 60), ent.start)
    after = _APPOS_AFTER_RE.match(ctx.m, ent.end)
    words += [x.group(1).lower() for x in (before, after) if x]
    return [
        (ent.start, w, ent.text)
        for w in words
        if w not in _NON_ROLE_TITLES and (_is_title_word(w) or w in _ROLE_FORMS)
    ]


def _titled_person(
    w: _Who, titled: Callable[[], dict[str, list[tuple[int, str]]]], canon: dict[str, str]
) -> str | None:
    """'the judge' -> the last person introduced as a judge before it ('Judge Ottilie Brask',
    'Ottilie Brask, the judge,'); None for other descriptions."""
    words = w.text.split()
    if not 2 <= len(words) <= 4 or words[0].lower() != "the":
        return None
    if not all(x.isalpha() and x.islower() for x in words[1:]):
        return None
    people = titled().get(words[-1], [])
    k = bisect.bisect_left(people, (w.start,))  # the last one introduced before it
    return resolve_speaker(people[k - 1][1], canon) if k else None
