"""Synthetic claim-support examples and the cross-encoder trainer (``retold train --what
cross-encoder``): fine-tuning, int8 ONNX export and scoring through the nli loader, run on a
tiny BERT built by the nli tests (the real run starts from the packaged MiniLM)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("onnxruntime")

from retold.analysis.article import analyze  # noqa: E402
from retold.judges.nli import NLIJudge, clear_cache  # noqa: E402
from retold.settings import Settings  # noqa: E402
from retold.training import claim_synth as synth  # noqa: E402
from retold.training.cross_encoder import export_int8, fine_tune, support_logits  # noqa: E402
from retold.types import Article  # noqa: E402
from tests.conftest import run_cli  # noqa: E402
from tests.test_judge_nli import _bert, _save  # noqa: E402

SOURCE = (
    "The city council of Dunmere voted on Monday to close the old library on Main Street. "
    "The mayor, Alma Reyes, said the building needs repairs costing 2.4 million dollars. "
    "Residents who opposed the plan held a protest outside the town hall on Tuesday. "
    "A new library will open next to the school in 2027, officials said. "
    "The budget for the new building is 9 million dollars, according to a council report. "
    "Police said the protest was peaceful and no one was arrested. "
    "Critics said the council approved the plan without asking residents."
)


@pytest.fixture(scope="module")
def source_doc():
    return analyze(Article(SOURCE, origin="s"), Settings())


def test_summary_claims_are_deterministic_and_labelled(source_doc) -> None:
    foreign = ["Farmers in the north reported the worst harvest in a decade this autumn."]
    a = synth.summary_claims(source_doc, foreign, random.Random(5))
    b = synth.summary_claims(source_doc, foreign, random.Random(5))
    assert a == b and a
    positives = [c for c, _, y in a if y == 1]
    negatives = [(c, k) for c, k, y in a if y == 0]
    assert positives and negatives
    assert {k for _, k, y in a if y == 1} <= {"compress", "fusion"}
    assert not {c for c, _ in negatives} & set(positives)  # a corruption differs from its claim
    for c, kind in negatives:
        if kind == "number":
            assert any(ch.isdigit() for ch in c)
        if kind == "negation":
            assert " not " in c


def test_compress_keeps_meaning_words() -> None:
    rng = random.Random(1)
    sent = "The mayor, Alma Reyes, said the building needs repairs costing 2.4 million dollars."
    for _ in range(10):
        out = synth.compress(sent, rng)
        assert len(out.split()) >= 6 and out.endswith(".")
        assert "2.4 million" in out  # shortening drops attributions and asides, never the fact


def test_label_examples_use_the_judge_time_premise(source_doc) -> None:
    claims = [
        ("The council voted to close the old library on Main Street.", "compress", 1),
        ("The council voted to close the old library on Main Street in 1990.", "number", 0),
        ("A storm flooded the harbour and sank two fishing boats overnight.", "extrinsic", 0),
    ]
    ex = synth.label_examples(source_doc, claims, group=3, settings=Settings())
    assert [e.label for e in ex] == [1, 0, 0]
    assert all(e.group == 3 and e.x.shape == (17,) for e in ex)
    # the premise is the claim's top aligned source sentences, best one included
    assert "close the old library" in ex[0].premise
    src_sents = [s.text for s in source_doc.sentences]
    # (an invented claim may align with nothing: an empty premise, as at judging time)
    assert all(any(s in e.premise for s in src_sents) for e in ex if e.premise)


def _examples() -> list[synth.Example]:
    pos = synth.Example(
        "the council voted to close the library", "the library closed", 1, "c", 0, np.zeros(1)
    )
    neg = synth.Example(
        "the council voted to close the library", "police opened a new fire station", 0, "e", 0,
        np.zeros(1),
    )  # fmt: skip
    return [pos, neg] * 16


@pytest.mark.slow
def test_fine_tune_export_and_score(tmp_path: Path) -> None:
    base = _save(_bert(2, {0: "not_entailment", 1: "entailment"}, seed=3), tmp_path / "base")
    ex = _examples()
    pairs = [(ex[0].premise, ex[0].claim), (ex[1].premise, ex[1].claim)]
    stats = fine_tune(ex, tmp_path / "fp32", epochs=12, batch_size=8, lr=3e-3, base=base, log=None)
    assert stats["steps"] == 48 and stats["examples"] == 32
    size = export_int8(tmp_path / "fp32", tmp_path / "ce")
    assert export_int8(tmp_path / "fp32", tmp_path / "ce") == size  # our own folder: replaced
    out = tmp_path / "ce"
    assert size == (out / "model.onnx").stat().st_size > 0
    assert {"model.onnx", "tokenizer.json", "config.json"} <= {p.name for p in out.iterdir()}
    assert not any(p.name.startswith(".claim-ce-") for p in tmp_path.iterdir())  # no temp left
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["id2label"] == {"0": "not_entailment", "1": "entailment"}
    clear_cache()
    z = support_logits(out, pairs)
    assert z.shape == (2,) and z[0] > z[1] + 1.0  # it learned the supported pair from the other
    # the same folder works as a user-supplied nli model (labels from config.json)
    judge = NLIJudge(Settings(nli_model=str(out)))
    assert judge.labels == ("neutral", "entailment")
    probs = judge.probabilities(pairs)
    assert probs[0, 0] > probs[1, 0]  # P(entailment) column: supported pair higher
    assert support_logits(out, []).shape == (0,)
    # padding must not change a score (beyond int8 activation rounding, which is per batch)
    long = ("the council voted to close the library " * 6, "the library closed on monday")
    assert support_logits(out, [pairs[1]])[0] == pytest.approx(
        support_logits(out, [long, pairs[1]])[1], abs=0.05
    )


def test_export_refuses_a_foreign_folder(tmp_path: Path) -> None:
    from retold.errors import RetoldError
    from retold.training.cross_encoder import check_out_dir

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RetoldError, match="not a cross-encoder folder"):
        check_out_dir(tmp_path)
    with pytest.raises(RetoldError, match="not a cross-encoder folder"):
        check_out_dir(tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "mine"
    check_out_dir(tmp_path / "new")  # a new folder is fine


def test_cli_needs_out_and_data(tmp_path: Path) -> None:
    res = run_cli("train", "--what", "cross-encoder", "--data", str(tmp_path))
    err = res.stderr.decode()
    assert res.returncode != 0
    assert "ptc,polnear,sheepdog,nli" in err and "Traceback" not in err


def test_entailment_pairs_come_only_from_training_parts() -> None:
    """The real pairs the claim model trains on: every set the README names, none of the
    measuring-only sets, and FRANK / QAGS only from their dev parts."""
    from retold.eval.data import find_data_dir, read_jsonl
    from retold.training import entailment_data as ed

    data = find_data_dir(None)
    if data is None or not (data / "nli").is_dir():
        pytest.skip("../shared/data with nli/ is not here")
    rng = random.Random(3)
    pairs = ed.curriculum(data, 40, rng) + ed.rte(data) + ed.fever(data, 200, rng)
    pairs += ed.climate_fever(data, 200, rng) + ed.summedits(data)
    kinds = {p.kind.split(":")[0] for p in pairs}
    assert kinds == {"curriculum", "rte", "fever", "climate_fever", "summedits"}
    assert {p.label for p in pairs} == {0, 1}
    assert all(p.premise.strip() and p.claim.strip() for p in pairs)
    # premises from long documents are the passages nearest the claim, not the whole text
    assert max(len(p.premise) for p in pairs if p.kind == "summedits") < 4000
    # no ANLI / SICK / WiCE text, no FRANK test summary
    anli = {r["hypothesis"] for r in read_jsonl(data / "nli/anli_v1.0/R1/test.jsonl")}
    assert not anli & {p.claim for p in pairs}
    test_ids = {
        r["summary"] for r in read_jsonl(data / "frank/pairs.jsonl.gz") if r["split"] == "test"
    }
    assert not test_ids & {p.claim for p in pairs}
