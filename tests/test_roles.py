"""Job titles attached to people, and a retelling that changes someone's role."""

from __future__ import annotations

from retold.analysis.nlp import parse
from retold.analysis.roles import person_roles, same_role
from retold.audit.compare import compare

SOURCE = (
    "Harbour Minister Petra Lind opened the new ferry terminal in Dunmere on Monday. "
    "The project was led by Omar Voss, director of the Dunmere Port Authority, who said "
    "the terminal would handle 3,000 passengers a day."
)


def _roles(text: str) -> dict[str, list[str]]:
    sentences, entities = parse(text)
    return {k: [s.text for s in v] for k, v in person_roles(text, entities).items()}


def test_roles_before_and_after_names():
    roles = _roles(SOURCE)
    assert roles["lind"] == ["Harbour Minister"]
    assert roles["voss"] == ["director of the Dunmere Port Authority"]


def test_reporting_verbs_are_not_part_of_a_title():
    roles = _roles('"We are ready," said Harbour Minister Petra Lind on Monday.')
    assert roles["lind"] == ["Harbour Minister"]


def test_same_role_tolerates_case_and_qualifiers():
    assert same_role("Harbour Minister", "the Dunmere harbour minister")
    assert same_role(
        "director of the Dunmere Port Authority", "Director of the Dunmere Port Authority"
    )
    assert not same_role("Harbour Minister", "Finance Minister")


def test_changed_role_is_reported_with_evidence():
    retelling = SOURCE.replace("Harbour Minister Petra Lind", "Finance Minister Petra Lind")
    audit = compare(SOURCE, retelling)
    roles = [c for c in audit.changes if c.kind == "role"]
    assert len(roles) == 1
    assert (
        "Harbour Minister" in roles[0].source_text and "Finance Minister" in roles[0].retelling_text
    )
    sides = {e.side for e in roles[0].evidence}
    assert sides == {"source", "retelling"}
    assert audit.claims[0].verdict == "contradicted"


def test_paraphrased_role_is_not_a_change():
    retelling = (
        "Petra Lind, the harbour minister, opened Dunmere's new ferry terminal on Monday. "
        "Omar Voss, who is director of the Dunmere Port Authority, led the project and said "
        "the terminal would handle 3,000 passengers a day."
    )
    audit = compare(SOURCE, retelling)
    assert not [c for c in audit.changes if c.kind == "role"]
