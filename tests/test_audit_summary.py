"""Fidelity and relatedness are decided once, by ``retold.audit.summary`` at compare time with
the compare's settings; the JSON serializer only writes what was decided."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from retold.audit.compare import compare
from retold.audit.summary import relatedness, summarize
from retold.report.jsonout import audit_to_dict
from retold.settings import Settings

UNRELATED_NOTE = "few retelling sentences match the source"


@pytest.fixture(scope="module")
def pair(corpus: Path) -> tuple[str, str]:
    return (corpus / "source.txt").read_text("utf-8"), (corpus / "numbers.txt").read_text("utf-8")


def test_summary_is_decided_by_compare_and_serialized_as_is(pair: tuple[str, str]) -> None:
    audit = compare(*pair, settings=Settings())
    assert audit.summary is not None and audit.summary.related
    assert audit.summary == summarize(audit, Settings())
    out = audit_to_dict(audit)["summary"]
    assert out["fidelity"] == round(audit.summary.fidelity, 3)
    assert out["relatedness"] == round(audit.summary.relatedness, 3)
    assert out["claims"] == audit.summary.claims and sum(out["claims"].values()) == len(
        audit.claims
    )
    assert not any(UNRELATED_NOTE in n for n in audit.notes)


def test_relatedness_thresholds_come_from_settings(pair: tuple[str, str]) -> None:
    strict = Settings(related_min_share=1.01, families_same_story=1.01)
    audit = compare(*pair, settings=strict)
    assert audit.summary is not None and not audit.summary.related
    assert any(UNRELATED_NOTE in n for n in audit.notes)
    assert audit_to_dict(audit)["summary"]["related"] is False
    # no sentence aligns above 1: nothing is well aligned
    assert relatedness(audit, replace(strict, related_align_min=1.01)) == 0.0


def test_serializer_refuses_an_audit_without_a_summary(pair: tuple[str, str]) -> None:
    audit = replace(compare(*pair), summary=None)
    with pytest.raises(ValueError, match="no summary"):
        audit_to_dict(audit)


# written for this test: a made-up port story, a heavy rewrite of it whose sentences share
# little wording, and another port strike (same topic, other place, people and numbers)
PORT = (
    "Dockworkers at the port of Valmora walked off the job on Monday after talks on a new "
    "contract collapsed, halting the loading of 42 container ships. The Valmora Dockers Union "
    "said 3,800 members had joined the strike. Union leader Teodora Brisk told reporters the "
    "port authority had refused a 9 percent raise over three years. The port authority said it "
    "had offered 6 percent and called the strike unlawful. Exporters warned that perishable "
    "fruit worth 14 million euros was stuck on the quays."
)
PORT_REWRITE = (
    "Work ground to a standstill across Valmora's harbour this week. Some 3,800 dockers, "
    "represented by the Valmora Dockers Union, downed tools when contract negotiations broke "
    "down, stranding 42 container vessels. Speaking to journalists, Teodora Brisk accused "
    "harbour bosses of rejecting a pay rise of 9 percent spread across three years. Officials "
    "countered that their 6 percent proposal was fair and branded the action illegal. Fruit "
    "shippers fear produce valued at 14 million euros could rot at the docks."
)
OTHER_PORT = (
    "Crane operators at the harbour of Dunmere began a 48-hour stoppage on Thursday over "
    "staffing rules, leaving 11 ships waiting offshore. The Dunmere Harbour Workers Guild said "
    "620 of its members were taking part. Guild secretary Anselm Ruud said the operator wanted "
    "to cut crews from four to three per crane. The operator, Northgate Terminals, said safety "
    "would not be affected and that talks would resume next week."
)


def test_a_heavy_rewrite_of_the_same_story_is_related() -> None:
    # a bar on aligned sentences this rewrite cannot reach: the meaning decides
    audit = compare(PORT, PORT_REWRITE, settings=Settings(related_min_share=0.9))
    assert audit.summary is not None
    assert audit.summary.relatedness < 0.9
    assert audit.summary.same_story is not None and audit.summary.same_story >= 0.8
    assert audit.summary.related
    assert not any(UNRELATED_NOTE in n for n in audit.notes)
    assert any("same story" in n for n in audit.notes)
    assert audit_to_dict(audit)["summary"]["same_story"] == round(audit.summary.same_story, 3)


def test_another_story_on_the_same_topic_is_not_related() -> None:
    audit = compare(PORT, OTHER_PORT, settings=Settings(related_min_share=0.9))
    assert audit.summary is not None and not audit.summary.related
    assert audit.summary.same_story is not None and audit.summary.same_story < 0.5
    assert any(UNRELATED_NOTE in n for n in audit.notes)


def test_same_story_is_not_computed_when_sentences_align(pair: tuple[str, str]) -> None:
    audit = compare(*pair, settings=Settings())
    assert audit.summary is not None and audit.summary.same_story is None
    assert audit_to_dict(audit)["summary"]["same_story"] is None
