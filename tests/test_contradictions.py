"""A retelling that keeps the words but changes the meaning is contradicted, with the source
sentence as evidence: a changed rank or portfolio, a reversed verb, a negation; a faithful
paraphrase of the same sentence is not."""

from __future__ import annotations

import pytest

from retold.analysis.roles import same_role
from retold.analysis.words import actor_swap, antonym_swap, polarity_flip
from retold.audit.compare import compare

# written for these tests
SOURCE = (
    "Alliance Secretary General Mara Voss said on Tuesday that the alliance would send 300 more "
    "troops to the border. The city council approved the new budget on Monday by seven votes "
    "to two. The company said its profits rose sharply in the third quarter. Health minister "
    "Ana Costa will visit the flooded hospital next week. Police arrested three protesters near "
    "the parliament."
)


@pytest.mark.parametrize(
    ("retelling", "reason"),
    [
        (
            "Alliance Deputy Secretary General Mara Voss said on Tuesday that the alliance would "
            "send 300 more troops to the border.",
            "role changed",
        ),
        ("The city council rejected the new budget on Monday by seven votes to two.", "reversed"),
        ("The company said its profits fell sharply in the third quarter.", "reversed"),
        ("The company said its profits did not rise in the third quarter.", "polarity flipped"),
        ("Finance minister Ana Costa will visit the flooded hospital next week.", "role changed"),
        ("Three protesters arrested police officers near the parliament.", "actors swapped"),
    ],
)
def test_meaning_changes_that_keep_the_words_are_contradicted(retelling: str, reason: str) -> None:
    audit = compare(SOURCE, retelling)
    (claim,) = audit.claims
    assert claim.verdict == "contradicted"
    assert any(reason in r for r in claim.reasons)
    # the evidence is the source sentence that says otherwise
    assert claim.evidence and SOURCE[claim.evidence[0].start : claim.evidence[0].end]


@pytest.mark.parametrize(
    "retelling",
    [
        "Mara Voss, the alliance's secretary general, said Tuesday that 300 additional soldiers "
        "would be deployed to the border.",
        "On Monday the city council voted seven to two to approve the new budget.",
        "Profits at the company rose sharply in the third quarter, it said.",
        "Three protesters were arrested by police near the parliament.",
    ],
)
def test_faithful_paraphrase_is_not_contradicted(retelling: str) -> None:
    audit = compare(SOURCE, retelling)
    assert all(c.verdict != "contradicted" for c in audit.claims)
    assert not audit.changes


def test_rank_words_make_another_role() -> None:
    assert not same_role("Secretary General", "Deputy Secretary General")
    assert not same_role("President", "Vice President")
    assert not same_role("Prime Minister", "former Prime Minister")
    assert same_role("Transport Minister", "Karvenian transport minister")


def test_actor_swap_needs_the_active_voice_on_both_sides() -> None:
    src = "Germany defeated France in the final on Sunday."
    assert actor_swap(src, "France defeated Germany in the final on Sunday.") == (
        "defeated",
        "germany",
        "france",
    )
    assert actor_swap(src, "France were defeated by Germany in the final on Sunday.") is None
    assert actor_swap(src, "In Sunday's final, Germany defeated France.") is None


def test_polarity_helpers() -> None:
    assert antonym_swap("The court upheld the ruling.", "The court overturned the ruling.") == (
        "overturned",
        "upheld",
    )
    # both words in the claim: a contrast, not a swap
    assert antonym_swap("Sales rose.", "Sales rose in May and fell in June.") is None
    assert polarity_flip("Prices rose in May.", "Prices did not rise in May.") == "rise"
    assert polarity_flip("Prices rose in May.", "Prices rose in May.") is None
