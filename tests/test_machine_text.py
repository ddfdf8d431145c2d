"""The machine-text score (family.machine_text): direction evidence for the source pick."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from retold.errors import RetoldError
from retold.family import families
from retold.family.machine_text import fit, load_model, machine_logits, normalise
from retold.family.signature import signatures
from retold.family.source import pick_source
from retold.settings import Settings
from retold.types import Article

FIXTURES = Path(__file__).parent / "fixtures" / "machine_text"
# a made-up wire report and a language-model-style retelling of it (both written for tests)
WIRE = (FIXTURES / "wire.txt").read_text(encoding="utf-8")
REWRITE = (FIXTURES / "rewrite.txt").read_text(encoding="utf-8")


def test_packaged_model_reads_the_rewrite_as_more_machine_like() -> None:
    wire, rewrite = machine_logits([WIRE, REWRITE])
    assert rewrite - wire > 1.0
    assert wire < 0 < rewrite


def test_typography_urls_and_spacing_do_not_move_the_score() -> None:
    """Curly quotes, dashes and links say how a page was published, not who wrote it."""
    curly = WIRE.replace('"', "\u201c").replace(" - ", " \u2014 ")
    spaced = "  " + WIRE.replace(" ", "   ") + "\n\nhttps://example.org/story?id=1"
    assert normalise(curly) == normalise(WIRE) == normalise(spaced)
    base, a, b = machine_logits([WIRE, curly, spaced])
    assert a == pytest.approx(base) and b == pytest.approx(base)
    # empty and huge inputs are scored, not refused (a 10 MB page reads only its start)
    empty, huge = machine_logits(["", WIRE * 5000])
    assert np.isfinite(empty) and np.isfinite(huge)


def _toy_corpus() -> tuple[list[str], list[bool]]:
    human = [
        f"Officials in {town} said on {day} that {n} homes lost power after the storm. "
        f'"We expect the lines back by noon," a spokesman told reporters.'
        for town, day, n in [
            ("Dunmore", "Monday", 340),
            ("Rilby", "Friday", 12),
            ("Osk", "Sunday", 905),
            ("Tarn", "Tuesday", 77),
        ]
    ]
    machine = [
        f"In a significant development, {town} is grappling with outages. Furthermore, it "
        f"is important to note that {n} homes were affected, underscoring the vital need for "
        "resilience as the community continues to navigate these challenges."
        for town, n in [("Dunmore", 340), ("Rilby", 12), ("Osk", 905), ("Tarn", 77)]
    ]
    return human + machine, [False] * len(human) + [True] * len(machine)


def test_fit_save_load_round_trip(tmp_path: Path) -> None:
    texts, labels = _toy_corpus()
    model = fit(texts, labels, bits=12, meta={"trained_on": "toy"})
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = load_model(str(path))
    assert loaded.ngram == (3, 5) and loaded.meta["trained_on"] == "toy"
    assert np.allclose(loaded.logit(texts), model.logit(texts), atol=1e-5)
    # an unseen text of each kind lands on its side
    human, machine = loaded.logit(
        [
            'Officials in Brae said on Thursday that 61 homes lost power. "Soon," one said.',
            "Furthermore, it is important to note that Brae is grappling with these challenges.",
        ]
    )
    assert human < 0 < machine
    # a user's model is what signing uses when the setting names it
    st = Settings(families_machine_text_model=str(path))
    (sig,) = signatures([WIRE], st)
    assert sig.machine_text == pytest.approx(float(loaded.logit([WIRE])[0]), abs=1e-4)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "cannot read the machine-text model"),
        (b"PK\x03\x04 truncated zip", "cannot read the machine-text model"),
        (None, "bad machine-text model"),  # weights of a length that is no power of two
        ("nan", "bad machine-text model"),
    ],
)
def test_bad_model_files_are_named_in_one_line(
    tmp_path: Path, content: bytes | str | None, message: str
) -> None:
    path = tmp_path / "bad.npz"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        texts, labels = _toy_corpus()
        model = fit(texts, labels, bits=8)
        w = model.w[:100] if content is None else np.full_like(model.w, np.nan)
        replace(model, w=w).save(path)
    with pytest.raises(RetoldError, match=message) as err:
        load_model(str(path))
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    # a family run with it says the same
    with pytest.raises(RetoldError, match="bad.npz"):
        families([Article(WIRE), Article(REWRITE)], Settings(families_machine_text_model=str(path)))
    with pytest.raises(RetoldError, match="missing.npz"):
        load_model(str(tmp_path / "missing.npz"))


def test_the_member_reading_less_like_a_machine_rewrite_is_the_source() -> None:
    """Two members with equal content evidence (one text, two machine-text scores): the
    machine-text term decides, and only when its weight is on."""
    (a,) = signatures([WIRE], Settings())
    b = replace(a, machine_text=a.machine_text + 2.0)
    sigs = {1: b, 2: a}
    st = Settings()
    pick = pick_source([1, 2], sigs, {}, st)
    w = st.families_direction_machine_text
    assert pick.source == 2 and pick.scores[2] - pick.scores[1] == pytest.approx(2 * w * 2.0)
    off = pick_source([1, 2], sigs, {}, replace(st, families_direction_machine_text=0.0))
    assert off.scores[1] == off.scores[2] and off.source == 1  # a tie, broken by id
    # publication time still comes first
    dated = pick_source([1, 2], sigs, {1: "2026-01-01T08:00:00Z", 2: "2026-01-02T08:00:00Z"}, st)
    assert dated.source == 1 and dated.status == "earliest"


def test_a_family_of_the_wire_report_and_its_rewrite_names_the_wire_report() -> None:
    result = families([Article(REWRITE, origin="rewrite"), Article(WIRE, origin="wire")])
    (fam,) = result.families
    assert next(m for m in fam.members if m.id == fam.source).path == "wire"
    # the reasons say so, with both scores
    rewrite = next(m.id for m in fam.members if m.path == "rewrite")
    (why,) = [r for r in fam.source_reasons if "machine rewrite" in r]
    assert f"than article {rewrite}" in why and "against" in why


def test_another_machine_text_model_rescores_a_store_without_resigning(tmp_path: Path) -> None:
    """Scores of two models do not compare: a run with another model (or a refitted one)
    scores every stored signature again from the text, keeps the document vectors, picks
    the sources again and drops audits made against a source that changed."""
    from retold.family.upkeep import load_from_store, update_store
    from retold.store import SqliteStore

    texts, labels = _toy_corpus()
    mine = tmp_path / "mine.npz"
    fit(texts, labels, bits=12).save(mine)
    st = Settings(families_machine_text_model=str(mine))
    with SqliteStore.open(tmp_path / "r.db") as store:
        store.add_articles([Article(WIRE, origin="wire"), Article(REWRITE, origin="rewrite")])
        update_store(store)
        (fam,) = load_from_store(store).families
        wrong = next(m.id for m in fam.members if m.id != fam.source)
        # a source picked on other evidence, with an audit made against it
        store._tx(lambda: store._conn.execute("UPDATE families SET source_id = ?", (wrong,)))
        audit = store.save_audit(wrong, fam.source, "heuristic", {"schema_version": "1"})
        store.save_family_audit(fam.id, audit, fam.source, "heuristic", "1", [])
        assert store.family_audits(fam.id, "heuristic")
        stats = update_store(store, st)
        assert stats["signed"] == 0 and stats["machine_text_filled"] == 2
        want = dict(zip((1, 2), load_model(str(mine)).logit([WIRE, REWRITE]), strict=True))
        for s in store.iter_signatures():
            assert s.packed["machine_text"] == pytest.approx(want[s.article_id], abs=1e-3)
        assert load_from_store(store).families[0].source != wrong
        assert not store.family_audits(fam.id, "heuristic")  # made against the old source
        assert update_store(store, st)["machine_text_filled"] == 0  # same model: nothing
        # the packaged model again: the stored scores are replaced once more
        assert update_store(store)["machine_text_filled"] == 2
