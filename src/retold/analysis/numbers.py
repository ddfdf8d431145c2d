"""Numbers, amounts, percentages, dates and years in English news text, found by regex.

Pure Python and fast (about 1.5 ms for a number-dense 600-word article), so no spaCy:
it runs on every article, source and retellings alike.

Choices the caller should know about (tests pin each one):

* Spans are exact (``text[q.start:q.end] == q.text``) and never overlap: "$2.5 billion" is
  one money quantity, "March 14, 2025" one date. Approximators ("nearly 40", "more than
  3,000") stay *outside* the span and are not recorded; a sign or the word "minus" is
  inside ("-5", "minus 5"). Surrounding quotes and a sentence-final period are outside.
* Separators: "3,000" and "1.234.567" (two or more dot groups) and "1.234,5" are
  thousands; a single dot group is a decimal point ("3.000" is 3.0) because English
  news uses the dot as decimal point and we would rather miss a European amount than
  inflate an English one. "3,5" is two numbers. Narrow/no-break spaces group thousands.
* Magnitudes: k/K, m/M/mn/mln, b/bn/bln, tn/trn, lakh, crore and the words; "1.2m" is
  1.2 million even though it could be metres. Vague plurals ("hundreds", "thousands of")
  are not quantities.
* The word "one" alone is too noisy ("one of the officials", "no one"); it counts only
  inside a larger number ("twenty-one"), before a magnitude, percent, currency or time
  unit, before a short list of count nouns ("one person", "one soldier") or as the start
  of a range ("one or two"). The digit "1" always counts. :func:`parse_number` accepts it.
* ``unit`` for kind ``number`` is the head noun after the number, lower-cased and kept
  singular/plural as written: among the next three words (stopping at punctuation or a
  function word) the first that looks plural, else the first that is not a common
  adjective. "12 new rail lines" -> "lines", "3,000 troops" -> "troops", "1 person died"
  -> "person". Clock times get unit "time" and value hh*100+mm (24-hour).
* Kinds and values: ``percent`` (unit "%", or "pp" for percentage/basis points, basis
  points divided by 100); ``money`` (unit an ISO code in lower case, value in whole
  currency units, cents/pence divided by 100; bare "dollars" is usd, "pounds" gbp);
  ``duration`` (value the count, unit the singular time word: "48 hours" -> 48 "hour");
  ``ordinal`` ("third", "3rd"; unit the following noun: "first time" -> "time");
  ``year`` (a bare 1800-2100 four-digit integer, unless a plural noun follows without a
  year cue before, e.g. "1500 troops"; "2,025 people" is a number; "1990s" is year 1990
  with unit "decade"); ``date`` (value yyyymmdd, or month*100+day without a year, or
  yyyymm00 / month*100 for month-only dates "March 2025" / "in March"; month-only needs a
  cue such as "in", "since", "by", "mid-" so "Theresa May" is no date; numeric d/m/y
  dates are read day-first unless that is impossible). Weekday names are kind ``date``,
  unit "weekday", value -1 (Monday) .. -7 (Sunday) so they never equal a calendar key;
  calendar dates have unit "date".
* Fractions "two-thirds", "a quarter of" are kind ``number`` with a fractional value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from retold.types import Quantity, QuantityKind

__all__ = ["describe", "find_quantities", "parse_number", "same_value"]

_SP = r"[ \t\u00a0]"  # horizontal space only: a number never continues across a line break

# --- vocabularies --------------------------------------------------------------------


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_WORD_TOKENS = [*_SMALL, *_TENS, "hundred", *_SCALES, "dozen"]

_MAGNITUDE = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "million": 1e6,
    "b": 1e9, "bn": 1e9, "bln": 1e9, "billion": 1e9, "tn": 1e12, "trn": 1e12,
    "trillion": 1e12, "lakh": 1e5, "crore": 1e7,
}  # fmt: skip

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17,
    "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40,
    "fiftieth": 50, "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90,
    "hundredth": 100, "thousandth": 1000, "millionth": 1_000_000,
}  # fmt: skip
_DENOMINATORS = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
    "fourth": 4, "fourths": 4, "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6,
    "seventh": 7, "sevenths": 7, "eighth": 8, "eighths": 8, "ninth": 9, "ninths": 9,
    "tenth": 10, "tenths": 10,
}  # fmt: skip

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_NAMES = [m.capitalize() for m in list(_MONTHS)[:12]]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

_TIME_UNITS = {
    "second": "second", "seconds": "second", "sec": "second", "secs": "second",
    "minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute",
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour", "h": "hour",
    "day": "day", "days": "day", "week": "week", "weeks": "week",
    "fortnight": "fortnight", "fortnights": "fortnight", "month": "month", "months": "month",
    "year": "year", "years": "year", "yr": "year", "yrs": "year",
    "decade": "decade", "decades": "decade", "century": "century", "centuries": "century",
    "millennium": "millennium", "millennia": "millennium",
}  # fmt: skip
_SECONDS = {
    "second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0, "week": 7 * 86400.0,
    "fortnight": 14 * 86400.0, "year": 365.25 * 86400.0, "month": 365.25 * 86400.0 / 12,
    "decade": 3652.5 * 86400.0, "century": 36525 * 86400.0, "millennium": 365250 * 86400.0,
}  # fmt: skip

_CUR_SYMBOLS = {
    "$": "usd", "US$": "usd", "A$": "aud", "AU$": "aud", "C$": "cad", "CA$": "cad",
    "NZ$": "nzd", "HK$": "hkd", "S$": "sgd", "R$": "brl", "€": "eur", "£": "gbp",
    "¥": "jpy", "₹": "inr", "₽": "rub", "₩": "krw", "₺": "try", "₴": "uah",
    "Rs": "inr", "Rs.": "inr", "RMB": "cny",
}  # fmt: skip
_CUR_CODES = sorted(
    _wordset(
        "USD EUR GBP JPY CNY INR CHF AUD CAD RUB UAH SEK NOK DKK PLN CZK HUF TRY BRL ZAR "
        "KRW HKD SGD NZD MXN"
    )
)
_CUR_WORDS = {
    "dollar": "usd", "euro": "eur", "pound": "gbp", "sterling": "gbp", "yen": "jpy",
    "yuan": "cny", "renminbi": "cny", "rupee": "inr", "rouble": "rub", "ruble": "rub",
    "franc": "chf", "hryvnia": "uah", "zloty": "pln", "krona": "sek", "kronor": "sek",
    "krone": "nok", "kroner": "nok", "lira": "try", "cent": "usd", "pence": "gbp",
}  # fmt: skip
_CUR_ADJ = {
    "us": "usd", "u.s.": "usd", "american": "usd", "australian": "aud", "canadian": "cad",
    "new zealand": "nzd", "hong kong": "hkd", "singapore": "sgd", "swiss": "chf",
}  # fmt: skip

# Words after a number that end its noun phrase (no head noun to report).
_STOP = _wordset(
    """a an the and or but nor yet of to in on at by for from with without within as than
    that which who whom whose is are was were be been being has have had will would could
    should may might can must do does did not no so if when while after before since until
    up down out over under into onto about around against between among through during
    including per each this these those it its they their them he his him she her we our
    us you your i me yesterday today tomorrow ago last next later earlier alone only also
    too just said says told say according then there here now more less fewer apiece
    year-on-year month-on-month year-over-year quarter-on-quarter"""
)
# Adjectives skipped when looking for the head noun ("12 new rail lines").
_ADJ = _wordset(
    """new additional extra other further separate different major minor small large big
    key senior former foreign local young old armed strong full entire whole total top
    leading main known confirmed estimated reported registered suspected straight
    consecutive successive biggest largest highest lowest best worst"""
)
_IRREGULAR_PLURALS = _wordset(
    "people children men women police staff personnel cattle livestock feet teeth"
)
# Count nouns that make a lone "one" worth reporting.
_ONE_NOUNS = _wordset(
    """person man woman child boy girl baby soldier officer civilian victim student patient
    passenger worker employee resident vote seat goal death fatality casualty suspect
    journalist firefighter doctor nurse teenager adult"""
)
# A bare four-digit number after one of these is a year even if a plural noun follows.
_YEAR_CUES = _wordset(
    """in since until till during the by from early late mid before after fiscal through
    around circa pre post spring summer autumn fall winter year"""
) | frozenset(_MONTHS)
# Plural nouns that typically follow a year ("2019 levels", "the 2024 elections").
_YEAR_NOUNS = _wordset(
    """levels figures elections results games olympics accords riots protests standards
    rates prices numbers emissions budgets winners graduates models"""
)

# --- regular expressions -------------------------------------------------------------

_MONTH_RE = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)(?![A-Za-z])"
)

# Every scanning pattern starts with a lookahead on its first character: that lets the
# regex engine skip ahead with a character-set search instead of trying every position
# (about 4x faster). Word patterns run on a lower-cased copy of the text (same offsets).
_DIGIT_DATE_RE = re.compile(
    r"(?=\d)\b(?:"
    r"(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})\b"  # ISO 2025-03-14
    r"|(?P<na>\d{1,2})(?P<ns>[/.])(?P<nb>\d{1,2})(?P=ns)(?P<ny>\d{4})\b"  # 14/03/2025
    rf"|(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b{_SP}+(?:of{_SP}+)?(?P<m>{_MONTH_RE})"  # 14 March
    rf"(?:,?{_SP}+(?P<y>\d{{4}})\b)?)"
)
_MONTH_DATE_RE = re.compile(
    rf"(?=[JFMASOND])\b(?P<m>{_MONTH_RE})(?:{_SP}+(?:"
    rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?{_SP}+(?P<y>\d{{4}})\b)?"  # March 14, 2025
    rf"|(?:of{_SP}+)?(?P<y2>\d{{4}})\b))?"  # March 2025; a lone month needs a cue before it
)
_MONTH_CUES = _wordset(
    """in since until till by from to through during before after early late last next
    this of between and or each every mid"""
)
_WEEKDAY_RE = re.compile(r"(?=[MTWFS])\b(?:" + "|".join(_WEEKDAYS) + r")\b")

_NUM_CORE = (
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 3,000 / 1,234.5
    r"|\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?"  # 1.234.567 (clearly grouped)
    r"|\d{1,3}\.\d{3},\d{1,2}(?!\d)"  # 1.234,5
    r"|\d{1,3}(?:[\u00a0\u202f\u2009]\d{3})+(?:[.,]\d+)?"  # 1 000 000 with narrow spaces
    r"|\d+(?:\.\d+)?"
)
_DIGIT_RE = re.compile(
    rf"(?=\d)(?:(?P<clock>\d{{1,2}}:\d{{2}})|(?P<num>{_NUM_CORE}))(?!\d)(?P<glued>[A-Za-z]+)?"
)
# currency written before the digits, found by looking back from them
_CUR_BEFORE_RE = re.compile(
    r"(?:(?:US|AU|A|CA|C|NZ|HK|S|R)?\$|[€£¥₹₽₩₺₴]"
    rf"|(?:{'|'.join(_CUR_CODES)}|RMB|Rs\.?){_SP}?)\Z"
)


def _first_chars(words: list[str]) -> str:
    return "".join(sorted({w[0] for w in words}))


_WT = "(?:" + "|".join(sorted(_WORD_TOKENS, key=len, reverse=True)) + r")\b"
_WORD_RUN_RE = re.compile(
    rf"(?=[{_first_chars(_WORD_TOKENS)}])\b{_WT}"
    rf"(?:(?:{_SP}+and{_SP}+|{_SP}*-{_SP}*|{_SP}+){_WT})*"
    rf"(?:{_SP}+and{_SP}+a{_SP}+half\b)?"
)
_HALF_A_RE = re.compile(rf"\b(?:half{_SP}+)?a{_SP}+\Z")
_LETTERS_RE = re.compile(r"[a-z]+")
_NUMERATORS = ["a", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_FRACTION_RE = re.compile(
    rf"(?=[{_first_chars(_NUMERATORS)}])\b(?P<n>{'|'.join(_NUMERATORS)})(?P<sep>[ \t]+|-)"
    r"(?P<d>" + "|".join(sorted(_DENOMINATORS, key=len, reverse=True)) + r")\b"
    rf"(?P<of>{_SP}+of\b)?"
)
_HALF_UNIT_RE = re.compile(
    rf"(?=h)\bhalf{_SP}+an?{_SP}+(?P<u>second|minute|hour|day|week|month|year|decade|century)\b"
)
_TENS_RE = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_ORD_WORD_RE = re.compile(
    rf"(?=[{_first_chars(list(_ORDINALS) + list(_TENS))}])"
    rf"\b(?:(?P<tens>{_TENS_RE})-)?"
    r"(?P<o>" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + r")\b"
)

_MAG_AFTER_RE = re.compile(
    rf"(?:{_SP}|-)?(thousand|million|billion|trillion|mn|mln|bn|bln|tn|trn|lakh|crore)\b",
    re.I,
)
_PCT_AFTER_RE = re.compile(
    rf"{_SP}?%|{_SP}?(?i:per{_SP}?cent|percent|pct)\b"
    rf"|{_SP}(?P<pp>(?i:percentage)[{_SP[1:-1]}-]points?|basis{_SP}points?)\b"
)
_CUR_AFTER_RE = re.compile(
    rf"{_SP}+(?:(?P<adj>(?i:US|U\.S\.|American|Australian|Canadian|New Zealand|Hong Kong"
    rf"|Singapore|Swiss)){_SP}+)?(?P<w>(?i:dollars?|euros?|pounds?(?:{_SP}+sterling)?|sterling"
    r"|yen|yuan|renminbi|rupees?|roubles?|rubles?|francs?|hryvnias?|zlotys?|kronor|krona"
    r"|kroner|krone|liras?|cents?|pence))\b"
    rf"|{_SP}+(?P<code>{'|'.join(_CUR_CODES)})\b"
)
_TIME_AFTER_RE = re.compile(
    rf"(?:{_SP}+|{_SP}*-{_SP}*)(?P<u>"
    + "|".join(sorted((u for u in _TIME_UNITS if u != "h"), key=len, reverse=True))
    + r")\b(?!-(?:on|over|to|end)\b)"  # "3% year-on-year", "year-to-date" are no durations
)
_AMPM_RE = re.compile(rf"{_SP}?(?:(?P<a>[ap])\.m\.|(?P<b>[ap])m\b)", re.I)
_DEGREE_RE = re.compile(rf"{_SP}?°(?:{_SP}?(?P<s>[CF])(?![A-Za-z]))?")
_WORD = r"[A-Za-z][A-Za-z'’]*(?:-[A-Za-z]+)*"  # hyphenated compounds count as one word
_WORDS_AFTER_RE = re.compile(rf"(?:{_SP}+|-)({_WORD})(?:{_SP}+({_WORD}))?(?:{_SP}+({_WORD}))?")
_NEXT_LOWER_RE = re.compile(rf"{_SP}+([a-z]+)\b")
_PREV_WORD_RE = re.compile(rf"([A-Za-z]+){_SP}*-?\Z")
_MINUS_RE = re.compile(rf"\b(?i:minus){_SP}+\Z")
_ONE_OK_RE = re.compile(
    rf"{_SP}+(?:(?:or|to|and){_SP}+(?:\d|(?i:two|three|four|five|six|seven|eight|nine|ten)\b)"
    rf"|in{_SP}+(?:\d|(?i:two|three|four|five|six|seven|eight|nine|ten)\b))"
)
_RANGE_GAP_RE = re.compile(rf"{_SP}*(?:-|–|—|(?i:to|and|or)){_SP}*")

_GLUED_UNITS = _wordset(
    "km kg mm cm ft mph kph kmh mw gw kw kwh mwh gwh twh mb gb tb ghz mhz ml lb lbs oz x"
)


@dataclass(slots=True)
class _Hit:
    start: int
    end: int
    value: float
    kind: QuantityKind
    unit: str = ""
    scale: float = 1.0  # magnitude applied (1e6 for "3m"): ranges copy it to a bare partner
    bare: bool = False  # plain number with nothing attached: may inherit from a range partner


# --- public API ----------------------------------------------------------------------


def find_quantities(text: str) -> list[Quantity]:
    """Every number, amount, percentage, date, year, ordinal and duration in ``text``,
    in text order, with exact offsets and ``sentence=-1`` (the caller fills it)."""
    return [
        Quantity(text[h.start : h.end], h.start, h.end, h.value, h.kind, h.unit)
        for h in _scan(text, lenient=False)
    ]


def parse_number(s: str) -> float | None:
    """The value of a string that is exactly one number expression, else None.

    Surrounding whitespace, quotes, brackets and trailing punctuation are ignored.
    Percentages, money, durations, years and ordinals give their number ("30 per cent"
    -> 30.0, "$2bn" -> 2e9, "third" -> 3.0); dates and text with extra words give None.
    """
    edge = " \t\r\n\u00a0\"'“”‘’()[]"
    t = s.strip(edge)
    # a final period may belong to the number ("3 p.m.") or end a sentence ("3.5.")
    for cand in dict.fromkeys((t, t.rstrip(".,;:!?").strip(edge))):
        hits = _scan(cand, lenient=True) if cand else []
        if len(hits) == 1 and hits[0].start == 0 and hits[0].end == len(cand):
            return None if hits[0].kind == "date" else hits[0].value
    return None


def same_value(a: Quantity, b: Quantity, rel_tol: float = 0.005) -> bool:
    """Whether two quantities state the same thing, within ``rel_tol`` for amounts.

    Kinds must match, except that a year equals a date in that year. Plain numbers ignore
    their noun ("3,000 troops" == "three thousand soldiers": the caller judges the noun).
    Money needs the same currency, percent the same unit (% vs percentage points),
    durations compare in seconds ("48 hours" == "two days"). Dates compare the parts both
    give: "March" == "March 14" == "March 14, 2025", and a weekday equals a full date
    falling on it.
    """
    if a.kind == "date" or b.kind == "date":
        return _same_date(a, b)
    if a.kind != b.kind:
        return False
    if a.kind == "duration":
        sa, sb = _SECONDS.get(a.unit), _SECONDS.get(b.unit)
        if sa is None or sb is None:
            return a.unit == b.unit and _close(a.value, b.value, rel_tol)
        return _close(a.value * sa, b.value * sb, rel_tol)
    if a.kind in ("year", "ordinal"):
        return a.value == b.value and (a.kind == "ordinal" or a.unit == b.unit)
    if a.kind in ("money", "percent") and a.unit and b.unit and a.unit != b.unit:
        return False
    if a.kind == "number" and (a.unit == "time") != (b.unit == "time"):
        return False
    return _close(a.value, b.value, rel_tol)


def describe(q: Quantity) -> str:
    """A short normalised form for reports: "3000 troops", "30%", "USD 2,500,000,000"."""
    v = q.value
    if q.kind == "percent":
        return f"{_fmt(v)} percentage points" if q.unit == "pp" else f"{_fmt(v)}%"
    if q.kind == "money":
        amount = f"{v:,.0f}" if math.isfinite(v) and v == int(v) else f"{v:,.2f}"
        return f"{q.unit.upper()} {amount}".strip()
    if q.kind == "date":
        return _describe_date(v)
    if q.kind == "year":
        return f"{int(v)}s" if q.unit == "decade" else str(int(v))
    if q.kind == "duration":
        unit = q.unit
        if v != 1:
            unit = {"century": "centuries", "millennium": "millennia"}.get(unit, unit + "s")
        return f"{_fmt(v)} {unit}"
    if q.kind == "ordinal":
        return f"{_ordinal(int(v))} {q.unit}".strip()
    if q.unit == "time":
        return f"{int(v) // 100:02d}:{int(v) % 100:02d}"
    return f"{_fmt(v)} {q.unit}".strip()


# --- scanning ------------------------------------------------------------------------


def _scan(text: str, lenient: bool) -> list[_Hit]:
    low = text.lower()
    if len(low) != len(text):  # a few characters change length when lower-cased ("İ")
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    taken = bytearray(len(text))
    hits: list[_Hit] = []

    def free(s: int, e: int) -> bool:
        return taken.find(1, s, e) == -1

    def add(h: _Hit | None) -> None:
        # a 400-digit "number" overflows to inf: not a quantity anyone can compare
        if h is not None and free(h.start, h.end) and math.isfinite(h.value):
            hits.append(h)
            taken[h.start : h.end] = b"\x01" * (h.end - h.start)

    # Dates first: their digits must not be read again as numbers and years.
    for m in _DIGIT_DATE_RE.finditer(text):
        add(_date_hit(m))
    for m in _MONTH_DATE_RE.finditer(text):
        add(_month_hit(low, m))
    for m in _WEEKDAY_RE.finditer(text):
        add(_Hit(m.start(), m.end(), -float(_WEEKDAYS.index(m.group()) + 1), "date", "weekday"))

    for m in _FRACTION_RE.finditer(low):
        d = m.group("d")
        if m.group("sep") == "-" or d.endswith("s") or m.group("of"):
            n = 1 if m.group("n") == "a" else _SMALL[m.group("n")]
            add(_Hit(m.start(), m.end("d"), n / _DENOMINATORS[d], "number"))
    for m in _HALF_UNIT_RE.finditer(low):
        add(_Hit(m.start(), m.end(), 0.5, "duration", m.group("u")))

    for m in _DIGIT_RE.finditer(text):
        if free(m.start(), m.end()):
            add(_digit_hit(text, m))
    # ordinal words before number words: "twenty-first" is one ordinal, not 20 + "first"
    for m in _ORD_WORD_RE.finditer(low):
        if free(m.start(), m.end()):
            add(_ordinal_word_hit(text, m))
    for m in _WORD_RUN_RE.finditer(low):
        if free(m.start(), m.end()):
            for h in _word_hits(text, low, m, lenient):
                add(h)

    hits.sort(key=lambda h: h.start)
    _propagate_ranges(text, hits)
    return hits


def _date_hit(m: re.Match[str]) -> _Hit | None:
    g = m.group
    if g("iy"):
        y, month, day = int(g("iy")), int(g("im")), int(g("id"))
    elif g("na"):  # numeric d/m/y, day first unless impossible
        a, b, y = int(g("na")), int(g("nb")), int(g("ny"))
        day, month = (a, b) if b <= 12 else (b, a)
    else:
        y = int(g("y")) if g("y") else 0
        month, day = _MONTHS[g("m").rstrip(".").lower()], int(g("d"))
    return _valid_date(m.start(), m.end(), y, month, day)


def _month_hit(low: str, m: re.Match[str]) -> _Hit | None:
    name = m.group("m")
    month = _MONTHS[name.rstrip(".").lower()]
    if m.group("d"):
        y = int(m.group("y")) if m.group("y") else 0
        return _valid_date(m.start(), m.end(), y, month, int(m.group("d")))
    if m.group("y2"):
        return _valid_date(m.start(), m.end(), int(m.group("y2")), month, 0)
    # a lone month: only after a cue, so "Theresa May" and "March organisers" are no dates
    s, e = m.start("m"), m.end("m")
    if name not in _MONTH_NAMES:
        return None  # abbreviations ("Mar", "Jan") alone are names or other words
    pw = _PREV_WORD_RE.search(low, max(0, s - 12), s)
    cue = pw.group(1) if pw else ""
    if cue not in _MONTH_CUES or (cue in ("and", "or", "of", "to") and name == "May"):
        return None  # "Johnson and May": the surname, not the month
    return _Hit(s, e, month * 100.0, "date", "date")


def _valid_date(start: int, end: int, y: int, month: int, day: int) -> _Hit | None:
    if y and not 1000 <= y <= 2999:
        return None
    try:
        date(y or 2000, month, day or 1)  # 2000 is a leap year: Feb 29 passes without a year
    except ValueError:
        return None
    return _Hit(start, end, float(y * 10000 + month * 100 + day), "date", "date")


def _digit_hit(text: str, m: re.Match[str]) -> _Hit | None:
    start, end, glued = m.start(), m.end(), m.group("glued")
    cur = sign = None
    cm = _CUR_BEFORE_RE.search(text, max(0, start - 5), start) if start else None
    if cm and not (cm.start() and text[cm.start() - 1].isalnum()):
        cur, start = cm.group().strip(), cm.start()
    if start and text[start - 1] in "-−+":
        before = text[start - 2] if start > 1 else " "
        if not (before.isalnum() or before in ")]-–.,%"):
            sign, start = text[start - 1], start - 1  # else a joiner: "2020-2025", "COVID-19"
    if not cur and not sign and start > 0:
        before = text[start - 1]
        if before.isalpha() or before == "_" or before.isdigit():
            return None  # part of a token: "G7", "A380", "B52"
        if before == "." and start > 1 and text[start - 2].isdigit():
            return None  # version numbers "1.2.3"
        if before in "-–" and start > 1 and text[start - 2].isalpha():
            pw = _PREV_WORD_RE.search(text, max(0, start - 12), start)
            if not pw or pw.group(1).lower() not in ("mid", "pre", "post", "early", "late"):
                return None  # identifiers like "COVID-19", "F-35"
    currency = (_CUR_SYMBOLS.get(cur) or cur.lower()) if cur else None
    neg = sign in ("-", "−")
    if not sign:
        mm = _MINUS_RE.search(text, max(0, start - 12), start)
        if mm:
            start, neg = mm.start(), True

    clock = m.group("clock")
    if clock:
        h, mi = (int(x) for x in clock.split(":"))
        end = m.end("clock")
        ap = _AMPM_RE.match(text, end)
        if ap and not glued:
            h, end = _to_24h(h, (ap.group("a") or ap.group("b")).lower()), ap.end()
        elif glued and glued.lower() in ("am", "pm"):
            h, end = _to_24h(h, glued[0].lower()), m.end()
        elif glued:
            return None
        if h > 24 or mi > 59 or cur:
            return None
        return _Hit(start, end, float(h * 100 + mi), "number", "time")

    raw = m.group("num")
    if text.startswith(".", m.end("num")) and text[m.end("num") + 1 : m.end("num") + 2].isdigit():
        return None  # version numbers "1.2.3"
    if len(raw) > 1 and not raw.strip("0"):
        return None  # "000": a thousands group cut off by a plain space
    value = _parse_digits(raw)
    if neg:
        value = -value
    plain_int = raw.isdigit()
    end = m.end("num")
    scale = 1.0
    if glued:
        g = glued.lower()
        end = m.end()
        if g in ("st", "nd", "rd", "th"):
            if not plain_int or cur:
                return None
            return _Hit(start, end, value, "ordinal", _head_noun(text, end, value))
        if g in _MAGNITUDE and g not in ("lakh", "crore"):
            scale = _MAGNITUDE[g]
            value *= scale
        elif g == "s":
            if len(raw) == 4 and raw.endswith("0") and 1800 <= value <= 2100 and not cur:
                return _Hit(start, end, value, "year", "decade")
            return None  # "80s", "5s": too ambiguous
        elif g in ("pc", "pct"):
            return _Hit(start, end, value, "percent", "%")
        elif g in ("bp", "bps"):
            return _Hit(start, end, value / 100, "percent", "pp")
        elif g in ("am", "pm"):
            tm = re.fullmatch(r"(\d{1,2})(?:\.(\d{2}))?", raw)  # "3pm", "10.30am"
            if not tm or cur or not 1 <= int(tm.group(1)) <= 12 or int(tm.group(2) or 0) > 59:
                return None
            hh = _to_24h(int(tm.group(1)), g[0])
            return _Hit(start, end, float(hh * 100 + int(tm.group(2) or 0)), "number", "time")
        elif g == "p" and not cur:
            return _Hit(start, end, value / 100, "money", "gbp")
        elif g in ("h", "hr", "hrs", "min", "mins"):
            return _Hit(start, end, value, "duration", _TIME_UNITS[g])
        elif glued in ("C", "F"):
            return _Hit(start, end, value, "number", "°" + g)
        elif g in _GLUED_UNITS:
            return _Hit(start, end, value, "number", g)
        else:
            return None  # "5G", "3D": names, not amounts
    if not glued:
        ap = _AMPM_RE.match(text, end)
        if ap and plain_int and 1 <= value <= 12 and not cur:
            hh = _to_24h(int(value), (ap.group("a") or ap.group("b")).lower())
            return _Hit(start, ap.end(), float(hh * 100), "number", "time")
        deg = _DEGREE_RE.match(text, end)
        if deg and not cur:
            unit = "°" + (deg.group("s") or "").lower()
            return _Hit(start, deg.end(), value, "number", unit)
    year_ok = plain_int and len(raw) == 4 and not cur and not sign and scale == 1
    return _finish(text, start, end, value, currency, scale, year_ok=year_ok)


def _finish(
    text: str,
    start: int,
    end: int,
    value: float,
    currency: str | None,
    scale: float,
    *,
    year_ok: bool = False,
    lone_one: bool = False,
    lenient: bool = False,
) -> _Hit | None:
    """Attach what follows a number: magnitude, currency, percent, time unit or noun."""
    if scale == 1:
        mg = _MAG_AFTER_RE.match(text, end)
        if mg:
            scale = _MAGNITUDE[mg.group(1).lower()]
            value, end = value * scale, mg.end()
    if currency is None:
        cm = _CUR_AFTER_RE.match(text, end)
        if cm:
            word = (cm.group("w") or "").lower()
            if cm.group("code"):
                currency = cm.group("code").lower()
            else:
                base = word.split()[0]
                base = base if base in _CUR_WORDS else base.rstrip("s")
                currency = _CUR_WORDS.get(base, "usd")
                adj = (cm.group("adj") or "").lower()
                if adj:
                    currency = _CUR_ADJ.get(adj, currency)
                if base in ("cent", "pence"):
                    value /= 100
            end = cm.end()
    if currency:
        return _Hit(start, end, value, "money", currency, scale)
    pm = _PCT_AFTER_RE.match(text, end)
    if pm:
        pp = pm.group("pp")
        if pp and pp.lower().startswith("basis"):
            value /= 100
        return _Hit(start, pm.end(), value, "percent", "pp" if pp else "%", scale)
    tm = _TIME_AFTER_RE.match(text, end)
    if tm:
        return _Hit(start, tm.end(), value, "duration", _TIME_UNITS[tm.group("u").lower()], scale)
    unit = _head_noun(text, end, value)
    if (
        lone_one
        and scale == 1
        and not lenient
        and unit not in _ONE_NOUNS
        and not _ONE_OK_RE.match(text, end)
    ):
        return None  # "one of the officials", "no one"
    if year_ok and 1800 <= value <= 2100 and _is_year(text, start, end):
        return _Hit(start, end, value, "year")
    bare = scale == 1 and not unit
    return _Hit(start, end, value, "number", unit, scale, bare)


def _word_hits(text: str, low: str, m: re.Match[str], lenient: bool) -> list[_Hit]:
    """Split a run of number words into numbers ("between three and four" is two)."""
    base = m.start()
    toks = [(t.group(), base + t.start(), base + t.end()) for t in _LETTERS_RE.finditer(m.group())]
    out: list[_Hit] = []
    i, n = 0, len(toks)
    while i < n:
        seg_start = toks[i][1]
        mult, implied = 1.0, False
        j = i
        if i == 0 and (toks[0][0] in _SCALES or toks[0][0] in ("hundred", "dozen")):
            # "a million", "half a dozen": the article stands for one
            pre = _HALF_A_RE.search(low, max(0, base - 8), base)
            if pre:
                seg_start, implied = pre.start(), True
                mult = 0.5 if pre.group().startswith("half") else 1.0
        total, current, last_scale = 0.0, 0.0, 0.0
        prev: str | None = None
        numeric = 0
        seg_end = toks[j][2]
        last_word = ""
        while j < n:
            w = toks[j][0]
            if w == "and":
                if j + 2 < n and toks[j + 1][0] == "a" and toks[j + 2][0] == "half" and numeric:
                    current += 0.5
                    seg_end, j = toks[j + 2][2], j + 3
                    break
                if (
                    prev in ("hundred", "scale")
                    and j + 1 < n
                    and (toks[j + 1][0] in _SMALL or toks[j + 1][0] in _TENS)
                ):
                    prev, j = "and", j + 1
                    continue
                break
            if w in _SMALL:
                # "twenty-five" but not "twenty fifteen" or "five six"
                ok = prev in (None, "and", "hundred", "scale") or (
                    prev == "tens" and 0 < _SMALL[w] < 10
                )
                if not ok:
                    break
                current += _SMALL[w]
                prev = "unit"
            elif w in _TENS:
                if prev not in (None, "and", "hundred", "scale"):
                    break
                current += _TENS[w]
                prev = "tens"
            elif w == "hundred":
                if prev not in (None, "unit", "tens"):
                    break
                current = (current or 1) * 100
                prev = "hundred"
            elif w == "dozen":
                if prev not in (None, "unit", "tens"):
                    break
                current = (current or 1) * 12
                prev = "dozen"
            elif w in _SCALES:
                if prev not in (None, "unit", "tens", "hundred", "dozen"):
                    break
                sc = _SCALES[w]
                if last_scale and sc > last_scale:
                    total = (total + current) * sc
                else:
                    total += (current or 1) * sc
                current, last_scale, prev = 0.0, sc, "scale"
            else:
                break
            numeric += 1
            last_word = w
            seg_end = toks[j][2]
            j += 1
        if numeric:
            value = (total + current) * mult
            lone = value == 1 and numeric == 1 and not implied
            scale = _SCALES.get(last_word, 1.0)
            h = _finish(
                text, seg_start, seg_end, value, None, scale, lone_one=lone, lenient=lenient
            )
            if h is not None:
                if scale != 1:
                    h.bare = False
                out.append(h)
        # resume after this segment, skipping a joining "and"
        i = max(j, i + 1)
        while i < n and toks[i][0] == "and":
            i += 1
    return out


def _ordinal_word_hit(text: str, m: re.Match[str]) -> _Hit | None:
    lw = m.group("o")
    s, e = m.start(), m.end()
    first = text[s]
    before = text[max(0, s - 12) : s].rstrip()
    after = text[e : e + 8]
    if first.isupper():
        sentence_start = not before or before[-1] in ".!?\"“”'‘’(:\n"
        title = re.match(rf"{_SP}+[A-Z]", after)
        if not sentence_start or title or after.startswith(","):
            return None  # "First Lady", "Second World War"; "First, ..." (enumeration)
    prev = before.split()[-1].lower() if before.split() else ""
    if lw == "first" and (prev == "at" or re.match(rf"{_SP}+of{_SP}+all\b", after)):
        return None
    if lw == "second" and prev in ("per", "split", "every") and not m.group("tens"):
        return None  # the time unit
    if after.startswith("-hand"):
        return None
    value = _ORDINALS[lw] + (_TENS[m.group("tens").lower()] if m.group("tens") else 0)
    return _Hit(s, e, float(value), "ordinal", _head_noun(text, e, value))


def _propagate_ranges(text: str, hits: list[_Hit]) -> None:
    """ "3 to 4 million", "between 3,000 and 4,000 troops", "$3-4bn": share what the range
    states once between its two ends."""
    for a, b in zip(hits, hits[1:], strict=False):
        if b.start - a.end > 7 or not _RANGE_GAP_RE.fullmatch(text, a.end, b.start):
            continue
        b_raw = b.value / b.scale if b.scale else b.value
        if a.bare and b.kind in ("number", "money", "percent", "duration") and b.unit != "time":
            if b.scale != 1 and a.value < b_raw:
                a.value *= b.scale
                a.scale = b.scale
            elif b.scale != 1:
                continue
            a.kind, a.unit, a.bare = b.kind, b.unit, False
        elif (
            a.kind == "money"
            and a.scale == 1
            and b.kind == "number"
            and b.scale != 1
            and not b.unit
            and a.value < b_raw
        ):
            a.value *= b.scale
            a.scale = b.scale
            b.kind, b.unit = "money", a.unit


# --- helpers -------------------------------------------------------------------------


def _parse_digits(raw: str) -> float:
    if "," in raw and "." in raw and raw.index(".") < raw.index(","):
        return float(raw.replace(".", "").replace(",", "."))  # 1.234,5
    if raw.count(".") > 1:
        return float(raw.replace(".", "").replace(",", "."))  # 1.234.567
    for sep in ("\u00a0", "\u202f", "\u2009"):
        raw = raw.replace(sep, "")
    if "," in raw and re.fullmatch(r"\d+,\d{1,2}", raw):
        return float(raw.replace(",", "."))  # "1 000,5" after removing the spaces
    return float(raw.replace(",", ""))


def _to_24h(h: int, ap: str) -> int:
    if ap == "p" and h < 12:
        return h + 12
    if ap == "a" and h == 12:
        return 0
    return h


def _head_noun(text: str, pos: int, value: float) -> str:
    """The noun a number counts, from up to three following words (see module doc)."""
    m = _WORDS_AFTER_RE.match(text, pos)
    if not m:
        return ""
    cands: list[str] = []
    for w in m.groups():
        if not w or w in _STOP:
            break
        lw = w.lower().replace("’", "'")
        possessive = lw.endswith("'s")
        cands.append(lw[:-2] if possessive else lw.rstrip("'"))
        if possessive:
            break
    if not cands:
        return ""
    if value != 1:  # a singular count is followed by a singular noun: skip the plural pass
        for w in cands:
            if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ous")):
                return w
        for w in cands:
            if w in _IRREGULAR_PLURALS:
                return w
    for w in cands:
        if w not in _ADJ:
            return w
    return ""


def _is_year(text: str, start: int, end: int) -> bool:
    nxt = _NEXT_LOWER_RE.match(text, end)
    if not nxt:
        return True
    w = nxt.group(1)
    plural = len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ous"))
    if not (plural or w in _IRREGULAR_PLURALS) or w in _YEAR_NOUNS:
        return True
    pw = _PREV_WORD_RE.search(text, max(0, start - 20), start)
    return bool(pw) and pw.group(1).lower() in _YEAR_CUES


def _close(a: float, b: float, rel_tol: float) -> bool:
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-9)


def _date_parts(v: float) -> tuple[int, int, int, int]:
    """(weekday, year, month, day); zero where unknown."""
    iv = int(v)
    if iv < 0:
        return -iv, 0, 0, 0
    if iv >= 10000:
        return 0, iv // 10000, iv // 100 % 100, iv % 100
    return 0, 0, iv // 100, iv % 100


def _same_date(a: Quantity, b: Quantity) -> bool:
    if {a.kind, b.kind} == {"date", "year"}:
        d, y = (a, b) if a.kind == "date" else (b, a)
        return y.unit != "decade" and _date_parts(d.value)[1] == int(y.value)
    if a.kind != b.kind:
        return False
    wa, ya, ma, da = _date_parts(a.value)
    wb, yb, mb, db = _date_parts(b.value)
    if wa or wb:
        if wa and wb:
            return wa == wb
        w, (y, mo, d) = (wa, (yb, mb, db)) if wa else (wb, (ya, ma, da))
        if not (y and mo and d):
            return False
        try:
            return date(y, mo, d).isoweekday() == w
        except ValueError:
            return False
    return all(x == y for x, y in ((ya, yb), (ma, mb), (da, db)) if x and y)


def _describe_date(v: float) -> str:
    w, y, m, d = _date_parts(v)
    if w:
        return _WEEKDAYS[w - 1]
    month = _MONTH_NAMES[m - 1] if 1 <= m <= 12 else ""
    if y and d:
        return f"{y:04d}-{m:02d}-{d:02d}"
    if y:
        return f"{month} {y}"
    return f"{month} {d}" if d else month


def _fmt(v: float) -> str:
    if math.isfinite(v) and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.4f}".rstrip("0").rstrip(".")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
