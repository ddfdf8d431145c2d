"""`retold eval --set realworld` scoring, on a tiny invented set written to a temp folder."""

from __future__ import annotations

import json
from pathlib import Path

from retold.eval.realworld import eval_realworld, read_story_file, summarise

ORIGINAL = (
    "Harbour bridge to open in 2027\n\n"
    "Harbourton council approved a new bridge on Monday, officials said.\n\n"
    "The bridge will cost 12 million dollars, the mayor Ada Lind said."
)
RETELLING = (
    "[title not in stored copy]\n\n"
    "Harbourton council approved a new bridge on Monday, officials said.\n\n"
    "The bridge will cost 15 million dollars, the mayor Ada Lind said.\n\n"
    "Aliens were seen near the river on Sunday.\n\n"
    "By Jane Roe, Staff Writer"
)
GOLD = {
    "story": "bridge",
    "retelling": "ledger.txt",
    "original_complete": True,
    "sentences": [
        {
            "text": "Harbourton council approved a new bridge on Monday, officials said.",
            "label": "supported",
        },
        {
            "text": "The bridge will cost 15 million dollars, the mayor Ada Lind said.",
            "label": "contradicted",
        },
        {"text": "Aliens were seen near the river on Sunday.", "label": "unsupported"},
        {"text": "By Jane Roe, Staff Writer", "label": "boilerplate"},
    ],
    "quotes": [],
    "changes": [{"kind": "number", "original": "12 million dollars", "retelling": "15 million"}],
}


def make_set(root: Path) -> Path:
    story = root / "realworld" / "bridge"
    story.mkdir(parents=True)
    (story / "original.txt").write_text(ORIGINAL, encoding="utf-8")
    (story / "ledger.txt").write_text(RETELLING, encoding="utf-8")
    (root / "realworld" / "gold.jsonl").write_text(json.dumps(GOLD) + "\n", encoding="utf-8")
    return root


def test_title_placeholder_is_not_a_title(tmp_path: Path) -> None:
    make_set(tmp_path)
    a = read_story_file(tmp_path / "realworld" / "bridge" / "ledger.txt")
    assert a.title == "" and a.text.startswith("Harbourton")
    assert read_story_file(tmp_path / "realworld" / "bridge" / "original.txt").title


def test_scores_every_label(tmp_path: Path) -> None:
    from retold.settings import Settings

    r = eval_realworld(make_set(tmp_path), "heuristic", Settings(), details=True)
    preds = [s["pred"] for s in r["retellings"][0]["sentences"]]
    assert preds == ["supported", "contradicted", "unsupported", "boilerplate"]
    assert r["false_accusations"] == 0 and r["false_accusations_per_100_supported"] == 0.0
    assert r["labels"]["boilerplate"] == {"precision": 1.0, "recall": 1.0, "n_gold": 1, "n_pred": 1}
    assert r["change_recall"] == 1.0 and r["change_precision"] == 1.0


def test_summary_counts_false_accusations() -> None:
    per = [
        {
            "sentences": [
                {"gold": "supported", "pred": "unsupported"},
                {"gold": "supported", "pred": "supported"},
                {"gold": "beyond_excerpt", "pred": "unsupported"},  # reported apart
                {"gold": "unsupported", "pred": "unsupported"},
            ],
            "quotes": [
                {"gold": "altered", "pred": "unsourced"},  # the source carries it
                {"gold": "unsourced", "pred": "unsourced"},
            ],
            "changes": {"gold": 2, "found": 4, "gold_hit": 1, "found_right": 1},
        }
    ]
    s = summarise(per)
    assert s["n_sentences"] == 3
    assert s["false_accusations_per_100_supported"] == 50.0
    assert s["beyond_excerpt_predicted"] == {"unsupported": 1}
    assert s["quote_false_accusations"] == 1
    assert (s["change_precision"], s["change_recall"]) == (0.25, 0.5)
