"""Page furniture (credits, bylines, footers, subheads, datelines) is set aside as
``boilerplate``; headings are read as summaries. Invented snippets only."""

from __future__ import annotations

import pytest

from retold.audit.boilerplate import boilerplate_reason


@pytest.mark.parametrize(
    "text",
    [
        "PHOTO / Image copyright Jane Roe, Example University",
        "The post Harbour bridge reopens appeared first on Example News.",
        "Source: Read the original article at Example Daily",
        "By Jane Roe, Staff Writer",
        "Reporting by Jane Roe; Editing by John Doe",
        "Exampleville.Az reports.",
        "reports UNN",
        "Details",
        "Share this article",
        "Subscribe to our newsletter for more stories",
    ],
)
def test_furniture_is_recognised(text: str) -> None:
    assert boilerplate_reason(text)


@pytest.mark.parametrize(
    "text",
    [
        "By Tuesday, officials had left the harbour.",  # a byline's shape, but a claim
        "The agency reports that 40 people were hurt.",
        "Police said the photo was taken at night.",
        "Details of the plan were not released.",
    ],
)
def test_claims_are_not_furniture(text: str) -> None:
    assert boilerplate_reason(text) is None


SOURCE = (
    "Harbourton council approved a new bridge on Monday, officials said.\n\n"
    "The bridge will cost 12 million dollars and open in 2027, the mayor Ada Lind said.\n\n"
    "Residents had campaigned for a crossing for a decade."
)
RETELLING = (
    "PORTVALE:\n\n"
    "Harbourton council approved a new bridge on Monday, officials said.\n\n"
    "Council Approves Harbourton Bridge\n\n"
    "The bridge will cost 12 million dollars and open in 2027, the mayor Ada Lind said.\n\n"
    "A Season of Hopes and Dreams\n\n"
    "By Jane Roe, Staff Writer\n\n"
    "Share this article"
)


@pytest.fixture(scope="module")
def audit():  # type: ignore[no-untyped-def]
    from retold.audit.compare import compare
    from retold.types import Article

    return compare(Article(SOURCE), Article(RETELLING), judge="heuristic")


def verdict_of(audit, start: str) -> str:  # type: ignore[no-untyped-def]
    return next(c.verdict for c in audit.claims if c.text.startswith(start))


def test_furniture_gets_its_own_verdict(audit) -> None:  # type: ignore[no-untyped-def]
    assert verdict_of(audit, "By Jane Roe") == "boilerplate"
    assert verdict_of(audit, "Share this") == "boilerplate"
    assert verdict_of(audit, "PORTVALE") == "boilerplate"  # a dateline split off


def test_headings_read_as_summaries(audit) -> None:  # type: ignore[no-untyped-def]
    # every word of this subhead is the source's: not an invented claim
    assert verdict_of(audit, "Council Approves") == "supported"
    # a subhead with no name and no word of the source only opens a section
    assert verdict_of(audit, "A Season of Hopes") == "boilerplate"


def test_furniture_does_not_count_against_fidelity(audit) -> None:  # type: ignore[no-untyped-def]
    from retold.report.jsonout import summary

    s = summary(audit)
    assert s["claims"]["boilerplate"] >= 3
    assert s["claims"]["unsupported"] == 0
    assert s["fidelity"] == 1.0


def test_source_furniture_is_not_an_omission() -> None:
    from retold.audit.compare import compare
    from retold.types import Article

    src = SOURCE + "\n\nBy Jane Roe, Staff Writer\n\nShare this article"
    a = compare(Article(src), Article(SOURCE), judge="heuristic")
    assert not [o for o in a.omissions if "Jane Roe" in o.text or "Share" in o.text]


def test_json_with_boilerplate_and_no_machine_score_is_valid(audit) -> None:  # type: ignore[no-untyped-def]
    from retold.report.jsonout import audit_to_dict, validate

    data = audit_to_dict(audit)
    validate(data)
    assert data["schema_version"] == "1.2"
    assert any(c["verdict"] == "boilerplate" for c in data["claims"])
    scores = data["style"]["retelling_scores"]
    assert scores["machine_rewrite"] is None and scores["machine_note"]
