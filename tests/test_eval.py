"""The eval harness: metrics, loaders and the full run on a tiny invented fixture."""

from __future__ import annotations

import gzip
import json
import math

import pytest

from retold.eval.data import read_jsonl
from retold.eval.metrics import auroc, balanced_accuracy, best_threshold
from retold.eval.run import run_eval
from retold.settings import Settings

from .conftest import SHARED_DATA, run_cli


def test_auroc_known_values():
    assert auroc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert auroc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert auroc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5  # ties count half
    assert auroc([0, 0, 1], [0.1, 0.4, 0.35]) == 0.5
    assert math.isnan(auroc([1, 1], [0.2, 0.3]))


def test_balanced_accuracy_and_threshold():
    y = [0, 0, 0, 1, 1]
    s = [0.1, 0.2, 0.6, 0.7, 0.9]
    t = best_threshold(y, s)
    assert 0.6 < t <= 0.7
    assert balanced_accuracy(y, s, t) == 1.0
    assert balanced_accuracy(y, s, 0.0) == 0.5  # everything positive


@pytest.mark.skipif(not (SHARED_DATA / "frank").is_dir(), reason="../shared/data/frank absent")
def test_metrics_reproduce_the_frank_readme_baselines():
    """Our threshold-on-valid / report-on-test code gives the README's numbers for the
    shipped BertScore-F1-vs-article scores (0.757 balanced accuracy, 0.830 AUROC)."""
    dev, test = [], []
    for r in read_jsonl(SHARED_DATA / "frank" / "pairs.jsonl.gz"):
        v = (r["baseline_metric_scores"] or {}).get("BertScore F1 Art")
        if v is not None:
            (dev if r["split"] == "valid" else test).append((r["label"], v))
    t = best_threshold([y for y, _ in dev], [s for _, s in dev])
    assert balanced_accuracy([y for y, _ in test], [s for _, s in test], t) == pytest.approx(
        0.757, abs=0.002
    )
    assert auroc([y for y, _ in test], [s for _, s in test]) == pytest.approx(0.830, abs=0.002)


ARTICLE = (
    "The city of Pellow opened a new library on Friday. The building cost 12 million euros "
    "and holds 80,000 books. Mayor Ines Varga said the library would open every day. "
    "Officials said a cafe could follow next year if funding is approved."
)
GOOD = ["Pellow opened a new library on Friday.", "The library cost 12 million euros."]
BAD = ["Pellow opened a new stadium on Friday.", "The library cost 40 million euros."]
OFF = ["Mayor Ines Varga resigned after a tax scandal.", "Pellow won the national cup."]


def _gz(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")


@pytest.fixture()
def tiny_data(tmp_path):
    frank = []
    for k, (sents, label) in enumerate([(GOOD, 1), (BAD, 0), (OFF, 0), (GOOD[:1], 1)] * 2):
        frank.append(
            {
                "id": f"f{k}",
                "dataset": "cnndm",
                "doc_hash": f"d{k % 2}",
                "article": ARTICLE,
                "summary": " ".join(sents),
                "summary_sentences": sents,
                "label": label,
                "split": "valid" if k < 4 else "test",
                "baseline_metric_scores": None,
            }
        )
    _gz(tmp_path / "frank" / "pairs.jsonl.gz", frank)
    qags = [
        {
            "id": f"qags-x-{k}",
            "article": ARTICLE,
            "sentences": [{"sentence": s} for s in sents],
            "sentence_labels": [label] * len(sents),
            "label": label,
        }
        for k, (sents, label) in enumerate([(GOOD, 1), (BAD, 0), (OFF, 0), (GOOD, 1)] * 3)
    ]
    (tmp_path / "qags").mkdir()
    (tmp_path / "qags" / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in qags))
    llm = []
    for k in range(8):
        manip = k % 2 == 1
        llm.append(
            {
                "id": f"l{k}",
                "source_id": f"src{k}",
                "source_text": ARTICLE,
                "source_text_full": None,
                "generation_type": "information_manipulation" if manip else "paraphrase_generation",
                "manipulation_subtype": "Total_Fabrication" if manip else None,
                "generated_text": " ".join(OFF if manip else GOOD),
            }
        )
    _gz(tmp_path / "llmfake" / "pairs.jsonl.gz", llm)
    return tmp_path


def test_run_eval_on_a_tiny_fixture(tiny_data):
    res = run_eval(
        ["frank", "qags", "llmfake"],
        settings=Settings(),
        judge="heuristic",
        data_dir=str(tiny_data),
    )
    for name in ("frank", "qags", "llmfake"):
        r = res[name]
        assert 0.0 <= r["balanced_accuracy"] <= 1.0
        assert r["n"] > 0 and r["n_dev"] > 0
    # the fixture is easy: faithful summaries must score above invented ones
    assert res["frank"]["auroc"] == 1.0
    assert res["qags"]["sentence_auroc"] >= 0.8  # "library" -> "stadium" alone is subtle
    assert res["llmfake"]["auroc"] == 1.0
    assert set(res["llmfake"]["recall_per_type"]) <= {"Total_Fabrication", "paraphrase_generation"}


def test_eval_cli_writes_json_and_skips_missing_sets(tiny_data, tmp_path):
    (tiny_data / "qags" / "pairs.jsonl").unlink()
    (tiny_data / "qags").rmdir()
    out = tmp_path / "e.json"
    proc = run_cli(
        "eval", "--set", "frank", "--set", "qags", "--data", str(tiny_data), "--json", str(out)
    )
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(out.read_text())
    assert "frank" in data and "qags" not in data
    assert "skipping qags" in proc.stderr.decode()
    assert "retold (cascade)" in proc.stdout.decode()  # the default judge


def test_eval_rejects_unknown_set(tiny_data):
    proc = run_cli("eval", "--set", "nosuch", "--data", str(tiny_data))
    assert proc.returncode == 2
    assert "unknown set 'nosuch'" in proc.stderr.decode()
