"""Style outputs on neutral wire text (invented): near 0, few spans, no number that only
restates the machine-rewrite model's prior; `retold style` skips what it cannot analyse."""

from __future__ import annotations

import json
from pathlib import Path

from retold.settings import Settings
from retold.style import analyze_style

from .conftest import run_cli

WIRE = (
    "PORTVALE (Harbour Wire) - The Portvale city council approved a budget of 4.2 million "
    "euros for new electric scooters on Tuesday, a spokeswoman said.\n\n"
    "The scooters will be placed at 40 stations across the city from March, according to "
    "the council's transport department.\n\n"
    "The council voted 21 to 9 in favour of the plan. Opposition members said the money "
    "should go to bus routes instead.\n\n"
    "The first stations will open near the central station and the university."
)


def test_neutral_wire_report_scores_near_zero() -> None:
    a = analyze_style(WIRE, "Portvale council approves scooter budget")
    assert a.scores.sensationalism < 15
    assert a.scores.propaganda_spans <= 2
    assert a.scores.machine_rewrite is None and a.scores.machine_note
    # short spans need a cue word: neutral nouns are no loaded language
    short = [s for s in a.spans if s.kind == "propaganda" and len(s.text.split()) < 3]
    assert not [s for s in short if s.text.lower() in ("million euros", "scooters")]


def test_short_spans_allowed_again_by_setting() -> None:
    loose = analyze_style(WIRE, settings=Settings(style_span_min_words=1))
    strict = analyze_style(WIRE)
    assert loose.scores.propaganda_spans >= strict.scores.propaganda_spans


def test_style_skips_unreadable_files_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(WIRE, encoding="utf-8")
    (tmp_path / "b.txt").write_text(
        "Der Stadtrat hat am Dienstag den Haushalt für neue Roller beschlossen, und die "
        "Stationen werden im März in der ganzen Stadt aufgestellt, sagte eine Sprecherin.",
        encoding="utf-8",
    )
    (tmp_path / "c.txt").write_bytes(b"\x00\x01\x02binary\x00" * 20)
    proc = run_cli("style", "--format", "json", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [Path(x["origin"]).name for x in out] == ["a.txt"]
    err = proc.stderr.decode()
    assert "skipped" in err and "b.txt" in err and "c.txt" in err


def test_style_fails_when_nothing_can_be_read(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("Der Stadtrat hat am Dienstag den Haushalt.", "utf-8")
    (tmp_path / "c.txt").write_text("Die Stationen werden im März aufgestellt.", "utf-8")
    proc = run_cli("style", str(tmp_path))
    assert proc.returncode != 0
