"""Candidate pairs: MinHash LSH (datasketch MinHash and banding, ``lsh.BandIndex``) for
near-copies, an HNSW index (faiss, ``ann.AnnIndex``) over document vectors for heavy
paraphrases and machine rewrites that share few word runs.

Both indexes only propose; ``verify`` decides. Each article gets at most
``families_max_candidates`` candidates, best first, so a template shared by thousands of
pages costs a bounded amount of verification.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from retold.family.ann import AnnIndex
from retold.family.lsh import BandIndex
from retold.family.signature import Signature
from retold.settings import Settings


class CandidateIndex:
    """Both indexes over the same integer keys (store article ids)."""

    def __init__(self, settings: Settings, dim: int, ann_path: Path | None = None) -> None:
        self.settings = settings
        self.dim = dim
        self.lsh = BandIndex(settings.families_lsh_threshold, settings.families_num_perm)
        self.ann_path = ann_path
        self.ann = AnnIndex(dim, ann_path)
        # MinHash rows of indexed keys, to rank the members of a huge bucket
        self._row: dict[int, int] = {}
        self._mh = np.zeros((0, settings.families_num_perm), dtype=np.uint32)

    def add(self, ids: np.ndarray, minhashes: np.ndarray, embeddings: np.ndarray) -> None:
        """Index articles (ids already in the ANN index, restored from disk, are skipped)."""
        fresh = np.array([k not in self._row for k in ids.tolist()], dtype=bool)
        if fresh.any():
            start = len(self._mh)
            for n, key in enumerate(ids[fresh].tolist()):
                self._row[key] = start + n
            added = minhashes if fresh.all() else minhashes[fresh]
            added = added.astype(np.uint32, copy=False)
            # the first batch is kept as given: no second copy of a million MinHashes
            self._mh = np.concatenate([self._mh, added]) if len(self._mh) else added
            self.lsh.add(ids[fresh], added)
        if len(ids):
            missing = ~self.ann.contains(ids)
            if missing.any():
                self.ann.add(ids[missing], embeddings[missing])

    def query(
        self, ids: np.ndarray, minhashes: np.ndarray, embeddings: np.ndarray
    ) -> dict[int, list[int]]:
        """Candidates of each query article (never itself), near-copies first."""
        st = self.settings
        out: dict[int, list[int]] = {}
        k = min(st.families_ann_k + 1, max(len(self.ann), 1))
        if len(ids) and len(self.ann):
            keys, cosines = self.ann.search(embeddings, k)
        own = np.array([self._row.get(i, len(self._mh)) for i in ids.tolist()], dtype=np.int64)
        bounds, rows, shared = self.lsh.query_rows(minhashes, own, st.families_lsh_bucket_cap)
        keys_of = self.lsh.keys
        for row, (key, mh) in enumerate(zip(ids.tolist(), minhashes, strict=True)):
            lo, hi = bounds[row], bounds[row + 1]
            near_rows, near_shared = rows[lo:hi], shared[lo:hi]
            mine = near_rows != own[row]
            near_rows, near_shared = near_rows[mine], near_shared[mine]
            if len(near_rows) > st.families_max_candidates:
                # a huge bucket (templates, boilerplate): keep the closest copies only
                if len(near_rows) > st.families_lsh_rank_cap:
                    # too many to compare every MinHash: those sharing most bands (the
                    # likeliest near-copies) are compared, kept in the order added
                    best = np.argsort(-near_shared, kind="stable")[: st.families_lsh_rank_cap]
                    near_rows = near_rows[np.sort(best)]
                jaccard = (self._mh[near_rows] == mh).mean(axis=1)
                near_rows = near_rows[np.argsort(-jaccard, kind="stable")]
            near = keys_of[near_rows].tolist()
            cands = near[: st.families_max_candidates]
            if len(ids) and len(self.ann):
                seen = set(cands)
                for c, cos in zip(keys[row].tolist(), cosines[row].tolist(), strict=True):
                    if c >= 0 and c != key and c not in seen and cos >= st.families_ann_min_cos:
                        cands.append(int(c))
                        seen.add(c)
            out[key] = cands[: st.families_max_candidates + st.families_ann_k]
        return out

    def save(self) -> None:
        """Persist the ANN index beside the database (written atomically)."""
        if self.ann_path is None:
            return
        tmp = self.ann_path.with_name(self.ann_path.name + ".tmp")
        self.ann.save(tmp)
        os.replace(tmp, self.ann_path)

    def nbytes(self) -> int:
        """Approximate memory of both indexes."""
        lsh = len(self.lsh) * self.lsh.b * 12 + self._mh.nbytes + len(self._row) * 100
        return self.ann.nbytes() + lsh


def rare_anchor_candidates(
    new_ids: list[int],
    sigs: dict[int, Signature],
    settings: Settings,
    field: str = "anchors",
    max_df: int | None = None,
    k: int | None = None,
) -> dict[int, list[int]]:
    """Articles sharing a name or number that at most ``families_rare_anchor_df`` articles
    of the corpus hold: a rewrite that reworded everything else (and so is far in both
    indexes) still keeps a rare surname or figure. At most ``families_rare_anchor_k`` per
    new article, those sharing the most such anchors first. One sort over every article's
    anchors (a few hundred MB at a million articles, freed on return).

    ``field="words"`` (with its own ``max_df`` and ``k``): the same over content words, for
    rewrites that replaced the names and numbers too but kept a rare word or two."""
    st = settings
    max_df = st.families_rare_anchor_df if max_df is None else max_df
    k = st.families_rare_anchor_k if k is None else k
    if not new_ids or k <= 0:
        return {}
    keys = [key for key, s in sigs.items() if s.ok and len(getattr(s, field))]
    if not keys:
        return {}
    lens = np.fromiter(
        (len(getattr(sigs[key], field)) for key in keys), dtype=np.int64, count=len(keys)
    )
    hashes = np.concatenate([getattr(sigs[key], field) for key in keys])
    owner = np.repeat(np.arange(len(keys), dtype=np.int32), lens)
    order = np.argsort(hashes, kind="stable")
    hashes, owner = hashes[order], owner[order]
    del order
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    sizes = np.diff(np.r_[starts, len(hashes)])
    rare = (sizes >= 2) & (sizes <= max_df)
    pos = {key: n for n, key in enumerate(keys)}
    wanted = {pos[i] for i in new_ids if i in pos}
    shared: dict[int, dict[int, int]] = {}
    for a, n in zip(starts[rare].tolist(), sizes[rare].tolist(), strict=True):
        group = owner[a : a + n].tolist()
        for x in group:
            if x in wanted:
                row = shared.setdefault(x, {})
                for y in group:
                    if y != x:
                        row[y] = row.get(y, 0) + 1
    out: dict[int, list[int]] = {}
    for x, row in shared.items():
        best = sorted(row, key=lambda y: (-row[y], y))[:k]
        out[keys[x]] = [keys[y] for y in best]
    return out


def unplaceable(ids: list[int], sigs: dict[int, Signature], settings: Settings) -> dict[int, str]:
    """Why each of ``ids`` that cannot be placed is left out (no story text, boilerplate
    vocabulary); the others go through ``propose``."""
    out: dict[int, str] = {}
    for i in ids:
        s = sigs[i]
        if not s.ok:
            out[i] = s.status
        elif s.boilerplate >= settings.families_boilerplate_share:
            out[i] = (
                f"boilerplate: {s.boilerplate:.0%} of its words are cookie/paywall/sign-in "
                "vocabulary"
            )
    return out


def propose(
    ids: list[int],
    sigs: dict[int, Signature],
    index: CandidateIndex,
    settings: Settings,
    chunk: int = 10_000,
) -> Iterator[tuple[list[int], dict[int, list[int]]]]:
    """The candidate step of a grouping run (``run.group``) and of pair-model training
    (``train.candidate_pairs``), so the model is fitted on the pairs it will judge: for
    ``ids`` (already in ``index``), chunk by chunk, LSH near-copies and ANN neighbours
    (``CandidateIndex.query``) plus articles sharing a rare name or number, or a rare
    content word (``rare_anchor_candidates``, among every article of ``sigs``). In chunks,
    so candidate lists (and the pair features made of them) stay bounded at a million
    articles."""
    rare = rare_anchor_candidates(ids, sigs, settings)
    st = settings
    words = rare_anchor_candidates(
        ids, sigs, st, "words", st.families_rare_word_df, st.families_rare_word_k
    )
    for lo in range(0, len(ids), chunk):
        part = ids[lo : lo + chunk]
        cands = index.query(
            np.asarray(part, dtype=np.uint64),
            np.stack([sigs[i].minhash for i in part]),
            np.stack([sigs[i].embedding for i in part]),
        )
        for i in part:
            seen = set(cands[i])
            for c in (*rare.get(i, ()), *words.get(i, ())):
                if c not in seen:
                    cands[i].append(c)
                    seen.add(c)
        yield part, cands
