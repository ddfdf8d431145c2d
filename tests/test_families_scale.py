"""Families at scale: LSH work per article stays bounded as the corpus grows, and the fast
paths (batched pair features, band-by-band index builds) give the exact values of the
simple ones."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import numpy as np
import pytest

from retold.family.candidates import CandidateIndex
from retold.family.lsh import BandIndex
from retold.family.signature import Signature
from retold.family.verify import features, verify
from retold.settings import Settings


def _template_corpus(n: int, seed: int = 3) -> np.ndarray:
    """MinHashes of ``n`` pages that share their first 60 rows (one template) and differ in
    the rest, so every band over those rows is one bucket holding every page."""
    rng = np.random.default_rng(seed)
    mh = rng.integers(0, 2**32, size=(n, 128), dtype=np.uint64).astype(np.uint32)
    mh[:, :60] = mh[0, :60]
    return mh


def test_a_template_bucket_gives_each_page_only_its_nearest_rows() -> None:
    mh = _template_corpus(400)
    index = BandIndex(0.3, 128)
    index.add(np.arange(400, dtype=np.uint64), mh)
    bounds, rows, shared = index.query_rows(mh, own_rows=np.arange(400), bucket_cap=40)
    for i in (0, 7, 200, 399):
        got = rows[bounds[i] : bounds[i + 1]]
        assert len(got) == 40  # not 400: the bucket is capped
        assert i in got and np.abs(got - i).max() <= 40  # a window around the page itself
        assert (shared[bounds[i] : bounds[i + 1]] >= 1).all()
    # without a cap every page meets every other (the quadratic case)
    bounds, rows, _ = index.query_rows(mh[:5])
    assert (np.diff(bounds) == 400).all()
    # a page that is not indexed takes the newest rows
    new = _template_corpus(401)[400:]
    bounds, rows, _ = index.query_rows(new, bucket_cap=40)
    assert rows.tolist() == list(range(360, 400))


def test_shared_band_counts_match_brute_force() -> None:
    rng = np.random.default_rng(5)
    base = rng.integers(0, 2**32, size=(30, 128), dtype=np.uint64)
    near = base.copy()
    near[:, ::3] = rng.integers(0, 2**32, size=(30, 43), dtype=np.uint64)
    index = BandIndex(0.3, 128)
    index.add(np.arange(30, dtype=np.uint64), base)
    index.add(np.arange(30, 60, dtype=np.uint64), near)  # a second add rebuilds the bands
    bands = index.band_hashes(np.concatenate([base, near]))
    bounds, rows, shared = index.query_rows(near[:10])
    for q in range(10):
        qb = index.band_hashes(near[q : q + 1])[0]
        expected = {r: int((bands[r] == qb).sum()) for r in range(60) if (bands[r] == qb).any()}
        lo, hi = bounds[q], bounds[q + 1]
        assert dict(zip(rows[lo:hi].tolist(), shared[lo:hi].tolist(), strict=True)) == expected


def test_candidates_stay_bounded_on_a_template_corpus() -> None:
    st = Settings(families_lsh_bucket_cap=40, families_lsh_rank_cap=60)
    mh = _template_corpus(300)
    em = np.zeros((300, 8), dtype=np.float16)
    em[:, 0] = 1
    index = CandidateIndex(st, 8)
    ids = np.arange(1000, 1300, dtype=np.uint64)
    index.add(ids, mh, em)
    cands = index.query(ids[:20], mh[:20], em[:20])
    assert all(k not in c for k, c in cands.items())
    assert all(len(c) <= st.families_max_candidates + st.families_ann_k for c in cands.values())


def _sig(rng: np.random.Generator, words: int, anchors: int, quotes: int) -> Signature:
    def hashes(k: int) -> np.ndarray:
        return np.unique(rng.integers(0, 300, size=k).astype(np.uint32))

    emb = rng.normal(size=16)
    return Signature(
        "ok",
        rng.integers(0, 40, size=128).astype(np.uint32),
        (emb / np.linalg.norm(emb)).astype(np.float16),
        hashes(words),
        hashes(anchors),
        hashes(quotes),
    )


def test_verify_in_batches_equals_the_pairwise_features(monkeypatch) -> None:
    from retold.family import verify as verify_mod
    from retold.family.verify import DocFreq

    monkeypatch.setattr(verify_mod, "_BATCH", 50)  # several batches, weights per batch
    rng = np.random.default_rng(9)
    sigs = [_sig(rng, int(rng.integers(0, 90)), int(rng.integers(0, 30)), 0) for _ in range(60)]
    sigs += [_sig(rng, 50, 10, int(rng.integers(1, 20))) for _ in range(20)]
    pairs = [(sigs[i], sigs[j]) for i in range(len(sigs)) for j in range(0, len(sigs), 7)]
    df = DocFreq.of(sigs, Settings())
    expected = np.array([features(a, b, df) for a, b in pairs], dtype=float)
    evidence = verify(pairs, Settings(), df)
    assert [e.features for e in evidence] == [
        tuple(round(float(v), 4) for v in row) for row in expected
    ]


def test_link_strengths_make_the_decisions_of_verify() -> None:
    from retold.family.verify import links_and_probabilities

    rng = np.random.default_rng(11)
    sigs = [_sig(rng, 40, 12, 5) for _ in range(30)]
    for s in sigs[10:20]:  # near-copies of the first ten: same MinHash, names, words
        s.minhash, s.anchors, s.words = sigs[0].minhash, sigs[0].anchors, sigs[0].words
    pairs = [(a, b) for a in sigs for b in sigs]
    st = Settings(families_same_story=0.3)
    evidence = verify(pairs, st)
    expected = [
        (max(e.probability, 0.99) if e.near_copy(st) else e.probability) if e.linked(st) else 0
        for e in evidence
    ]
    strength, prob = links_and_probabilities(pairs, st)
    got = strength.tolist()
    assert got == expected
    # the probabilities beside them (weak pairs for lone articles) are verify's
    assert prob.tolist() == pytest.approx([e.probability for e in evidence])
    assert 0 < sum(v > 0 for v in got) < len(got)  # both kinds of pair are present
    assert any(e.near_copy(st) for e in evidence)


def test_signing_walks_the_table_once(tmp_path: Path) -> None:
    from retold.family.upkeep import sign_new
    from retold.store import SqliteStore
    from retold.training.synth_families import generate

    with SqliteStore.open(tmp_path / "s.db") as store:
        store.add_articles(a for a, _, _ in generate(40))
        first = [a.id for a in store.articles_without_signature(8)]
        after = store.articles_without_signature(5, after=first[2])
        assert [a.id for a in after] == first[3:8]
        assert len(sign_new(store, Settings(), batch_size=7)) == 40
        assert store.articles_without_signature(100) == []
        assert sign_new(store, Settings(), batch_size=7) == []


def test_rare_names_propose_articles_to_each_other() -> None:
    from retold.family.candidates import rare_anchor_candidates

    rng = np.random.default_rng(3)
    sigs = {k: _sig(rng, 30, 0, 0) for k in range(12)}
    common = np.uint32(1_000_001)  # a name in 8 articles: too common to propose anything
    for k, s in sigs.items():
        s.anchors = np.array([common] if k < 8 else [], dtype=np.uint32)
    sigs[0].anchors = np.array([common, 5, 6], dtype=np.uint32)  # a rare surname and figure
    sigs[9].anchors = np.array([5, 6], dtype=np.uint32)  # shares both with 0
    sigs[10].anchors = np.array([6], dtype=np.uint32)  # shares one with 0 and 9
    sigs[11] = Signature(
        "too short", sigs[11].minhash, sigs[11].embedding, *(np.zeros(0, np.uint32),) * 3
    )
    st = Settings()
    out = rare_anchor_candidates(list(sigs), sigs, st)
    assert out[0] == [9, 10]  # most shared rare anchors first
    assert out[9] == [0, 10] and out[10] == [0, 9]
    assert all(k not in out for k in range(1, 8))  # the common name proposes nothing
    assert rare_anchor_candidates([9], sigs, st) == {9: [0, 10]}  # only new articles asked
    assert rare_anchor_candidates([0], sigs, st.with_overrides(families_rare_anchor_k=1)) == {
        0: [9]
    }
    assert rare_anchor_candidates([0], sigs, st.with_overrides(families_rare_anchor_k=0)) == {}


def test_synthetic_labels_read_back_from_urls() -> None:
    from retold.training.synth_families import family_of_url, generate

    made = list(generate(400))
    assert all(family_of_url(a.url) == (fam, src) for a, fam, src in made)
    assert any(src for _, _, src in made) and any(not fam for _, fam, _ in made)


def test_rare_words_propose_and_training_sees_the_run_candidates() -> None:
    """A rewrite that replaced every name and number still shares a rare word with its
    source: that proposes the pair. Pair-model training (``train.candidate_pairs``) gets
    the candidates of a run (``candidates.propose``), every channel included."""
    from retold.family.candidates import propose
    from retold.training.family_pairs import candidate_pairs

    rng = np.random.default_rng(5)
    sigs = {k: _sig(rng, 0, 0, 0) for k in range(12)}
    for s in sigs.values():
        s.words = np.arange(20, dtype=np.uint32)  # topic words every article holds
        s.anchors = np.zeros(0, dtype=np.uint32)
    sigs[0].words = np.r_[np.arange(20), 777].astype(np.uint32)  # "desalination"
    sigs[9].words = np.r_[np.arange(20), 777].astype(np.uint32)
    sigs[3].anchors = np.array([5], dtype=np.uint32)  # a rare surname in 3 and 4
    sigs[4].anchors = np.array([5], dtype=np.uint32)
    # no ANN neighbours (cosine never reaches 1.01): only LSH and the rare channels
    st = Settings().with_overrides(families_ann_min_cos=1.01)
    index = CandidateIndex(st, 16)
    ids = list(sigs)
    index.add(
        np.asarray(ids, dtype=np.uint64),
        np.stack([sigs[i].minhash for i in ids]),
        np.stack([sigs[i].embedding for i in ids]),
    )
    cands = {k: v for _, part in propose(ids, sigs, index, st) for k, v in part.items()}
    assert cands[0] == [9] and cands[9] == [0]
    assert cands[3] == [4] and cands[1] == []  # common words propose nothing
    off = st.with_overrides(families_rare_word_k=0)
    assert {k: v for _, part in propose(ids, sigs, index, off) for k, v in part.items()}[0] == []
    assert candidate_pairs([sigs[k] for k in ids], st) == [(0, 9), (3, 4)]


def test_the_exported_pair_trees_give_scikit_learns_probabilities(tmp_path: Path) -> None:
    """The packaged pair model is scikit-learn's boosted trees evaluated by retold's own
    numpy code: the export must agree with ``predict_proba`` (missing values included),
    survive the JSON file, and a damaged file must be named, not crash or loop."""
    import json

    from retold.errors import RetoldError
    from retold.family.verify import FEATURES, load_model
    from retold.training.family_pairs import fit_trees, trees_to_pair_model, write_model

    rng = np.random.default_rng(5)
    x = rng.random((3000, len(FEATURES)))
    # an interaction a linear model cannot express: same story when both are high or both low
    y = ((x[:, 0] > 0.5) == (x[:, 3] > 0.5)).astype(int)
    clf = fit_trees(x, y)
    model = trees_to_pair_model(clf)
    probe = rng.random((500, len(FEATURES)))
    probe[::9, 3] = np.nan
    want = clf.predict_proba(probe)[:, 1]
    assert np.abs(model.probability(probe) - want).max() < 1e-12
    # it learned the interaction (logistic regression would sit near 0.5 everywhere)
    clean = probe[~np.isnan(probe[:, 3])]
    truth = (clean[:, 0] > 0.5) == (clean[:, 3] > 0.5)
    assert ((model.probability(clean) > 0.5) == truth).mean() > 0.9
    path = tmp_path / "pairs.json"
    write_model(model, {"pairs": len(y)}, path)
    assert np.abs(load_model(str(path)).probability(probe) - want).max() < 1e-12

    data = json.loads(path.read_text())
    bad = {
        "old.json": {k: v for k, v in data.items() if k != "kind"} | {"weights": [0.0]},
        "range.json": data | {"left": [len(data["value"]) + 5] * len(data["value"])},
        "loop.json": data | {"right": [0] * len(data["right"])},
        "short.json": data | {"threshold": data["threshold"][:-1]},
        "feature.json": data | {"feature": [99] * len(data["feature"])},
    }
    for name, content in bad.items():
        (tmp_path / name).write_text(json.dumps(content))
    (tmp_path / "cut.json").write_text(path.read_text()[:500])
    for name in [*bad, "cut.json"]:
        with pytest.raises(RetoldError, match=name):
            load_model(str(tmp_path / name))


def test_the_out_of_fold_threshold_uses_models_that_never_saw_the_pairs() -> None:
    from retold.eval.families import OOF_GRID, fold_of, fold_scorer, oof_thresholds
    from retold.eval.families_data import Item
    from retold.family.signature import signatures
    from retold.training.family_pairs import fit_pair_model
    from retold.training.synth_families import generate

    st = Settings()
    synth = list(generate(160, seed=23))
    dev = [Item(f"k{n}", a.text, f"s:{f or n}", False, True) for n, (a, f, _) in enumerate(synth)]
    sigs = signatures([i.text for i in dev], st)
    sig_of = {i.key: s for i, s in zip(dev, sigs, strict=True)}
    trained_on: list[set[int]] = []

    def fit(items: list[Item]):
        trained_on.append({fold_of(i.family) for i in items})
        corpus = ([sig_of[i.key] for i in items], [i.family for i in items])
        return fit_pair_model([corpus], st)[0]

    best, table = oof_thresholds(dev, sigs, fit, st)
    # model k is fitted without fold k's families
    assert len(trained_on) == 5 and all(k not in f for k, f in enumerate(trained_on))
    assert set(table) == set(product(*OOF_GRID.values())) and best in table
    assert table[best]["ari"] == max(row["ari"] for row in table.values())
    assert table[best]["ari"] > 0.5  # synthetic families are easy: a broken fold shows

    # ... and each pair is scored by the model of its first article's fold
    class Constant:
        def __init__(self, k: int) -> None:
            self.k = k

        def probability(self, x: np.ndarray) -> np.ndarray:
            return np.full(len(x), self.k / 10)

    folds = [fold_of(i.family) for i in dev]
    scorer = fold_scorer([Constant(k) for k in range(5)], sigs, folds)
    pairs = [(sigs[a], sigs[b]) for a in range(0, 160, 3) for b in range(1, 160, 17)]
    got = scorer(pairs, np.zeros((len(pairs), 3)))
    assert got.tolist() == [folds[a] / 10 for a in range(0, 160, 3) for _ in range(1, 160, 17)]
    assert len(set(got.tolist())) == 5
