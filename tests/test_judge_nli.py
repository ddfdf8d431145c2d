"""The NLI judge against tiny random models built inside the test (no network, no hub).

A 1-layer BERT with a 60-word vocabulary is saved as a transformers directory and exported to
ONNX; the judge must read both, agree between them, map labels as configured and fail with
one-line errors. The weights are random, so only the plumbing is tested, not accuracy.
"""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from retold.errors import RetoldError  # noqa: E402
from retold.judges import nli  # noqa: E402
from retold.judges.base import ClaimInput, Judgement  # noqa: E402
from retold.judges.nli import CLASSES, NLIJudge, labels_from_config, parse_labels  # noqa: E402
from retold.judges.registry import get_judge  # noqa: E402
from retold.settings import Settings  # noqa: E402

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = (
    "the a of to in on and said says was were is will not no council mayor library city "
    "vote voted close closed open opened monday tuesday budget million dollars residents "
    "police fire station new old school report two three five year years plan plans "
    "critics support supported rejected approved protest . , ' \""
).split()
ENC = {0: "ENTAILMENT", 1: "NEUTRAL", 2: "CONTRADICTION"}  # MNLI-style names, E,N,C order

PAIRS = [
    ("The council voted to close the library on Monday.", "The library was closed."),
    ("The mayor said the budget was two million dollars.", "The budget is five million."),
    ("Police said no one was hurt.", "The fire station will open on Tuesday."),
    (
        "Critics rejected the plan. Residents held a protest in the city. The mayor said "
        "the new school will open in three years.",
        "The school opens in three years.",
    ),
]


# --- building the tiny models


def _tokenizer() -> transformers.PreTrainedTokenizerFast:
    """A BERT-style WordPiece tokenizer built from a word list (version-independent)."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece

    vocab = {w: i for i, w in enumerate(SPECIAL + WORDS)}
    tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=512,
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],  # as BERT's own
    )


def _bert(num_labels: int, id2label: dict[int, str], seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    config = transformers.BertConfig(
        vocab_size=len(SPECIAL) + len(WORDS),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=512,
        num_labels=num_labels,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
        initializer_range=0.5,  # large random weights: probabilities far from uniform
    )
    return transformers.BertForSequenceClassification(config).eval()


def _save(model: torch.nn.Module, path: Path) -> Path:
    model.save_pretrained(str(path))
    _tokenizer().save_pretrained(str(path))
    return path


class _Logits(torch.nn.Module):
    """Explicit input names and order for the exporter."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
        return self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).logits


def _export_onnx(hf_dir: Path, out: Path) -> Path:
    # eager attention and a padded dummy batch, so the traced graph keeps the mask path
    model = transformers.BertForSequenceClassification.from_pretrained(
        str(hf_dir), local_files_only=True, attn_implementation="eager"
    ).eval()
    enc = _tokenizer()(
        ["the mayor said the council voted", "police"],
        ["the library closed", "no"],
        padding=True,
        return_tensors="pt",
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    out.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Logits(model),
            tuple(enc[n] for n in names),
            str(out / "model.onnx"),
            input_names=names,
            output_names=["logits"],
            dynamic_axes={**{n: {0: "batch", 1: "seq"} for n in names}, "logits": {0: "batch"}},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter needs no onnxscript
        )
    return out


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("nli_models")
    hf = _save(_bert(3, ENC, seed=0), root / "hf")
    # the same weights, but config.json says the outputs are in C,N,E order
    cne = root / "hf_cne"
    shutil.copytree(hf, cne)
    cfg = json.loads((cne / "config.json").read_text())
    cfg["id2label"] = {"0": "contradiction", "1": "neutral", "2": "entailment"}
    cfg["label2id"] = {v: int(k) for k, v in cfg["id2label"].items()}
    (cne / "config.json").write_text(json.dumps(cfg))
    return {
        "hf": hf,
        "hf_cne": cne,
        "two_plain": _save(_bert(2, {0: "LABEL_0", 1: "LABEL_1"}, seed=1), root / "two_plain"),
        "two_named": _save(_bert(2, {0: "not_entailment", 1: "entailment"}, seed=1), root / "two"),
    }


@pytest.fixture(scope="module")
def onnx_models(models: dict[str, Path]) -> dict[str, Path]:
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    root = models["hf"].parent
    full = _export_onnx(models["hf"], root / "onnx")
    _tokenizer().save_pretrained(str(full))
    shutil.copy(models["hf"] / "config.json", full / "config.json")
    # a bare export: model.onnx + tokenizer.json only, read with the tokenizers library
    bare = root / "onnx_bare"
    bare.mkdir()
    shutil.copy(full / "model.onnx", bare / "model.onnx")
    shutil.copy(full / "tokenizer.json", bare / "tokenizer.json")
    return {"onnx": full, "bare": bare}


def judge_for(path: Path, **overrides: object) -> NLIJudge:
    return NLIJudge(Settings(nli_model=str(path)).with_overrides(**overrides))


def inputs() -> list[ClaimInput]:
    return [
        ClaimInput(
            "The library was closed.",
            ("The council voted to close the library on Monday.", "Police said no one was hurt."),
            (4, 1),
        ),
        ClaimInput("The budget is five million.", ("The mayor said the budget was two.",), (0,)),
        ClaimInput("Residents held a protest.", (), ()),
        ClaimInput(
            "The school opens in three years.",
            ("Critics rejected the plan.", "The mayor said the new school will open.", "No."),
            (7, 2, 9),
        ),
    ]


# --- contract


def test_contract(models: dict[str, Path]) -> None:
    judge = get_judge("nli", Settings(nli_model=str(models["hf"])))
    assert isinstance(judge, NLIJudge) and judge.name == "nli"
    ins = inputs()
    out = judge.judge_inputs(ins)
    assert len(out) == len(ins)
    for ci, jd in zip(ins, out, strict=True):
        assert jd.verdict in {"supported", "unsupported", "contradicted"}
        assert 0.0 <= jd.probability <= 1.0 and 0.0 <= jd.confidence <= 1.0
        assert sorted(jd.evidence) == sorted(ci.passage_ids)
        assert jd.reasons
    assert judge.judge_inputs([]) == []


def test_verdict_follows_scores(models: dict[str, Path]) -> None:
    judge = judge_for(models["hf"])
    ins = inputs()
    out = judge.judge_inputs(ins)
    for ci, jd in zip(ins, out, strict=True):
        if not ci.passages:
            continue
        pairs = [(ci.premise, ci.claim)] + [(p, ci.claim) for p in ci.passages]
        probs = judge.probabilities(pairs)
        ent, con = probs[:, 0].max(), probs[:, 2].max()
        assert jd.probability == pytest.approx(ent, abs=1e-6)
        if con > ent and con >= 0.5:
            assert jd.verdict == "contradicted"
            key = probs[1:, 2]
        else:
            assert jd.verdict == ("supported" if ent >= 0.5 else "unsupported")
            key = probs[1:, 0]
        # evidence ranked by the per-passage score that decided the verdict
        ranked = [ci.passage_ids[k] for k in np.argsort(-key, kind="stable")]
        assert jd.evidence == ranked
    assert {j.verdict for j in out} >= {"supported", "unsupported", "contradicted"}
    # support_threshold decides between supported and unsupported, never contradicted
    for threshold, verdict in ((0.0, "supported"), (0.999, "unsupported")):
        moved = judge_for(models["hf"], support_threshold=threshold).judge_inputs(ins)
        for a, b, ci in zip(out, moved, ins, strict=True):
            if a.verdict == "contradicted":
                assert b.verdict == "contradicted"
            elif ci.passages:
                assert b.verdict == verdict


def test_probabilities_are_distributions(models: dict[str, Path]) -> None:
    probs = judge_for(models["hf"]).probabilities(PAIRS)
    assert probs.shape == (len(PAIRS), 3)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert probs.std() > 0.01  # the random model is not uniform: label tests mean something


def test_empty_passages_skip_the_model(
    models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    judge = judge_for(models["hf"])

    def boom(*_: object) -> None:
        raise AssertionError("model loaded for empty passages")

    monkeypatch.setattr(nli, "load_backend", boom)
    out = judge.judge_inputs([ClaimInput("Anything at all.", (), ())] * 2)
    assert [(j.verdict, j.probability, j.evidence) for j in out] == [("unsupported", 0.0, [])] * 2


def test_batch_size_does_not_change_results(models: dict[str, Path]) -> None:
    ins = inputs() * 3
    one = judge_for(models["hf"], nli_batch_size=1).judge_inputs(ins)
    many = judge_for(models["hf"], nli_batch_size=16).judge_inputs(ins)
    three = judge_for(models["hf"], nli_batch_size=3).judge_inputs(ins)
    for a, b, c in zip(one, many, three, strict=True):
        assert a.verdict == b.verdict == c.verdict
        assert a.evidence == b.evidence == c.evidence
        assert a.probability == pytest.approx(b.probability, abs=1e-5)
        assert a.probability == pytest.approx(c.probability, abs=1e-5)


def test_model_loaded_once_per_path(
    models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    nli.clear_cache()
    calls: list[Path] = []
    real = nli._load

    def counting(layout: nli._Layout) -> object:
        calls.append(layout.path)
        return real(layout)

    monkeypatch.setattr(nli, "_load", counting)
    for _ in range(3):
        judge_for(models["hf"]).judge_inputs(inputs()[:1])
    judge_for(Path(str(models["hf"]) + "/")).judge_inputs(inputs()[:1])
    assert calls == [models["hf"].resolve()]


# --- labels


def test_parse_labels() -> None:
    assert parse_labels("entailment,neutral,contradiction") == CLASSES
    assert parse_labels(" Contradiction , ENTAILMENT ") == ("contradiction", "entailment")
    assert parse_labels("unsupported,supported") == ("neutral", "entailment")
    for bad, words in [
        ("entailment,maybe", "unknown label 'maybe'"),
        ("entailment", "at least two"),
        ("entailment,supported", "twice"),
        ("neutral,contradiction", "must include entailment"),
    ]:
        with pytest.raises(RetoldError, match=words):
            parse_labels(bad)


def test_labels_from_config() -> None:
    assert labels_from_config({"0": "CONTRADICTION", "1": "NEUTRAL", "2": "ENTAILMENT"}) == (
        "contradiction",
        "neutral",
        "entailment",
    )
    assert labels_from_config({0: "not_entailment", 1: "entailment"}) == ("neutral", "entailment")
    assert labels_from_config({0: "SUPPORTS", 1: "REFUTES", 2: "NOT ENOUGH INFO"}) == (
        "entailment",
        "contradiction",
        "neutral",
    )
    assert labels_from_config({0: "LABEL_0", 1: "LABEL_1"}) is None
    assert labels_from_config({0: "neutral", 1: "contradiction"}) is None  # no entailment
    assert labels_from_config(None) is None


def test_label_order_swaps_probabilities(models: dict[str, Path]) -> None:
    base = judge_for(models["hf"])
    swapped = judge_for(models["hf"], nli_labels="contradiction,neutral,entailment")
    assert base.labels == CLASSES
    assert swapped.labels == ("contradiction", "neutral", "entailment")
    p, q = base.probabilities(PAIRS), swapped.probabilities(PAIRS)
    assert np.allclose(q[:, 0], p[:, 2], atol=1e-6)
    assert np.allclose(q[:, 2], p[:, 0], atol=1e-6)
    assert np.allclose(q[:, 1], p[:, 1], atol=1e-6)
    ins = inputs()
    for a, b, ci in zip(base.judge_inputs(ins), swapped.judge_inputs(ins), ins, strict=True):
        if ci.passages:
            pairs = [(ci.premise, ci.claim)] + [(x, ci.claim) for x in ci.passages]
            assert b.probability == pytest.approx(base.probabilities(pairs)[:, 2].max(), abs=1e-6)
            assert a.probability == pytest.approx(base.probabilities(pairs)[:, 0].max(), abs=1e-6)


def test_config_id2label_preferred_over_default(models: dict[str, Path]) -> None:
    # same weights, config says C,N,E: the default nli_labels defers to it
    cne = judge_for(models["hf_cne"])
    assert cne.labels == ("contradiction", "neutral", "entailment")
    p = judge_for(models["hf"]).probabilities(PAIRS)
    q = cne.probabilities(PAIRS)
    assert np.allclose(q[:, 0], p[:, 2], atol=1e-6) and np.allclose(q[:, 2], p[:, 0], atol=1e-6)
    # an explicit non-default order wins over the config
    forced = judge_for(models["hf_cne"], nli_labels="entailment,contradiction,neutral")
    assert forced.labels == ("entailment", "contradiction", "neutral")
    # a recognisable 2-label config makes a 2-label model work with no settings at all
    assert judge_for(models["two_named"]).labels == ("neutral", "entailment")


def test_two_label_model(models: dict[str, Path]) -> None:
    judge = judge_for(models["two_plain"], nli_labels="neutral,entailment")
    assert judge.labels == ("neutral", "entailment")
    probs = judge.probabilities(PAIRS)
    assert np.allclose(probs[:, 0] + probs[:, 1], 1.0) and np.all(probs[:, 2] == 0.0)
    out = judge.judge_inputs(inputs())
    assert all(j.verdict in {"supported", "unsupported"} for j in out)
    alias = judge_for(models["two_plain"], nli_labels="unsupported,supported")
    assert [j.probability for j in alias.judge_inputs(inputs())] == [j.probability for j in out]
    # MiniCheck-style named config: same weights, same answers, no nli_labels needed
    named = judge_for(models["two_named"])
    assert np.allclose(named.probabilities(PAIRS), probs, atol=1e-6)


# --- truncation


def test_long_premise_is_truncated(models: dict[str, Path]) -> None:
    words = ("the council said the library will close on monday and residents " * 500).split()
    premise = " ".join(words[:5000])
    claim = "The library will close."
    ci = ClaimInput(claim, (premise, "The mayor said no."), (0, 1))
    for max_length in (512, 64):
        judge = judge_for(models["hf"], nli_max_length=max_length)
        (jd,) = judge.judge_inputs([ci])
        assert 0.0 <= jd.probability <= 1.0
    # premise cut first: the claim survives intact, so only the premise's tail differs
    judge = judge_for(models["hf"], nli_max_length=64)
    a = judge.probabilities([(premise, claim)])
    b = judge.probabilities([(premise + " police fire station", claim)])
    assert np.allclose(a, b, atol=1e-6)


def test_claim_longer_than_max_length(models: dict[str, Path]) -> None:
    claim = "The mayor said " + "the budget was two million dollars " * 40
    (jd,) = judge_for(models["hf"], nli_max_length=32).judge_inputs(
        [ClaimInput(claim, ("The budget was two million dollars.",), (3,))]
    )
    assert 0.0 <= jd.probability <= 1.0 and jd.evidence == [3]


# --- ONNX


def test_onnx_matches_transformers(models: dict[str, Path], onnx_models: dict[str, Path]) -> None:
    ref = judge_for(models["hf"], nli_batch_size=3).probabilities(PAIRS)
    for name in ("onnx", "bare"):
        judge = judge_for(onnx_models[name], nli_batch_size=3)
        backend = judge._ready()
        assert backend.kind == "onnx"
        assert judge.labels == CLASSES
        assert np.allclose(judge.probabilities(PAIRS), ref, atol=1e-4), name
    # raw tokenizers path really used for the bare export
    assert nli.load_backend(nli.inspect_model_dir(str(onnx_models["bare"])))._raw_tok is not None


def test_onnx_judgements_match(models: dict[str, Path], onnx_models: dict[str, Path]) -> None:
    ins = inputs()
    ref = judge_for(models["hf"]).judge_inputs(ins)
    for name in ("onnx", "bare"):
        out = judge_for(onnx_models[name], nli_batch_size=2).judge_inputs(ins)
        for a, b in zip(ref, out, strict=True):
            assert a.verdict == b.verdict and a.evidence == b.evidence
            assert a.probability == pytest.approx(b.probability, abs=1e-4)


def test_onnx_truncation(models: dict[str, Path], onnx_models: dict[str, Path]) -> None:
    premise = " ".join(("the mayor said the new school will open in three years " * 500).split())
    pairs = [(premise, "The school opens."), (premise[:200], "The school opens.")]
    ref = judge_for(models["hf"], nli_max_length=128).probabilities(pairs)
    for name in ("onnx", "bare"):
        got = judge_for(onnx_models[name], nli_max_length=128).probabilities(pairs)
        assert np.allclose(got, ref, atol=1e-4), name


def test_onnx_subdirectory_layout(onnx_models: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "onnx").mkdir()
    shutil.copy(onnx_models["bare"] / "model.onnx", tmp_path / "onnx" / "model.onnx")
    shutil.copy(onnx_models["bare"] / "tokenizer.json", tmp_path / "tokenizer.json")
    assert judge_for(tmp_path).probabilities(PAIRS[:1]).shape == (1, 3)


# --- errors: one line, naming the path


def _one_line(exc: pytest.ExceptionInfo[RetoldError], *parts: str) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    for part in parts:
        assert part in msg, (part, msg)
    return msg


def test_error_no_model() -> None:
    with pytest.raises(RetoldError) as exc:
        get_judge("nli", Settings())
    _one_line(exc, "nli judge needs a model directory: set nli_model or --nli-model")


def test_error_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(RetoldError) as exc:
        judge_for(tmp_path / "nope")
    _one_line(exc, str(tmp_path / "nope"), "not found")
    (tmp_path / "file.bin").write_bytes(b"x")
    with pytest.raises(RetoldError) as exc:
        judge_for(tmp_path / "file.bin")
    _one_line(exc, str(tmp_path / "file.bin"), "directory")


def test_error_not_a_model_directory(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")  # config without weights is not enough
    with pytest.raises(RetoldError) as exc:
        judge_for(tmp_path)
    _one_line(exc, str(tmp_path), "model.onnx")


def test_error_transformers_missing(
    models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    nli.clear_cache()
    monkeypatch.setitem(sys.modules, "transformers", None)  # import now raises ImportError
    judge = judge_for(models["hf"])
    with pytest.raises(RetoldError) as exc:
        judge.judge_inputs(inputs()[:1])
    _one_line(exc, str(models["hf"].resolve()), "pip install 'retold[nli]'")
    monkeypatch.undo()
    assert judge.judge_inputs(inputs()[:1])  # the failure was not cached


def test_error_label_count_mismatch(models: dict[str, Path]) -> None:
    # LABEL_0/LABEL_1 config: the default 3 names cannot describe 2 outputs
    with pytest.raises(RetoldError) as exc:
        judge_for(models["two_plain"]).judge_inputs(inputs()[:1])
    _one_line(exc, str(models["two_plain"].resolve()), "3 labels", "2 outputs", "nli_labels")
    with pytest.raises(RetoldError) as exc:
        judge_for(models["hf"], nli_labels="neutral,entailment").judge_inputs(inputs()[:1])
    _one_line(exc, str(models["hf"].resolve()), "2 labels", "3 outputs")


def test_error_unknown_label_name(models: dict[str, Path]) -> None:
    with pytest.raises(RetoldError) as exc:
        judge_for(models["hf"], nli_labels="yes,no")
    _one_line(exc, "nli_labels", "'yes'")


def test_error_corrupt_weights(models: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(models["hf"], bad)
    (bad / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(RetoldError) as exc:
        judge_for(bad).judge_inputs(inputs()[:1])
    _one_line(exc, str(bad.resolve()), "cannot load nli model")


def test_error_onnx_without_tokenizer(onnx_models: dict[str, Path], tmp_path: Path) -> None:
    shutil.copy(onnx_models["bare"] / "model.onnx", tmp_path / "model.onnx")
    with pytest.raises(RetoldError) as exc:
        judge_for(tmp_path).judge_inputs(inputs()[:1])
    _one_line(exc, str(tmp_path.resolve()), "tokenizer")


# --- end to end


@pytest.mark.slow
def test_compare_end_to_end(models: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from retold.audit.compare import compare

    seen: list[tuple[list[ClaimInput], list[Judgement]]] = []
    real = NLIJudge.judge_inputs

    def recording(self: NLIJudge, ins: list[ClaimInput]) -> list[Judgement]:
        out = real(self, ins)
        seen.append((ins, out))
        return out

    monkeypatch.setattr(NLIJudge, "judge_inputs", recording)
    source = (
        "The city council voted on Monday to close the old library. "
        "The mayor said the budget was two million dollars. "
        "Residents held a protest outside the council building on Tuesday."
    )
    retelling = (
        "On Monday the council voted to close the old library. "
        "The mayor said the budget was five million dollars. "
        "Police said the fire station will open next year."
    )
    audit = compare(source, retelling, settings=Settings(nli_model=str(models["hf"])), judge="nli")
    assert len(seen) == 1 and len(audit.claims) == 3
    ins, out = seen[0]
    assert [c.text for c in audit.claims] == [ci.claim for ci in ins]
    assert [c.support_score for c in audit.claims] == [j.probability for j in out]
    # the scores are the model's own, recomputed independently
    fresh = judge_for(models["hf"]).judge_inputs(ins)
    assert [j.probability for j in fresh] == pytest.approx([j.probability for j in out], abs=1e-6)
    assert any(ci.passages for ci in ins) and any(0.0 < j.probability < 1.0 for j in out)
    for claim in audit.claims:
        assert claim.verdict in {"supported", "unsupported", "contradicted"}
