"""The packaged claim-support model (``--judge claim``) and the default cascade built on it:
a faithful paraphrase is supported, an invention is not, meaning changes that keep the words
are contradicted, and bad input or a broken model folder gives a one-line error."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from retold.audit.compare import compare
from retold.errors import RetoldError
from retold.judges import get_judge
from retold.judges.claim import ClaimJudge, chunks_for, packaged_model_path, read_card
from retold.judges.nli import clear_cache
from retold.settings import Settings

# written for these tests: a made-up story and retellings of it
SOURCE = (
    "The harbour authority of Valmora said on Monday that 3,800 dockworkers had walked off the "
    "job after contract talks collapsed. Union leader Teodora Brisk told reporters the "
    "authority had refused a raise of 9 percent over three years. The authority said it had "
    "offered 6 percent and called the strike unlawful. Exporters warned that fruit worth 14 "
    "million euros was stuck on the quays."
)
PARAPHRASE = (
    "Speaking to journalists, Teodora Brisk accused harbour bosses of turning down a 9 percent "
    "pay rise spread across three years."
)
INVENTION = "Brisk said the union would also sue the harbour authority in the European court."


@pytest.fixture(scope="module")
def judge() -> ClaimJudge:
    return ClaimJudge(Settings())


def test_packaged_model_and_card() -> None:
    path = packaged_model_path()
    assert (path / "model.onnx").is_file()
    assert (path / "model.onnx").stat().st_size < 25_000_000
    card = read_card(path)
    # the card says what trained it, and no set that is for measuring only
    sets = set(card["training_sets"])
    assert {"curriculum", "fever", "frank_dev"} <= sets
    assert not sets & {"anli", "sick", "wice", "frank_test"}
    assert card["calibration"]["scale"] > 0


def test_paraphrase_supported_invention_not() -> None:
    para = compare(SOURCE, PARAPHRASE, judge="claim")
    inv = compare(SOURCE, INVENTION, judge="claim")
    (p,) = para.claims
    (i,) = inv.claims
    # alone the model is a second reader (the cascade below gives the verdict users see):
    # the paraphrase reads as far better supported than the invention
    assert i.verdict == "unsupported", i.reasons
    assert p.support_score > i.support_score + 0.25, (p.support_score, i.support_score)
    # evidence: the source sentence the paraphrase restates
    assert any("9 percent" in SOURCE[e.start : e.end] for e in p.evidence)


def test_probabilities_are_calibrated_and_bounded(judge: ClaimJudge) -> None:
    p = judge.probabilities([(SOURCE, PARAPHRASE), (SOURCE, INVENTION)])
    assert p.shape == (2,) and ((p >= 0) & (p <= 1)).all()
    assert p[0] > p[1]


def test_chunks_read_the_best_sentence_with_its_neighbours() -> None:
    from retold.analysis.article import analyze
    from retold.types import Article

    doc = analyze(Article(SOURCE, origin="s"))
    chunks = chunks_for(doc, [(3, 0.9), (1, 0.5)], window=1)
    joined, around = chunks
    assert joined[1] == (3, 1) and joined[0].index("Brisk") < joined[0].index("Exporters")
    assert around[1][0] == 3 and set(around[1]) == {2, 3}  # the last sentence has no right side
    assert chunks_for(doc, [], window=1) == []


def test_default_cascade_escalates_unsure_claims_to_the_model() -> None:
    st = Settings()
    assert st.judge == "cascade" and st.cascade_expensive == "claim"
    audit = compare(SOURCE, PARAPHRASE + " " + INVENTION, settings=st)
    verdicts = [c.verdict for c in audit.claims]
    assert verdicts == ["supported", "unsupported"]
    assert audit.judge.startswith("cascade(heuristic->claim)")


@pytest.mark.parametrize(
    "claim",
    [
        "",  # nothing to judge
        "word " * 5000,  # a 5,000-word sentence is cut to the model's length
        "Der Hafenbetrieb wurde am Montag vollständig eingestellt.",  # not English
    ],
)
def test_odd_claims_get_a_verdict_not_a_traceback(judge: ClaimJudge, claim: str) -> None:
    from retold.analysis.article import analyze
    from retold.audit.align import align
    from retold.types import Article

    src = analyze(Article(SOURCE, origin="s"))
    ret = analyze(Article(claim or ".", origin="r"), replace(Settings(), min_words=0))
    out = judge.judge(src, ret, align(src, ret, Settings()), list(range(len(ret.sentences))))
    assert len(out) == len(ret.sentences)
    assert all(j.verdict in ("supported", "unsupported") and 0 <= j.probability <= 1 for j in out)


def test_missing_or_damaged_model_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(RetoldError, match="not found"):
        ClaimJudge(Settings(claim_model=str(tmp_path / "nope")))
    broken = tmp_path / "broken"
    shutil.copytree(packaged_model_path(), broken)
    (broken / "model.onnx").write_bytes(b"not a model")
    clear_cache()
    judge = ClaimJudge(Settings(claim_model=str(broken)))
    with pytest.raises(RetoldError, match="cannot load nli model") as err:
        judge.probabilities([("a b c.", "a b.")])
    assert "\n" not in str(err.value)
    (broken / "training.json").write_text("{not json", "utf-8")
    with pytest.raises(RetoldError, match="model card"):
        ClaimJudge(Settings(claim_model=str(broken)))


def test_claim_judge_by_name_and_card_calibration(tmp_path: Path) -> None:
    assert get_judge("claim", Settings()).name == "claim"
    folder = tmp_path / "m"
    shutil.copytree(packaged_model_path(), folder)
    card = json.loads((folder / "training.json").read_text("utf-8"))
    card["calibration"] = {"scale": 0.0, "shift": 0.0}  # every pair: probability 0.5
    (folder / "training.json").write_text(json.dumps(card), "utf-8")
    flat = ClaimJudge(Settings(claim_model=str(folder)))
    assert flat.probabilities([(SOURCE, INVENTION)]).tolist() == [0.5]


def test_onnx_thread_cap_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from retold.analysis.embed import ONNX_THREADS_VAR, session_options

    monkeypatch.setenv(ONNX_THREADS_VAR, "1")
    assert session_options().intra_op_num_threads == 1
    monkeypatch.setenv(ONNX_THREADS_VAR, "not a number")
    assert session_options().intra_op_num_threads == 0  # onnxruntime's default: every core
    monkeypatch.delenv(ONNX_THREADS_VAR)
    assert session_options().intra_op_num_threads == 0
