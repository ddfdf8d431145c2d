"""Candidate pairs: MinHash LSH (datasketch) for near-copies, an HNSW index (usearch) over
document vectors for heavy paraphrases and machine rewrites that share few word runs.

Both indexes only propose; ``verify`` decides. Each article gets at most
``families_max_candidates`` candidates, best first, so a template shared by thousands of
pages costs a bounded amount of verification.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from datasketch import LeanMinHash, MinHashLSH
from usearch.index import Index

from retold.families.signature import _permutations
from retold.settings import Settings


class CandidateIndex:
    """Both indexes over the same integer keys (store article ids)."""

    def __init__(self, settings: Settings, dim: int, ann_path: Path | None = None) -> None:
        self.settings = settings
        self.dim = dim
        self.lsh = MinHashLSH(
            threshold=settings.families_lsh_threshold, num_perm=settings.families_num_perm
        )
        self._scheme = _permutations(settings.families_num_perm)[1]
        self.ann_path = ann_path
        self.ann = self._open_ann(ann_path)
        self.minhash: dict[int, np.ndarray] = {}

    def _new_ann(self) -> Index:
        return Index(ndim=self.dim, metric="cos", dtype="f16", connectivity=16)

    def _open_ann(self, path: Path | None) -> Index:
        if path is not None and path.exists():
            try:
                index = Index.restore(str(path))
            except Exception:  # an unreadable index file is rebuilt from stored vectors
                index = None
            if index is not None and index.ndim == self.dim:
                return index
        return self._new_ann()

    def add(self, ids: np.ndarray, minhashes: np.ndarray, embeddings: np.ndarray) -> None:
        """Index articles (ids already in the ANN index, restored from disk, are skipped)."""
        with self.lsh.insertion_session() as session:
            for key, mh in zip(ids.tolist(), minhashes, strict=True):
                if key in self.minhash:
                    continue
                self.minhash[key] = mh
                session.insert(key, self._lean(mh), check_duplication=False)
        if len(ids):
            missing = ~np.asarray(self.ann.contains(ids), dtype=bool).reshape(-1)
            if missing.any():
                self.ann.add(ids[missing], embeddings[missing].astype(np.float16), threads=2)

    def _lean(self, mh: np.ndarray) -> LeanMinHash:
        return LeanMinHash(seed=1, hashvalues=mh, scheme=self._scheme)

    def query(
        self, ids: np.ndarray, minhashes: np.ndarray, embeddings: np.ndarray
    ) -> dict[int, list[int]]:
        """Candidates of each query article (never itself), near-copies first."""
        st = self.settings
        out: dict[int, list[int]] = {}
        k = min(st.families_ann_k + 1, max(len(self.ann), 1))
        if len(ids) and len(self.ann):
            matches = self.ann.search(embeddings.astype(np.float16), k, threads=2)
            keys = np.asarray(matches.keys).reshape(len(ids), -1)
            dist = np.asarray(matches.distances).reshape(len(ids), -1)
        for row, (key, mh) in enumerate(zip(ids.tolist(), minhashes, strict=True)):
            near = [c for c in self.lsh.query(self._lean(mh)) if c != key]
            if len(near) > st.families_max_candidates:
                # a huge bucket (templates, boilerplate): keep the closest copies only
                sims = np.array([np.mean(self.minhash[c] == mh) for c in near])
                near = [near[i] for i in np.argsort(-sims, kind="stable")]
            cands = near[: st.families_max_candidates]
            if len(ids) and len(self.ann):
                seen = set(cands)
                for c, d in zip(keys[row].tolist(), dist[row].tolist(), strict=True):
                    if c != key and c not in seen and 1.0 - d >= st.families_ann_min_cos:
                        cands.append(int(c))
                        seen.add(c)
            out[key] = cands[: st.families_max_candidates + st.families_ann_k]
        return out

    def save(self) -> None:
        """Persist the ANN index beside the database (written atomically)."""
        if self.ann_path is None:
            return
        tmp = self.ann_path.with_name(self.ann_path.name + ".tmp")
        self.ann.save(str(tmp))
        os.replace(tmp, self.ann_path)

    def nbytes(self) -> int:
        """Approximate memory of both indexes."""
        lsh = len(self.minhash) * (self.settings.families_num_perm * 4 + 64 * self.lsh.b)
        return int(self.ann.memory_usage) + lsh
