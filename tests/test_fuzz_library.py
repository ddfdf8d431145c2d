"""Property-based tests of the library entry points: ``compare``, ``analyze`` and style
analysis on random Unicode text (control characters, right-to-left scripts, emoji, combining
marks, very long words, empty sentences, stray quotation marks), and on arguments of the
wrong type. Whatever the input: an audit whose offsets index its texts and whose JSON
matches the schema, or the project's one-line ``RetoldError`` / a ``TypeError`` naming the
argument; never another exception, a traceback or a hang. Budgets are fixed and derandomised.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import retold
from retold.errors import RetoldError
from retold.report.jsonout import audit_to_dict, validate
from retold.settings import Settings
from retold.style import analyze_style, compare_style
from retold.types import Article, Audit

T = TypeVar("T")
SCALE = float(os.environ.get("RETOLD_FUZZ_SCALE", "1"))
# a compare is ~0.1-0.3 s: these budgets keep the file under a minute
FUZZ = settings(
    max_examples=int(90 * SCALE),
    deadline=None,
    derandomize=not os.environ.get("RETOLD_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CHEAP = settings(FUZZ, max_examples=int(400 * SCALE))
LOOSE = Settings(min_words=1, min_english_ratio=0.0)  # let odd text through to analysis

CORPUS = Path(__file__).resolve().parents[1] / "src" / "retold" / "demo" / "corpus"
SOURCE = (CORPUS / "source.txt").read_text("utf-8")
SENTENCES = [s for s in SOURCE.replace("\n", " ").split(". ") if s]


def one_line_error(call: Callable[[], T]) -> T | None:
    try:
        got = call()
    except RetoldError as exc:
        msg = str(exc)
        assert msg.strip() and "\n" not in msg and "\r" not in msg, repr(msg)
        event(f"refused: {msg.split(': ', 1)[-1][:30]}")  # --hypothesis-show-statistics
        return None
    event("result")
    return got


# --------------------------------------------------------------------------- strategies

any_char = st.characters(codec=None, exclude_categories=())  # surrogates and controls too
special = st.sampled_from(
    [
        "\u202e",  # right-to-left override
        "\u200f",
        "مرحبا بالعالم",
        "שלום",
        "👩‍👩‍👧‍👦",
        "🇪🇺",
        "e\u0301\u0302\u0303",  # stacked combining marks
        "\u0301",
        "Z̷̢̛a̸l̵g̴o̶",
        "\x00",
        "\x07",
        "\x1b[31m",
        "\r",
        "\u2028",
        "\ufeff",
        "\ud800",
        "x" * 5000,  # a very long word
        "supercalifragilistic" * 50,
        ". . . .",
        "?!?!",
        "\n\n\n",
        '"',
        "“",
        "”",
        "'",
        "«",
        "»",
        '"I never said that," he said.',
        "€1.2 billion",
        "3,000,000,000,000,000,000 jobs",
        "1e308",
        "March 32, 2024",
    ]
)
token = st.one_of(st.sampled_from(SENTENCES), special, st.text(alphabet=any_char, max_size=30))


@st.composite
def text(draw: st.DrawFn, max_parts: int = 25) -> str:
    parts = draw(st.lists(token, max_size=max_parts))
    seps = draw(st.lists(st.sampled_from([" ", ". ", "\n", "\n\n", ""]), min_size=len(parts)))
    return "".join(p + s for p, s in zip(parts, seps, strict=False))


def check_audit(audit: Audit) -> None:
    """Offsets index the texts, and the JSON form is valid, serialisable and one object."""
    src, ret = audit.source.text, audit.retelling.text
    for c in audit.claims:
        assert ret[c.start : c.end] == c.text
        for e in c.evidence:
            assert src[e.start : e.end] == e.text
    for q in audit.quotes:
        assert ret[q.start : q.end] == q.text
    for o in audit.omissions:
        assert src[o.start : o.end] == o.text
    data = audit_to_dict(audit)
    validate(data)
    json.dumps(data, ensure_ascii=False)


# --------------------------------------------------------------------------- compare


@FUZZ
@given(text())
def test_compare_random_retelling_with_a_real_source(retelling: str) -> None:
    audit = one_line_error(lambda: retold.compare(SOURCE, retelling, settings=LOOSE))
    if audit is not None:
        check_audit(audit)


@FUZZ
@given(text(), text())
def test_compare_articles_built_directly(source: str, retelling: str) -> None:
    """``Article``s skip the reader's checks and normalisation: analysis copes alone."""
    audit = one_line_error(lambda: retold.compare(Article(source), Article(retelling)))
    if audit is not None:
        check_audit(audit)


@FUZZ
@given(st.binary(max_size=600), st.sampled_from(["utf-8", "utf-16", "cp1252", "koi8-r"]))
def test_compare_bytes(noise: bytes, encoding: str) -> None:
    raw = SOURCE.encode(encoding, "replace")[: len(noise) * 3] + noise
    audit = one_line_error(lambda: retold.compare(SOURCE, raw, settings=LOOSE))
    if audit is not None:
        check_audit(audit)


# --------------------------------------------------------------------------- style


@CHEAP
@given(text(40), st.one_of(st.none(), text(3)))
def test_style_on_random_text(body: str, title: str | None) -> None:
    got = one_line_error(lambda: analyze_style(body, title))
    if got is not None:
        for s in got.spans:
            assert got.text[s.start : s.end] == s.text
        json.dumps(got.to_dict(), ensure_ascii=False)
    cmp = one_line_error(lambda: compare_style(SOURCE, body, retelling_title=title or ""))
    assert cmp is None or 0 <= cmp.retelling_score <= 100


@CHEAP
@given(text(40))
def test_style_in_pieces_on_random_text(body: str) -> None:
    """The piecewise path of long texts, forced on short ones by a tiny piece size."""
    got = one_line_error(lambda: analyze_style(body, settings=Settings(style_chunk_chars=64)))
    if got is not None:
        for s in got.spans:
            assert got.text[s.start : s.end] == s.text


# --------------------------------------------------------------------------- wrong types

wrong = st.one_of(
    st.none(),
    st.integers(),
    st.floats(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.builds(object),
    st.sets(st.integers(), max_size=2),
)


def type_error_naming(call: Callable[[], Any], *names: str) -> None:
    try:
        call()
    except TypeError as exc:
        msg = str(exc)
        assert "\n" not in msg and any(n in msg for n in names), msg
    else:
        raise AssertionError("no TypeError")


@CHEAP
@given(wrong)
def test_wrong_types_are_type_errors(value: Any) -> None:
    type_error_naming(lambda: retold.compare(value, SOURCE), "compare: source")
    type_error_naming(lambda: retold.compare(SOURCE, value), "compare: retelling")
    type_error_naming(lambda: Article(text=value), "Article: text")
    type_error_naming(lambda: retold.analyze(value), "analyze:")
    type_error_naming(lambda: retold.read_article(value), "read_article:")
    type_error_naming(lambda: analyze_style(value), "style: text")
    type_error_naming(lambda: compare_style(SOURCE, value), "compare_style: retelling_text")
    if not isinstance(value, list | dict | set):  # an empty list of articles is fine
        type_error_naming(lambda: retold.families(value), "families: articles")
    else:
        type_error_naming(lambda: retold.families([*value, value]), "families: article")


# --------------------------------------------------------------------------- found by fuzzing


def test_lone_surrogates_are_replaced_keeping_offsets() -> None:
    """From surrogateescape or broken JSON: tokenizers and UTF-8 writers refuse them (the
    compare, style and families paths all raised UnicodeEncodeError or TypeError)."""
    art = Article(SOURCE[:300] + " \ud800 " + SOURCE[300:900], title="T\udcff")
    assert len(art.text) == 903 and art.text[301] == "\ufffd" and art.title == "T\ufffd"
    audit = retold.compare(SOURCE, art)
    json.dumps(audit_to_dict(audit), ensure_ascii=False).encode("utf-8")
    got = analyze_style(SOURCE[:500] + "\ud800", "\ud800 title")
    assert got.text.endswith("\ufffd")
    retold.families([Article(SOURCE + "\ud800"), Article(SOURCE)])


def test_an_empty_article_is_named_in_the_error() -> None:
    try:
        retold.compare(SOURCE, Article(" \n", origin="b.txt"))
    except RetoldError as exc:
        assert str(exc) == "b.txt: no article text"  # was "style: no article text ..."
    else:
        raise AssertionError("no error")
    try:
        retold.compare(Article(""), SOURCE)
    except RetoldError as exc:
        assert str(exc) == "source: no article text"
    else:
        raise AssertionError("no error")
