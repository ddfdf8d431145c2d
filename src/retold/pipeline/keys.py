"""Family candidates as keyed groups, so they can be shuffled across machines.

The three sources of ``family.candidates.propose`` (LSH bands, rare names/numbers and
content words, ANN neighbours), each as a function of one group of rows:

- ``key_rows``: an article's keys: one per LSH band (``family.lsh.BandIndex.band_hashes``),
  one per name/number hash and one per content-word hash.
- ``pairs_of_key``: one key's group (every article holding it) -> candidate rows. A band
  bucket larger than ``families_lsh_bucket_cap`` gives each member the cap members nearest
  to it in the grouping order (``records.order_key``); a name or word held by 2 to
  ``families_rare_*_df`` articles proposes them to each other.
- ``ann_rows``: one ANN shard (articles with ``id % shards == s``, in id order) answers
  every query; ``trim`` merges the shards' answers.
- ``trim``: one article's candidate rows -> its candidate list in ``propose``'s order
  (near-copies by band count and MinHash, then ANN neighbours, then rare anchors and
  words) and the rows that carry its signature to each candidate's verification.

Every group's output depends only on the group's rows, never on how they were split into
partitions, so the local and Ray drivers give the same candidates.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from retold.family.ann import AnnIndex
from retold.family.lsh import BandIndex
from retold.family.signature import Signature
from retold.pipeline.records import sig_from_bytes
from retold.settings import Settings

SELF, BAND, ANCHOR, WORD, ANN = 0, 1, 2, 3, 4
_NEAR_SAME = 0.9  # MinHash agreement of two copies of one template (family.group)


def key_rows(rows: list[dict[str, Any]], settings: Settings) -> list[dict[str, Any]]:
    """The keys of a batch of signed articles (``records.sign_rows``)."""
    st = settings
    sigs = [sig_from_bytes(r["sig"]) for r in rows]
    bands = BandIndex(st.families_lsh_threshold, st.families_num_perm)
    ok = [n for n, s in enumerate(sigs) if s.ok and not rows[n]["excluded"]]
    at = {n: k for k, n in enumerate(ok)}
    hashed = bands.band_hashes(np.stack([sigs[n].minhash for n in ok])) if ok else None
    # rare names/numbers and words propose only when their settings turn them on
    rare = [(ANCHOR, _anchors)] if st.families_rare_anchor_k > 0 else []
    if st.families_rare_word_df > 0 and st.families_rare_word_k > 0:
        rare.append((WORD, _words))
    out: list[dict[str, Any]] = []
    for n, (row, sig) in enumerate(zip(rows, sigs, strict=True)):
        if not sig.ok:
            continue
        base = {"id": row["id"], "published": row["published"], "query": not row["excluded"]}
        if base["query"] and hashed is not None:
            mh = sig.minhash.astype(np.uint32).tobytes()
            for h in hashed[at[n]].view(np.int64).tolist():
                out.append(base | {"kind": BAND, "key": h, "minhash": mh})
        for kind, hashes in rare:
            for h in hashes(sig).tolist():
                out.append(base | {"kind": kind, "key": int(h), "minhash": b""})
    return out


def _anchors(sig: Signature) -> np.ndarray:
    return sig.anchors


def _words(sig: Signature) -> np.ndarray:
    return sig.words


def _cand(a: int, b: int, kind: int, score: float, published: str, ok: bool) -> dict[str, Any]:
    return {
        "a": a,
        "b": b,
        "kind": kind,
        "score": score,
        "b_published": published,
        "b_ok": ok,
        "sig": b"",
        "excluded": "",
    }


def pairs_of_key(rows: list[dict[str, Any]], settings: Settings) -> list[dict[str, Any]]:
    """Candidate rows of one key's group (all rows share ``kind`` and ``key``)."""
    st = settings
    kind = rows[0]["kind"]
    rows = sorted(rows, key=lambda r: (r["published"] or "~", r["id"]))
    n = len(rows)
    out: list[dict[str, Any]] = []
    if kind == BAND:
        cap = st.families_lsh_bucket_cap
        mh = np.stack([np.frombuffer(r["minhash"], dtype=np.uint32) for r in rows])
        for i, r in enumerate(rows):
            lo = 0 if n <= cap else min(max(i - cap // 2, 0), n - cap)
            hi = n if n <= cap else lo + cap
            same = (mh[lo:hi] == mh[i]).mean(axis=1)
            for j in range(lo, hi):
                if j != i:
                    o = rows[j]
                    out.append(
                        _cand(r["id"], o["id"], BAND, float(same[j - lo]), o["published"], True)
                    )
        return out
    max_df = st.families_rare_anchor_df if kind == ANCHOR else st.families_rare_word_df
    if n < 2 or n > max_df:
        return out
    for r in rows:
        if r["query"]:
            out += [
                _cand(r["id"], o["id"], kind, 1.0, o["published"], o["query"])
                for o in rows
                if o["id"] != r["id"]
            ]
    return out


def ann_shards(n_articles: int, settings: Settings) -> int:
    return max(1, math.ceil(n_articles / settings.run_ann_shard_rows))


def ann_k(n_indexed: int, settings: Settings) -> int:
    """Neighbours asked of the whole index (``CandidateIndex.query``'s k)."""
    return min(settings.families_ann_k + 1, max(n_indexed, 1))


def ann_rows(
    shard_ids: np.ndarray,
    shard_vectors: np.ndarray,
    query_ids: np.ndarray,
    query_vectors: np.ndarray,
    k: int,
) -> list[dict[str, Any]]:
    """One shard's nearest neighbours of each query (the shard indexed in id order)."""
    if not len(shard_ids) or not len(query_ids):
        return []
    order = np.argsort(shard_ids, kind="stable")
    index = AnnIndex(shard_vectors.shape[1])
    index.add(shard_ids[order].astype(np.uint64), shard_vectors[order])
    keys, cosines = index.search(query_vectors, min(k, len(shard_ids)))
    out = []
    for q, row_keys, row_cos in zip(query_ids.tolist(), keys, cosines, strict=True):
        for b, cos in zip(row_keys.tolist(), row_cos.tolist(), strict=True):
            if b >= 0:
                out.append(_cand(q, int(b), ANN, float(cos), "", True))
    return out


def self_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row that carries a signed article's signature into its own ``trim`` group."""
    n_anchors = float(len(sig_from_bytes(row["sig"]).anchors))
    return _cand(row["id"], -1, SELF, n_anchors, row["published"], True) | {
        "sig": row["sig"],
        "excluded": row["excluded"],
    }


def _rare(rows: list[dict[str, Any]], k: int) -> list[tuple[int, bool]]:
    """The ``k`` articles sharing most rare keys, ties in grouping order."""
    count: dict[int, int] = defaultdict(int)
    ok: dict[int, bool] = {}
    when: dict[int, str] = {}
    for r in rows:
        count[r["b"]] += 1
        ok[r["b"]] = r["b_ok"]
        when[r["b"]] = r["b_published"] or "~"
    best = sorted(count, key=lambda b: (-count[b], when[b], b))[:k]
    return [(b, ok[b]) for b in best]


def candidates(
    rows: list[dict[str, Any]], n_indexed: int, settings: Settings
) -> tuple[list[int], set[int], int]:
    """One article's candidates in ``propose``'s order, from its group's rows (``n_indexed``:
    articles in the ANN index); those that cannot be placed (kept in the list, as
    ``propose`` keeps them); and how many candidates are near-identical copies of it
    (MinHash agreement 0.9, the boilerplate-template test of ``family.group``; counted
    over the near-copy candidates, which are the ones that can reach it)."""
    st = settings
    by_kind: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_kind[r["kind"]].append(r)
    shared: dict[int, int] = defaultdict(int)
    jaccard: dict[int, float] = {}
    published: dict[int, str] = {}
    for r in by_kind[BAND]:
        shared[r["b"]] += 1
        jaccard[r["b"]] = r["score"]
        published[r["b"]] = r["b_published"]
    near = sorted(shared, key=lambda b: (published[b] or "~", b))
    if len(near) > st.families_max_candidates:
        if len(near) > st.families_lsh_rank_cap:
            best = np.argsort([-shared[b] for b in near], kind="stable")
            near = [near[i] for i in np.sort(best[: st.families_lsh_rank_cap]).tolist()]
        near = [near[i] for i in np.argsort([-jaccard[b] for b in near], kind="stable").tolist()]
    cands = near[: st.families_max_candidates]
    me = rows[0]["a"]
    ann = sorted(by_kind[ANN], key=lambda r: (-r["score"], r["b"]))[: ann_k(n_indexed, st)]
    seen = set(cands)
    for r in ann:
        if r["b"] != me and r["b"] not in seen and r["score"] >= st.families_ann_min_cos:
            cands.append(r["b"])
            seen.add(r["b"])
    cands = cands[: st.families_max_candidates + st.families_ann_k]
    rare = _rare(by_kind[ANCHOR], st.families_rare_anchor_k)
    words = _rare(by_kind[WORD], st.families_rare_word_k) if st.families_rare_word_df else []
    blocked = {b for b, ok in rare + words if not ok}
    for b, _ in rare + words:
        if b not in seen:
            cands.append(b)
            seen.add(b)
    copies = sum(jaccard.get(b, 0.0) >= _NEAR_SAME for b in cands)
    return cands, blocked, copies


def trim(rows: list[dict[str, Any]], n_indexed: int, settings: Settings) -> list[dict[str, Any]]:
    """One article's trim group (its ``self_row`` and candidate rows) -> verify rows: its
    own (key = its id: signature, candidate ids, and why it is excluded when its
    candidates show it is a template copy) and one per candidate it can be linked to
    (key = the candidate: this article's id and signature)."""
    st = settings
    own = next(r for r in rows if r["kind"] == SELF)
    me, sig = own["a"], own["sig"]
    excluded = own["excluded"]
    if excluded:  # cannot be placed: no candidates, only its own row
        return [verify_row(me, -1, sig, [], excluded)]
    cands, blocked, copies = candidates([r for r in rows if r["kind"] != SELF], n_indexed, st)
    if (
        len(cands) + 1 >= st.families_boilerplate_copies
        and own["score"] < 2 * st.families_min_anchors
        and copies + 1 >= st.families_boilerplate_copies
    ):
        excluded = f"boilerplate: {copies + 1}+ near-identical pages with no story"
    linkable = [b for b in cands if b not in blocked]
    out = [verify_row(me, -1, sig, linkable, excluded)]
    if not excluded:
        out += [verify_row(b, me, sig, [], "") for b in linkable]
    return out


def verify_row(key: int, other: int, sig: bytes, cands: list[int], excluded: str) -> dict[str, Any]:
    return {
        "key": key,
        "other": other,
        "sig": sig,
        "cands": np.asarray(cands, dtype=np.int64).tobytes(),
        "excluded": excluded,
    }
