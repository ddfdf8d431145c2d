"""The style analyser: spans, scores, the comparison against a source, the CLI, bad input, and
the training and evaluation harness on a tiny invented fixture (all texts written for retold)."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

from retold.errors import InputError
from retold.eval.metrics import span_overlap_prf
from retold.inputs.reading import read_article
from retold.settings import Settings
from retold.style import analyze_style, compare_style
from retold.style.model import load_model

from .conftest import run_cli

NEUTRAL = (
    "The council of Bramley approved a budget of 4.2 million pounds on Tuesday. "
    "The plan includes repairs to two schools and a new bus shelter on Mill Road. "
    "Councillors voted nine to three in favour after a two-hour debate. "
    "The finance officer said the figures would be reviewed again in the spring. "
    "Residents can read the full budget on the council website from next week."
)
SENSATIONAL = (
    "SHOCKING BETRAYAL: Bramley Council Unleashes Budget Chaos!\n\n"
    "In a stunning move that sent shockwaves through the town, the council rammed through an "
    "outrageous 4.2 million pound budget on Tuesday. Furious residents say it is the worst "
    "decision in history, an absolute disaster and a total betrayal! Time is running out "
    "before these reckless elites destroy everything we love. You won't believe what they "
    "are planning next. This is a nightmare, a catastrophe, an incredible scandal!"
)


@pytest.fixture(scope="module")
def corpus_articles(corpus):
    return {
        name: read_article(str(corpus / f"{name}.txt"))
        for name in ("source", "faithful", "contentfarm")
    }


def test_spans_have_valid_offsets_and_confidences():
    for text in (NEUTRAL, SENSATIONAL):
        a = analyze_style(text)
        for s in a.spans:
            assert 0 <= s.start < s.end <= len(a.text)
            assert a.text[s.start : s.end] == s.text
            assert 0.0 <= s.confidence <= 1.0
            assert s.kind in ("propaganda", "sensational", "machine-rewrite")
        sc = a.scores
        for v in (sc.sensationalism, sc.machine_rewrite):
            assert 0.0 <= v <= 100.0
        assert sc.propaganda_spans == sum(sc.techniques.values())
        assert set(sc.techniques) <= set(load_model().techniques)


def test_sensational_text_scores_higher_than_neutral():
    calm, loud = analyze_style(NEUTRAL).scores, analyze_style(SENSATIONAL).scores
    assert loud.sensationalism > calm.sensationalism + 20
    assert loud.sensational and not calm.sensational
    loud_spans = analyze_style(SENSATIONAL).spans
    labels = {s.label for s in loud_spans if s.kind == "sensational"}
    assert {"hype-opener", "urgency"} <= labels
    assert any(
        s.text == "In a stunning move that sent shockwaves through the town" for s in loud_spans
    )


def test_a_line_of_text_gets_no_extreme_score():
    # the models saw articles; a short text is read as a short article, not extrapolated
    calm = analyze_style("The council approved the budget on Tuesday.").scores
    loud = analyze_style("Shocking betrayal! The council unleashed total chaos!").scores
    assert calm.sensationalism < 20 < loud.sensationalism
    assert analyze_style("Hello.").scores.sensationalism < 60
    assert analyze_style("The council approved the budget on Tuesday.").scores.machine_rewrite < 60


def test_title_leads_the_text_and_is_scored_for_clickbait():
    a = analyze_style(NEUTRAL, title="You Won't Believe These 9 Things Bramley Council Just Did")
    b = analyze_style(NEUTRAL, title="Bramley council approves 4.2 million pound budget")
    assert a.text.startswith("You Won't Believe") and a.text.endswith(NEUTRAL)
    assert a.scores.clickbait is not None and b.scores.clickbait is not None
    assert a.scores.clickbait > b.scores.clickbait
    assert a.scores.clickbait_flag and not b.scores.clickbait_flag
    assert analyze_style(NEUTRAL).scores.clickbait is None


def test_machine_rewrite_markers_are_evidence():
    text = NEUTRAL + (
        " The vote underscores a pivotal moment for the town in the face of rising costs.\n\n"
        "As the debate over the budget continues, all eyes are now on the spring review."
    )
    a, base = analyze_style(text), analyze_style(NEUTRAL)
    assert a.scores.machine_rewrite > base.scores.machine_rewrite
    marks = [s for s in a.spans if s.kind == "machine-rewrite"]
    assert any(s.text == "pivotal moment" for s in marks)
    assert any(s.text.startswith("As the debate over the budget continues") for s in marks)
    assert all(s.confidence < 1.0 + 1e-9 for s in marks)


def test_reworded_source_words_are_not_new():
    src = "The minister said the government would not compromise on safety."
    ret = "Safety would not be compromised, the minister said."
    assert not [s for s in compare_style(src, ret).spans if s.new]


def test_spans_present_in_the_source_are_not_new():
    # the source itself is dramatic: the retelling keeps its wording and adds one new phrase
    added = " Critics called it a jaw-dropping scandal."
    cmp = compare_style(SENSATIONAL, SENSATIONAL + added)
    ret = [s for s in cmp.spans if s.side == "retelling"]
    kept = [s for s in ret if s.end <= len(SENSATIONAL)]
    assert kept and not any(s.new for s in kept if s.kind != "propaganda")
    assert any(s.new and "jaw-dropping" in s.text for s in ret)
    assert all(not s.new for s in cmp.spans if s.side == "source")
    # the same dramatic text on both sides is no change in tone
    same = compare_style(SENSATIONAL, SENSATIONAL)
    assert not same.more_sensational
    assert not any(s.new for s in same.spans)
    assert same.new_techniques == {}


def test_faithful_paraphrase_is_not_flagged(corpus_articles):
    src, faithful = corpus_articles["source"], corpus_articles["faithful"]
    cmp = compare_style(
        src.text, faithful.text, source_title=src.title, retelling_title=faithful.title
    )
    assert not cmp.more_sensational
    assert abs(cmp.retelling_score - cmp.source_score) < 5
    # nothing the paraphrase says is blamed on it: every span it has, the source has too
    assert not [s for s in cmp.spans if s.new], [s.text for s in cmp.spans if s.new]
    assert cmp.new_techniques == {}


def test_content_farm_scores_clearly_above_source_and_paraphrase(corpus_articles):
    arts = {k: analyze_style(v.text, v.title) for k, v in corpus_articles.items()}
    farm = arts["contentfarm"].scores
    for other in ("source", "faithful"):
        assert farm.sensationalism > arts[other].scores.sensationalism + 10
        assert farm.machine_rewrite > arts[other].scores.machine_rewrite + 30
    src, cf = corpus_articles["source"], corpus_articles["contentfarm"]
    cmp = compare_style(src.text, cf.text, source_title=src.title, retelling_title=cf.title)
    new_text = " ".join(s.text for s in cmp.spans if s.new)
    assert "stunning" in new_text and "pivotal moment" in new_text


def test_long_texts_are_scored_in_sentence_aligned_chunks(corpus_articles):
    # bounded memory on long inputs: chunked feature rows give the same token probabilities
    import numpy as np

    from retold.style.features import chunks, part, token_features, tokenize

    model = load_model()
    tok = tokenize("\n\n".join([corpus_articles["contentfarm"].text] * 3))
    pieces = chunks(tok, size=200)
    assert len(pieces) > 3 and pieces[0][0] == 0 and pieces[-1][1] == len(tok.words)
    for (_, j), (i, _) in zip(pieces, pieces[1:], strict=False):
        assert j == i and tok.sentence[i] != tok.sentence[i - 1]  # cuts between sentences
    whole = model.si.prob(token_features(tok, model.si_dims))
    parts = np.concatenate(
        [model.si.prob(token_features(part(tok, i, j), model.si_dims)) for i, j in pieces]
    )
    assert np.allclose(whole, parts, atol=1e-5)


def test_empty_text_is_an_input_error():
    with pytest.raises(InputError, match="no article text"):
        analyze_style("   \n ")


def test_settings_override_the_dev_thresholds():
    strict = Settings().with_overrides(style_span_threshold=0.99)
    assert analyze_style(SENSATIONAL, settings=strict).scores.propaganda_spans == 0


def test_span_overlap_scoring_matches_the_task_definition():
    # one prediction covering half of one gold span: P = 1, R = 0.5 (of 1 span)
    assert span_overlap_prf([[(0, 5)]], [[(0, 10)]]) == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": round(2 / 3, 4),
    }
    # overlapping gold spans are merged; a miss elsewhere halves precision
    m = span_overlap_prf([[(0, 10), (20, 30)]], [[(0, 6), (4, 10)]])
    assert m["precision"] == 0.5 and m["recall"] == 1.0
    assert span_overlap_prf([[]], [[(0, 4)]])["f1"] == 0.0


# --- CLI
def test_cli_style_terminal(corpus):
    proc = run_cli("style", str(corpus / "contentfarm.txt"), str(corpus / "source.txt"))
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert "sensationalism" in out and "machine-rewrite evidence" in out
    assert "contentfarm.txt" in out and "source.txt" in out
    assert "hype-opener" in out


def test_cli_style_json(corpus):
    proc = run_cli("style", str(corpus / "contentfarm.txt"), "--format", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert isinstance(data, list) and len(data) == 1
    item = data[0]
    assert item["origin"].endswith("contentfarm.txt")
    assert item["title"].startswith("Historic Rail Deal")
    for s in item["spans"]:
        assert item["text"][s["start"] : s["end"]] == s["text"]
    assert set(item["scores"]) >= {"sensationalism", "machine_rewrite", "clickbait", "techniques"}


def _one_line_error(proc, needle: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode == 2, (proc.returncode, err)
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], err


def test_cli_style_bad_input(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    _one_line_error(run_cli("style", str(empty)), "empty.txt")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    _one_line_error(run_cli("style", str(binary)), "photo.txt")
    _one_line_error(run_cli("style", str(tmp_path / "missing.txt")), "missing.txt")


# --- training and evaluation on a tiny invented fixture
_CALM = [
    "The {t} committee met on {d} to review the annual report.",
    "Officials said the {t} plan would be discussed again next month.",
    "The report lists {n} projects and their costs in detail.",
    "A spokesperson for the {t} office declined to comment further.",
]
_LOUD = [
    "In a shocking twist, the {t} committee unleashed total chaos on {d}!",
    "Furious critics slammed the disastrous {t} plan as an outrageous betrayal!",
    "This is the worst scandal in history, a stunning catastrophe of {n} projects!",
    "Time is running out before these reckless elites destroy the {t} office!",
]
_TOPICS = ["water", "harbour", "library", "transport", "housing", "energy", "school", "park"]


def _article(rng: random.Random, templates: list[str], k: int) -> str:
    t, d, n = rng.choice(_TOPICS), rng.choice(["Monday", "Friday"]), rng.randint(3, 90)
    lines = [rng.choice(templates).format(t=t, d=d, n=n) for _ in range(k)]
    return "\n".join(lines)


def _tiny_data(root: Path) -> Path:
    rng = random.Random(7)
    ptc = []
    techniques = ["Loaded_Language", "Doubt", "Flag-Waving"]
    for split, count in (("train", 24), ("dev", 4), ("test", 4)):
        for i in range(count):
            title = f"Report number {i} on the {rng.choice(_TOPICS)} plan"
            body = _article(rng, _CALM, 4) + "\n" + _article(rng, _LOUD, 2)
            text = title + "\n\n" + body
            spans = []
            for line in text.split("\n"):
                if line and line.endswith("!"):
                    a = text.index(line)
                    spans.append(
                        {
                            "start": a,
                            "end": a + len(line) - 1,
                            "technique": techniques[(i + len(spans)) % 3]
                            if split == "train"
                            else None,
                            "text": line[:-1],
                        }
                    )
            row = {"id": f"article{split}{i}", "split": split, "text": text, "spans": spans}
            if split == "train":
                row["si_spans"] = [{"start": s["start"], "end": s["end"]} for s in spans]
            ptc.append(row)
    (root / "ptc").mkdir(parents=True)
    (root / "ptc" / "articles.jsonl").write_text("\n".join(json.dumps(r) for r in ptc) + "\n")

    (root / "sheepdog").mkdir()
    train = []
    for i in range(24):
        orig = _article(rng, _CALM, 6)
        for style in ("objective", "neutral", "emotionally_triggering", "sensational"):
            loud = style in ("emotionally_triggering", "sensational")
            text = _article(rng, _LOUD if loud else _CALM, 6)
            if not loud:
                text += "\nThe decision underscores a pivotal moment in the face of change."
            train.append(
                {
                    "id": f"politifact-train-{i}-{style}",
                    "article_id": f"politifact-train-{i}",
                    "split": "train",
                    "style": style,
                    "original_text": orig,
                    "text": text,
                    "label": i % 2,
                }
            )
    adv = []
    for i in range(6):
        orig = _article(rng, _CALM, 6)
        tabloid = i % 2 == 0
        for variant in "AB":
            adv.append(
                {
                    "id": f"politifact-test-{i}-adv{variant}",
                    "article_id": f"politifact-test-{i}",
                    "dataset": "politifact",
                    "split": "test",
                    "variant": variant,
                    "original_text": orig,
                    "text": _article(rng, _LOUD if tabloid else _CALM, 6),
                    "label": 0 if tabloid else 1,
                    "style": "tabloid_sensational" if tabloid else "mainstream_credible",
                }
            )
    for name, rows in (
        ("politifact_train_restyled.jsonl.gz", train),
        ("adversarial_test.jsonl.gz", adv),
    ):
        with gzip.open(root / "sheepdog" / name, "wt", encoding="utf-8") as fh:
            fh.write("\n".join(json.dumps(r) for r in rows) + "\n")

    (root / "clickbait").mkdir()
    heads = []
    for i in range(300):
        bait = i % 2 == 0
        topic = rng.choice(_TOPICS)
        h = (
            f"You Won't Believe These {rng.randint(5, 30)} {topic.title()} Facts"
            if bait
            else f"Council approves new {topic} budget after long debate"
        )
        heads.append({"id": f"h-{i:05d}", "headline": h, "label": int(bait)})
    (root / "clickbait" / "headlines.jsonl").write_text(
        "\n".join(json.dumps(r) for r in heads) + "\n"
    )
    return root


def test_train_and_eval_on_a_tiny_fixture(tmp_path):
    from retold.eval.run import run_eval
    from retold.style.model import load_model as load
    from retold.training.style import train

    data = _tiny_data(tmp_path / "data")
    out1, out2 = tmp_path / "m1.json", tmp_path / "m2.json"
    train(data, out1, seed=3, log=lambda *a: None)
    train(data, out2, seed=3, log=lambda *a: None)
    assert out1.read_text() == out2.read_text()  # reproducible with a fixed seed
    model = load(str(out1))
    assert set(model.techniques) == {"Loaded_Language", "Doubt", "Flag-Waving"}
    assert 0.0 < model.si_threshold < 1.0 and 0.0 < model.clickbait_threshold < 1.0

    st = Settings().with_overrides(style_model=str(out1))
    loud = analyze_style(_article(random.Random(1), _LOUD, 5), settings=st).scores
    calm = analyze_style(_article(random.Random(1), _CALM, 5), settings=st).scores
    assert loud.sensationalism > calm.sensationalism

    results = run_eval(
        ["ptc", "sheepdog", "clickbait"], settings=st, judge="heuristic", data_dir=str(data)
    )
    p, s, c = results["ptc"], results["sheepdog"], results["clickbait"]
    assert p["n_dev"] == 4 and p["n_test"] == 4
    assert 0.0 <= p["si_test_f1"] <= 1.0 and p["si_dev_f1"] > 0.3
    assert 0.0 <= p["tc_micro_f1"] <= 1.0
    assert s["n"] == 12 and s["auroc"] > 0.8  # 6 articles x 2 distinct variants
    assert c["n"] > 0 and c["f1"] > 0.9


def test_compare_json_carries_the_style_scores_and_validates(corpus):
    from retold.audit.compare import compare
    from retold.report.jsonout import audit_to_dict, validate

    src = read_article(str(corpus / "source.txt"))
    data = audit_to_dict(compare(src, read_article(str(corpus / "contentfarm.txt"))))
    validate(data)  # the schema (additionalProperties: false) knows every new field
    style = data["style"]
    assert style["method"] == "learned"
    assert style["retelling_score"] == style["retelling_scores"]["sensationalism"]
    assert style["delta"]["sensationalism"] == data["summary"]["style_delta"]
    assert style["more_sensational"] is data["summary"]["more_sensational"] is True
    assert style["new_techniques"] and all(v > 0 for v in style["new_techniques"].values())
    text = data["retelling"]["text"]
    for s in style["spans"]:
        side_text = text if s["side"] == "retelling" else data["source"]["text"]
        assert side_text[s["start"] : s["end"]] == s["text"]
