"""Word lists and patterns for quotes and speakers: honorifics, role titles, reporting
verbs, quotation marks and the regexes built from them."""

from __future__ import annotations

import re

Q = "\ue000"  # masks quoted regions so cues and sentence ends inside quotes are ignored
MIN_WORDS = 2
SPEAKER_LABELS = {"PERSON", "ORG", "GPE", "NORP", "FAC", "LOC"}
HONORIFICS = {
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


def word_list(s: str) -> list[str]:
    return s.split()


# job words that may stand right before a name, usually lower-case: "said lead author Elin
# Trask", "glaciologist Elin Trask", "prosecutor Lena Mott" (plus any -ologist / -ician)
_PRE_NAME_ROLES = set(
    word_list("""
author co-author coauthor researcher scientist glaciologist hydrologist economist analyst lawyer
judge prosecutor pharmacist physician doctor nurse professor historian engineer architect
journalist reporter editor columnist writer novelist activist campaigner chemist physicist
biologist specialist strategist lobbyist consultant adviser advisor expert official spokesperson
spokesman spokeswoman investigator detective attorney barrister solicitor defender teacher
farmer owner founder executive curator principal surgeon dentist therapist
psychologist psychiatrist veterinarian vet pilot captain coach""")
)
_ROLE_SUFFIX_RE = re.compile(r"[a-z]{3,}(?:ologist|ician)$")


def is_role_title(low: str) -> bool:
    """A role word that may precede a name: 'Minister', 'lead author', 'glaciologist'."""
    return low in _ROLE_TITLES or low in _PRE_NAME_ROLES or bool(_ROLE_SUFFIX_RE.match(low))


def is_title_word(low: str) -> bool:
    return low in HONORIFICS or is_role_title(low)


GENDER_TITLES = {"mr": "m", "mrs": "f", "ms": "f", "miss": "f", "sir": "m", "dame": "f"}
_ROLES_SINGULAR = word_list("""
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


ROLE_FORMS = frozenset(
    {f for w in _ROLES_SINGULAR for f in (w, *_plural(w))} | {"data", "figures", "estimates"}
)
ALPHA_RE = re.compile(r"[A-Za-z]+")
DETS = {
    "a", "an", "the", "one", "two", "three", "four", "five", "six", "several", "some", "many",
    "most", "other", "few", "both", "all", "various", "numerous", "dozens", "hundreds",
    "another", "his", "her", "their", "its", "our",
}  # fmt: skip
# words that end a description when walking left from its role noun
LEFT_STOP = {
    "said", "says", "say", "told", "and", "but", "or", "nor", "that", "which", "who", "whom",
    "whose", "while", "when", "as", "because", "if", "although", "though", "on", "in", "at",
    "by", "for", "from", "with", "after", "before", "during", "to", "of", "is", "was", "were",
    "are", "be", "been", "has", "had", "have", "not", "also", "then", "this", "these", "those",
    "it", "he", "she", "they", "we", "i", "you", "there", "here", "so", "than", "asked",
    "speaking", "according", "where", "why", "how", "what", "yet", "however", "meanwhile",
}  # fmt: skip
# capitalised words that start sentences but are not names
CAP_STOP = {
    "The", "A", "An", "But", "And", "Or", "On", "In", "At", "After", "Before", "Meanwhile",
    "However", "Yet", "So", "Then", "When", "While", "Asked", "Speaking", "It", "This", "That",
    "There", "We", "I", "You", "He", "She", "They", "According", "Last", "Next", "Earlier",
    "Later", "Still", "Also", "Now", "Today", "Yesterday", "Monday", "Tuesday", "Wednesday",
    "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May",
    "June", "July", "August", "September", "October", "November", "December", "If", "As",
    "Its", "His", "Her", "Their", "Our", "My", "Your", "Some", "Many", "Most", "Other", "Both",
}  # fmt: skip
ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "gen", "col", "lt", "sgt", "capt", "gov", "sen",
    "rep", "jr", "sr", "inc", "ltd", "co", "corp", "vs", "etc", "no", "fr", "rev", "maj", "mt",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx",
}  # fmt: skip
CUE_VERBS = word_list("""
said says say told tells tell added adds warned warns stressed stresses insisted insists
explained explains noted notes argued argues claimed claims announced announces wrote writes
tweeted tweets emphasised emphasises emphasized emphasizes stated states acknowledged
acknowledges admitted admits conceded concedes declared declares continued continues replied
replies responded responds asked asks recalled recalls cautioned cautions predicted predicts
promised promises vowed vows complained complains countered counters remarked remarks observed
observes suggested suggests confirmed confirms maintained maintains posted reported reports
add warn stress insist explain note argue claim announce write emphasise emphasize acknowledge
admit concede declare reply respond recall caution predict promise complain suggest confirm
maintain report called calls described describes recounted recounts recount testified
testifies quipped quips joked jokes lamented laments urged urges pleaded pleads shouted
""")
# verbs that may introduce a reported clause without "that" ("said the plan would fail")
BARE_CLAUSE_VERBS = set(
    word_list(
        """said says say told tells added adds warned warns argued argues claimed claims insisted
    insists noted notes wrote writes stressed stresses admitted admits conceded concedes add
    warn argue claim insist note write stress admit concede acknowledge predict suggest
    acknowledged acknowledges predicted predicts suggested suggests explained explains stated
    states declared declares announced announces confirmed confirms maintained maintains
    emphasised emphasises emphasized emphasizes"""
    )
)
# cues for direct quotes only ("called it “a disgrace”", "asked: “...”")
NO_INDIRECT = {
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
CUE_RE = re.compile(
    r"\b(?:(?P<acc>[Aa]ccording\s+to)"
    r"|(?P<tell>told|tells|tell)(?:\s+" + _TELL_OBJ + r")?"
    r"|(?P<verb>pointed\s+out|went\s+on|" + "|".join(CUE_VERBS) + r"))\b"
)
PP_RE = re.compile(
    r"\s+(?:for|of|at|from|in|with|close\s+to|familiar\s+with|on|inside|within|near|to"
    r"|representing|involved\s+in|briefed\s+on|(?:published|issued|released|commissioned"
    r"|conducted|prepared|seen|obtained|cited|quoted|led|run)\s+by)\s+[^,;:\ue000.!?\n]{1,60}?\s*",
    re.I,
)
TRAIL_ADV_RE = re.compile(
    r"(?:\s+(?:also|later|then|once|again|previously|repeatedly|earlier|recently|reportedly"
    r"|further|simply|firmly|flatly|bluntly|angrily|publicly|privately|separately|finally"
    r"|initially|subsequently|has|had|have|would|will|did|on\s+\w+day|last\s+\w+))+\s*$"
)
AFFIL_RE = re.compile(r"\s+(?:of|from|at|with)\s+(?:the\s+)?$")
PRON_TAIL_RE = re.compile(r"(?:^|[\s,;:—–(\ue000])(he|she|they|He|She|They)\s*$")
PRON_HEAD_RE = re.compile(r"(he|she|they)\b")
_NAME_TOKEN = r"[A-Z][\w'’-]*"
_NAME_CONNECT = r"(?:van|von|de|der|den|da|di|del|la|le|bin|al|el|ibn)"
CAPSEQ_HEAD_RE = re.compile(
    rf"(?:(?:{_NAME_TOKEN}\.?|{_NAME_CONNECT})\s+){{0,4}}{_NAME_TOKEN}(?<!['’])"
)
CAPSEQ_TAIL_RE = re.compile(rf"(?:{_NAME_TOKEN}\.?\s+(?:{_NAME_CONNECT}\s+)?){{0,4}}{_NAME_TOKEN}$")
TOKEN_RE = re.compile(r"[\w'’.&-]+")
WORD_RE = re.compile(r"\w+(?:['’]\w+)*")
WS_COMMA_RE = re.compile(r"[\s,]*")
# "that" after the cue, possibly after an adverbial: "said on Tuesday that", "said, however, that"
THAT_RE = re.compile(
    r"\s*,?\s*(?:(?:on|in|at|during|after|before|from|via|over|late|early|earlier|last|this"
    r"|yesterday|today|however|also|again|repeatedly|privately|publicly|previously|recently"
    r"|once|then)\b[^,.;:!?\ue000]{0,50}?)?,?\s+that\s+",
    re.I,
)
# after a parenthetical cue: "said, and ..." / "said on Tuesday, but ..." / "added, had ..."
PAREN_RE = re.compile(
    r"(?:\s+(?:on|in|at|late|last|this|earlier)\b[^,.;:!?\ue000]{0,40})?\s*,\s*(?:(?:and|but)\s+)?"
)
BARE_ADV_RE = re.compile(
    r"\s*(?:(?:on|last|this|late\s+on|earlier\s+on)\s+\w+|in\s+a\s+statement|in\s+an\s+interview)?"
    r"\s*,?\s+"
)
_AUX = (
    r"would|will|could|can|should|must|may|might|had|has|have|was|were|is|are|did|does|do"
    r"|remained|remains|planned|plans|needed|needs|wanted|wants|expected|expects|'d|’d|'ll|’ll"
)
# a clause: a subject-like first word, then an auxiliary or past-tense verb within ~60 chars
CLAUSE_RE = re.compile(
    r"(?!(?:to|on|in|at|for|with|by|from|of|about|so|goodbye|hello|yes)\b)"
    r"[\w'’-]+\b[^,;:\ue000.!?]{0,60}?\s(?:" + _AUX + r"|[a-z]{3,}ed)\b"
)
SENT_END_RE = re.compile(r"[.!?]+[)\]\"'”’»]*(?=\s+[^\sa-z])")
PARA_RE = re.compile(r"\n[ \t\r]*\n\s*|(?<=[.!?:”\"’'»\ue000])[ \t\r]*\n\s*")
YEAR_APOS_RE = re.compile(r"['‘]\d\d(?:s\b|\b)")
ELISION_RE = re.compile(r"'(?:n'|em\b|til\b|cause\b|tis\b|twas\b)", re.I)
POSS_RE = re.compile(r"['’]s?$")
PUNCT_RE = re.compile(r"[^\w\s-]")
LAST_WORD_RE = re.compile(r"([\w.]+)$")
CLAUSE_BOUNDARY_RE = re.compile(r"[,;:—–()\ue000]|\bthat\b")
ABBR_END_RE = re.compile(r"\b(?:[A-Z]|[A-Z][a-z]{1,3})$")
APPOS_END_RE = re.compile(r"\s*(?:[,.;!?\ue000]|$)")
NEXT_SENT_RE = re.compile(r"\s+[^\sa-z]")
GENDER_RE = re.compile(r"\b(Mr|Mrs|Ms|Miss|Sir|Dame)\.?\s+$")
QUOTE_CHAR_RE = re.compile("[“„«\"‘']")
NESTED_STOP = {".’", ".”", '."', ".'"}  # a quote ending with a nested quote and a full stop
DOUBLE_CLOSE = {"“": "”", "„": "“”", "«": "»", '"': '"'}
SINGLE_CLOSE = {"‘": "’", "'": "'"}
