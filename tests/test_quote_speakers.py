"""Quote speakers and quote verdicts on real-retelling patterns, with invented snippets:
speakers carried to the next paragraph, never a storm, a nationality or an organisation word;
source words quoted by the retelling, and reworded quotes, are not "unsourced"."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from retold.types import Article, Quote


@pytest.fixture(scope="module")
def quotes() -> Callable[[str], list[Quote]]:
    from retold.analysis.nlp import parse
    from retold.analysis.quotes import extract_quotes

    def run(text: str) -> list[Quote]:
        sentences, entities = parse(text)
        return [q for q in extract_quotes(text, sentences, entities) if q.kind == "direct"]

    return run


def test_speaker_carried_to_the_next_paragraph(quotes) -> None:  # type: ignore[no-untyped-def]
    qs = quotes(
        '"The roof was flying off," Dana Whitlock recounted.\n\n'
        '"We hid in the bathroom until morning."\n\n'
        "Neighbours said the storm lasted four hours."
    )
    assert [q.speaker for q in qs] == ["Dana Whitlock", "Dana Whitlock"]


def test_a_storm_is_not_a_speaker(quotes) -> None:  # type: ignore[no-untyped-def]
    qs = quotes(
        "Hurricane Melba battered the coast on Tuesday, flooding streets in Portvale. "
        '"We lost everything in one night," Melba said.'
    )
    assert qs and qs[0].speaker is None


def test_nationality_and_organisation_word_are_descriptions(quotes) -> None:  # type: ignore[no-untyped-def]
    from retold.audit.quotes import is_description

    qs = quotes('"Prices will rise again next year," the Norwegian said.')
    assert qs[0].speaker and is_description(qs[0].speaker)
    qs = quotes('"The plans are being worked out," the Ministry said.')
    assert qs[0].speaker and is_description(qs[0].speaker)


def verdicts(source: str, retelling: str) -> list[str]:
    from retold.audit.compare import compare

    return [q.verdict for q in compare(Article(source), Article(retelling)).quotes]


def test_source_words_without_quotation_marks_are_not_unsourced() -> None:
    v = verdicts(
        "The details of the new ferry timetable are currently being worked out, "
        "Ada Lind said on Monday.",
        '"The details of the new ferry timetable are currently being worked out," said Ada Lind.',
    )
    assert v == ["indirect"]


def test_reworded_quote_is_altered_not_unsourced() -> None:
    v = verdicts(
        "Dr. Ada Lind warned about the cuts. \"I'm not sure people realize how important "
        'that is, and we will suffer from this," Lind said.',
        "Dr. Ada Lind warned about the cuts. \"I'm unsure folks notice how necessary that's, "
        'and we are going to undergo from this," Lind said.',
    )
    assert v == ["altered"]


def test_invented_quote_stays_unsourced() -> None:
    v = verdicts(
        "The ferry will run twice a day from June, Ada Lind said on Monday.",
        '"This is the proudest moment of my career," said Ada Lind.',
    )
    assert v == ["unsourced"]


def test_a_quotation_running_over_paragraphs_takes_its_closing_attribution(quotes) -> None:  # type: ignore[no-untyped-def]
    # news style: every paragraph of a long quotation opens with a mark, only the last closes
    found = quotes(
        "Mayor Alma Reyes spoke after the vote on Monday.\n\n"
        "“We have waited eleven years for this library. The old building is unsafe.\n\n"
        "“The money is there and the council agrees.\n\n"
        "“We will open the new library in 2027,” Reyes said.\n\n"
        "“It will be free,” said Joel Park, a council member."
    )
    assert [q.speaker for q in found] == ["Alma Reyes", "Alma Reyes", "Alma Reyes", "Joel Park"]
    # a closed quotation does not borrow the next paragraph's speaker
    closed = quotes(
        "“The vote was fair.”\n\n“We will appeal the decision,” said lawyer Ines Varga."
    )
    assert closed[0].speaker != "Ines Varga"
