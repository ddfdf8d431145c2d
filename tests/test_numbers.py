"""Numbers, amounts, dates and years found by regex (retold.analysis.numbers)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from retold.analysis.numbers import describe, find_quantities, parse_number, same_value
from retold.types import Quantity


def one(text: str) -> Quantity:
    qs = find_quantities(text)
    assert len(qs) == 1, [(q.text, q.kind, q.value) for q in qs]
    return qs[0]


def summary(text: str) -> list[tuple[str, str, float, str]]:
    return [(q.text, q.kind, q.value, q.unit) for q in find_quantities(text)]


# --- parse_number ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "s, expected",
    [
        ("3,000", 3000),
        ("1,234.5", 1234.5),
        ("3.000", 3.0),  # a single dot group is a decimal point (documented choice)
        ("1.234.567", 1234567),  # two dot groups: clearly thousands
        ("1.234,5", 1234.5),
        ("three thousand", 3000),
        ("3k", 3000),
        ("3K", 3000),
        ("1.2m", 1.2e6),
        ("1.2 million", 1.2e6),
        ("1.2mn", 1.2e6),
        ("2bn", 2e9),
        ("2 billion", 2e9),
        ("$2bn", 2e9),
        ("twenty-five", 25),
        ("Twenty five", 25),
        ("a dozen", 12),
        ("half a dozen", 6),
        ("half a million", 500_000),
        ("one hundred and twenty", 120),
        ("one hundred five", 105),
        ("nineteen hundred and ninety-nine", 1999),
        ("two and a half", 2.5),
        ("thirty million", 3e7),
        ("a million", 1e6),
        ("30 per cent", 30),
        ("thirty percent", 30),
        ("-5", -5),
        ("−5", -5),  # U+2212 minus sign
        ("minus 5", -5),
        ("+7", 7),
        ("one", 1),  # alone, "one" is a number (find_quantities is stricter)
        ("zero", 0),
        ("third", 3),
        ("21st", 21),
        ("  “3,000”. ", 3000),  # quotes, spaces and a final period are ignored
        ("3.5.", 3.5),
        ("2025", 2025),
    ],
)
def test_parse_number(s: str, expected: float) -> None:
    assert parse_number(s) == pytest.approx(expected)


@pytest.mark.parametrize(
    "s",
    ["", "   ", "hello", "someone", "often", "3,000 troops", "nearly 40", "March 14", "Tuesday"],
)
def test_parse_number_rejects_non_numbers(s: str) -> None:
    assert parse_number(s) is None


# --- find_quantities: kinds, values, units --------------------------------------------


@pytest.mark.parametrize(
    "text, span, kind, value, unit",
    [
        # plain numbers and their head noun
        ("Some 3,000 troops arrived.", "3,000", "number", 3000, "troops"),
        ("It opened 12 new rail lines.", "12", "number", 12, "lines"),
        ("Three thousand soldiers marched.", "Three thousand", "number", 3000, "soldiers"),
        ("The 2,025 people were counted.", "2,025", "number", 2025, "people"),
        ("Exactly 1 person died.", "1", "number", 1, "person"),
        ("twenty-five men were held", "twenty-five", "number", 25, "men"),
        ("to buy 16 new low-floor trams", "16", "number", 16, "trams"),
        ("sales rose 3 year-on-year", "3", "number", 3, ""),
        ("a dozen eggs", "a dozen", "number", 12, "eggs"),
        ("He sold 1\u00a0000 copies.", "1\u00a0000", "number", 1000, "copies"),
        ("one person was hurt", "one", "number", 1, "person"),
        ("two-thirds of voters", "two-thirds", "number", 2 / 3, ""),
        ("a quarter of all homes", "a quarter", "number", 0.25, ""),
        ("Temperatures hit 40C.", "40C", "number", 40, "°c"),
        ("The airport closed at 3pm.", "3pm", "number", 1500, "time"),
        ("at 10:30 a.m. on", "10:30 a.m.", "number", 1030, "time"),
        # percentages
        ("Prices rose 30 per cent.", "30 per cent", "percent", 30, "%"),
        ("Prices rose 30%.", "30%", "percent", 30, "%"),
        ("Prices rose 30 percent.", "30 percent", "percent", 30, "%"),
        ("Prices rose thirty percent.", "thirty percent", "percent", 30, "%"),
        ("Prices rose 4.5pc.", "4.5pc", "percent", 4.5, "%"),
        ("up 2 percentage points", "2 percentage points", "percent", 2, "pp"),
        ("cut by 25 basis points", "25 basis points", "percent", 0.25, "pp"),
        # money, currency before and after
        ("It cost $2.5 billion.", "$2.5 billion", "money", 2.5e9, "usd"),
        ("It cost €40m.", "€40m", "money", 4e7, "eur"),
        ("It cost 40 million euros.", "40 million euros", "money", 4e7, "eur"),
        ("It cost £3,000.", "£3,000", "money", 3000, "gbp"),
        ("It cost 2.5bn dollars.", "2.5bn dollars", "money", 2.5e9, "usd"),
        ("It cost US$5m.", "US$5m", "money", 5e6, "usd"),
        ("It cost A$5.", "A$5", "money", 5, "aud"),
        ("It cost 5 Australian dollars.", "5 Australian dollars", "money", 5, "aud"),
        ("It cost USD 5m.", "USD 5m", "money", 5e6, "usd"),
        ("It cost 5 million USD.", "5 million USD", "money", 5e6, "usd"),
        ("It cost 50 cents.", "50 cents", "money", 0.5, "usd"),
        ("It cost 50p.", "50p", "money", 0.5, "gbp"),
        ("It cost a million dollars.", "a million dollars", "money", 1e6, "usd"),
        ("It cost Rs 500 crore.", "Rs 500 crore", "money", 5e9, "inr"),
        # dates
        ("On March 14, 2025, it fell.", "March 14, 2025", "date", 20250314, "date"),
        ("On 14 March 2025 it fell.", "14 March 2025", "date", 20250314, "date"),
        ("On March 14th it fell.", "March 14th", "date", 314, "date"),
        ("On the 14th of March it fell.", "14th of March", "date", 314, "date"),
        ("On Sept. 11, 2001 it fell.", "Sept. 11, 2001", "date", 20010911, "date"),
        ("Filed 2025-03-14.", "2025-03-14", "date", 20250314, "date"),
        ("Filed 14/03/2025.", "14/03/2025", "date", 20250314, "date"),
        ("Filed 03/14/2025.", "03/14/2025", "date", 20250314, "date"),  # day 14 can't be a month
        ("It ended in March.", "March", "date", 300, "date"),
        ("It ended in mid-March.", "March", "date", 300, "date"),
        ("It ended in March 2025.", "March 2025", "date", 20250300, "date"),
        ("It ended on Tuesday.", "Tuesday", "date", -2, "weekday"),
        ("It ended on Sunday.", "Sunday", "date", -7, "weekday"),
        # years
        ("It began in 1998.", "1998", "year", 1998, ""),
        ("The 2025 budget passed.", "2025", "year", 2025, ""),
        ("It must fall by 2030.", "2030", "year", 2030, ""),
        ("back to pre-2019 levels", "2019", "year", 2019, ""),
        ("In 1998 troops were sent.", "1998", "year", 1998, ""),  # cue "in" beats the plural
        ("the 1990s", "1990s", "year", 1990, "decade"),
        ("They sent 1500 troops.", "1500", "number", 1500, "troops"),
        # ordinals
        ("for the first time", "first", "ordinal", 1, "time"),
        ("the third quarter", "third", "ordinal", 3, "quarter"),
        ("the 3rd round", "3rd", "ordinal", 3, "round"),
        ("the twenty-first time", "twenty-first", "ordinal", 21, "time"),
        ("a third term", "third", "ordinal", 3, "term"),  # no "of": not a fraction
        # durations
        ("It lasted three years.", "three years", "duration", 3, "year"),
        ("It lasted 48 hours.", "48 hours", "duration", 48, "hour"),
        ("It lasted two weeks.", "two weeks", "duration", 2, "week"),
        ("a three-year contract", "three-year", "duration", 3, "year"),
        ("an 18-month deal", "18-month", "duration", 18, "month"),
        ("It lasted one year.", "one year", "duration", 1, "year"),
        ("It lasted half an hour.", "half an hour", "duration", 0.5, "hour"),
        ("It lasted two and a half years.", "two and a half years", "duration", 2.5, "year"),
        # magnitudes with "one"
        ("one million people", "one million", "number", 1e6, "people"),
        # negatives and qualifiers
        ("It was -5 degrees.", "-5", "number", -5, "degrees"),
        ("It was minus 7 degrees.", "minus 7", "number", -7, "degrees"),
        ("It lost -$5.", "-$5", "money", -5, "usd"),
        ("nearly 40 people", "40", "number", 40, "people"),  # the qualifier stays outside
        ("more than 3,000 homes", "3,000", "number", 3000, "homes"),
        # quotes and sentence ends
        ("He said “3,000” were hurt.", "3,000", "number", 3000, ""),
        ('He said "3,000" were hurt.', "3,000", "number", 3000, ""),
        ("It rose to 3.5.", "3.5", "number", 3.5, ""),
        ("It rose to 3,000.", "3,000", "number", 3000, ""),
    ],
)
def test_find_quantities_kinds(text: str, span: str, kind: str, value: float, unit: str) -> None:
    q = one(text)
    assert q.text == span
    assert text[q.start : q.end] == span
    assert q.kind == kind
    assert q.value == pytest.approx(value)
    assert q.unit == unit
    assert q.sentence == -1


@pytest.mark.parametrize(
    "text",
    [
        "someone often phoned",
        "one of the officials said no one came",
        "One official said it was a one-off.",
        "Theresa May spoke. March organisers left. The march was long.",
        "He may go. At first he declined. First, the vote.",
        "First Lady Jill Biden and the Second World War",
        "hundreds of people and thousands more and tens of thousands",
        "COVID-19 spread among the G7 and the F-35 and the A380",
        "the 5G network and 3D printing",
        "Version 1.2.3 shipped",
        "speed in metres per second",
        "Tension and canine often attend phones",
    ],
)
def test_no_quantities(text: str) -> None:
    assert find_quantities(text) == []


# --- structure: offsets, overlaps, ranges ---------------------------------------------


ARTICLE = (
    "On March 14, 2025, the ministry said some 3,000 troops and 12 new rail lines would cost "
    "$2.5 billion, or about 30 per cent more than the €1.9bn planned in 2023. Officials said "
    "one of the contractors, which employs nearly 40 people, had been paid £3,000 for each of "
    "the two weeks. Three years ago the figure was 1.2 million; it rose to 3.5. The first phase "
    "will take 48 hours, officials told reporters on Tuesday, between 3,000 and 4,000 people "
    "attended, up from 2.5m in the 1990s. Temperatures of −5 were “unusual”, a third of them said."
)


def test_offsets_are_exact_and_spans_never_overlap() -> None:
    qs = find_quantities(ARTICLE)
    assert len(qs) >= 20
    last_end = -1
    for q in qs:
        assert ARTICLE[q.start : q.end] == q.text
        assert q.start >= last_end, f"{q.text!r} overlaps the previous quantity"
        assert q.text == q.text.strip()
        last_end = q.end


def test_article_quantities() -> None:
    got = {(q.text, q.kind) for q in find_quantities(ARTICLE)}
    expected = {
        ("March 14, 2025", "date"),
        ("3,000", "number"),
        ("12", "number"),
        ("$2.5 billion", "money"),
        ("30 per cent", "percent"),
        ("€1.9bn", "money"),
        ("2023", "year"),
        ("£3,000", "money"),
        ("two weeks", "duration"),
        ("Three years", "duration"),
        ("1.2 million", "number"),
        ("3.5", "number"),
        ("first", "ordinal"),
        ("48 hours", "duration"),
        ("Tuesday", "date"),
        ("4,000", "number"),
        ("2.5m", "number"),
        ("1990s", "year"),
        ("−5", "number"),
        ("a third", "number"),
    }
    assert expected <= got
    assert not any(t in ("one", "2.5", "billion", "14", "2025") for t, _ in got)


def test_money_is_one_quantity_not_three() -> None:
    assert summary("a $2.5 billion deal") == [("$2.5 billion", "money", 2.5e9, "usd")]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("between 3,000 and 4,000 men", [(3000, "number", "men"), (4000, "number", "men")]),
        ("3,000-4,000 people", [(3000, "number", "people"), (4000, "number", "people")]),
        ("3 to 4 million people", [(3e6, "number", "people"), (4e6, "number", "people")]),
        ("between three and four million", [(3e6, "number", ""), (4e6, "number", "")]),
        ("$3-4bn", [(3e9, "money", "usd"), (4e9, "money", "usd")]),
        ("from 5 to 10%", [(5, "percent", "%"), (10, "percent", "%")]),
        ("two to three years", [(2, "duration", "year"), (3, "duration", "year")]),
        ("one or two days", [(1, "duration", "day"), (2, "duration", "day")]),
        ("from 2020-2025", [(2020, "year", ""), (2025, "year", "")]),
        ("300 to 4 million", [(300, "number", ""), (4e6, "number", "")]),  # no scale: 300 > 4
    ],
)
def test_ranges(text: str, expected: list[tuple[float, str, str]]) -> None:
    got = [(q.value, q.kind, q.unit) for q in find_quantities(text)]
    assert [(k, u) for _, k, u in got] == [(k, u) for _, k, u in expected]
    assert [v for v, _, _ in got] == pytest.approx([v for v, _, _ in expected])


def test_word_numbers_split_into_separate_numbers() -> None:
    assert [(q.text, q.value) for q in find_quantities("three and four")] == [
        ("three", 3),
        ("four", 4),
    ]


# --- same_value -----------------------------------------------------------------------


def q1(text: str) -> Quantity:
    return one(text)


@pytest.mark.parametrize(
    "a, b",
    [
        ("3,000 troops", "three thousand soldiers"),  # nouns are the caller's business
        ("3k people", "3,000 people"),
        ("3.5 million people", "3,510,000 people"),  # within 0.5 %
        ("30 per cent", "30%"),
        ("$2.5 billion", "2.5bn dollars"),
        ("€40m", "40 million euros"),
        ("48 hours", "two days"),
        ("12 months", "one year"),
        ("March 14, 2025", "14 March 2025"),
        ("on March 14", "on March 14, 2025"),  # a missing year is not a conflict
        ("in March", "March 14"),
        ("in 2025", "March 14, 2025"),  # a year matches a date in that year
        ("on Friday", "March 14, 2025"),  # which was a Friday
        ("on Friday", "on Friday"),
        ("the third round", "the 3rd round"),
        ("the 1990s", "the 1990s"),
    ],
)
def test_same_value_true(a: str, b: str) -> None:
    qa, qb = q1(a), q1(b)
    assert same_value(qa, qb)
    assert same_value(qb, qa)


@pytest.mark.parametrize(
    "a, b",
    [
        ("3,000 troops", "4,000 troops"),
        ("3.5 million people", "3.6 million people"),
        ("30 per cent", "30 troops"),  # kinds differ
        ("$2.5 billion", "€2.5 billion"),  # currencies differ
        ("3 percentage points", "3%"),
        ("48 hours", "three days"),
        ("March 14, 2025", "March 15, 2025"),
        ("March 14, 2024", "March 14, 2025"),
        ("in March", "in April"),
        ("on Tuesday", "March 14, 2025"),
        ("on Tuesday", "on March 14"),  # no year: the weekday is unknown
        ("on Tuesday", "on Wednesday"),
        ("in 2024", "March 14, 2025"),
        ("in 1990", "the 1990s"),
        ("The 2025 budget", "the 2,025 people"),  # year vs number
        ("at 3pm", "3 people"),
    ],
)
def test_same_value_false(a: str, b: str) -> None:
    qa, qb = q1(a), q1(b)
    assert not same_value(qa, qb)
    assert not same_value(qb, qa)


def test_same_value_tolerance_is_adjustable() -> None:
    a, b = q1("40 people"), q1("39 people")
    assert not same_value(a, b)
    assert same_value(a, b, rel_tol=0.05)


# --- describe -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3,000 troops", "3000 troops"),
        ("30 per cent", "30%"),
        ("2 percentage points", "2 percentage points"),
        ("$2.5 billion", "USD 2,500,000,000"),
        ("50 cents", "USD 0.50"),
        ("March 14, 2025", "2025-03-14"),
        ("on March 14", "March 14"),
        ("in March 2025", "March 2025"),
        ("in March", "March"),
        ("on Tuesday", "Tuesday"),
        ("in 1998", "1998"),
        ("the 1990s", "1990s"),
        ("48 hours", "48 hours"),
        ("one year", "1 year"),
        ("two centuries", "2 centuries"),
        ("the 22nd attempt", "22nd attempt"),
        ("the eleventh hour", "11th hour"),
        ("at 3pm", "15:00"),
        ("rose to 3.5", "3.5"),
        ("two-thirds of voters", "0.6667"),
    ],
)
def test_describe(text: str, expected: str) -> None:
    assert describe(q1(text)) == expected


# --- speed ----------------------------------------------------------------------------


def test_fast_on_a_600_word_article() -> None:
    text = " ".join([ARTICLE] * 7)
    assert len(text.split()) >= 600
    find_quantities(text)  # warm up compiled patterns
    best = min(_timed(find_quantities, text) for _ in range(5))
    assert best < 0.005, f"{best * 1000:.2f} ms"


def _timed(fn: Callable[[str], object], arg: str) -> float:
    t0 = time.perf_counter()
    fn(arg)
    return time.perf_counter() - t0
