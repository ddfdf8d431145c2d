"""Sentence splitting that survives brackets and possessives before a name (invented text)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "first"),
    [
        (
            "The minister said the allies [...] would respond together. Talks resume on Friday.",
            "The minister said the allies [...] would respond together.",
        ),
        (
            "He invoked NATO’s Article 5 after the attack on the base. Allies met on Monday.",
            "He invoked NATO’s Article 5 after the attack on the base.",
        ),
    ],
)
def test_no_sentence_ends_in_brackets_or_on_a_possessive(text: str, first: str) -> None:
    from retold.analysis.nlp import parse

    sentences, _ = parse(text)
    assert sentences[0].text == first
    assert len(sentences) == 2
