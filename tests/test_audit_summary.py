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
    strict = Settings(related_min_share=1.01)
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
