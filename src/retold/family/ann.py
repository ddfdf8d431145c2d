"""Approximate nearest neighbours over document vectors: a faiss HNSW graph (vectors kept
as float16, inner product on L2-normalised vectors = cosine), keyed by article id, saved
to and restored from a file.

faiss rather than usearch: usearch's SIMD library, loaded in the same process as torch,
crashes torch's ONNX export (the NLI judge's tests); faiss does not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HNSW_NEIGHBOURS = 16  # graph degree (M): recall vs memory, not a quality threshold
HNSW_EF_SEARCH = 64  # candidates explored per query
ADD_BATCH = 100_000  # vectors added at a time


class AnnIndex:
    def __init__(self, dim: int, path: Path | None = None) -> None:
        import faiss

        self._faiss = faiss
        self.dim = dim
        self.index = None
        if path is not None and path.exists():
            try:
                index = faiss.read_index(str(path))
            except RuntimeError:  # an unreadable index file is rebuilt from stored vectors
                index = None
            if index is not None and index.d == dim:
                self.index = index
        if self.index is None:
            base = faiss.IndexHNSWSQ(
                dim, faiss.ScalarQuantizer.QT_fp16, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT
            )
            self.index = faiss.IndexIDMap2(base)
        faiss.downcast_index(self.index.index).hnsw.efSearch = HNSW_EF_SEARCH
        self._ids = set(faiss.vector_to_array(self.index.id_map).tolist())

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def contains(self, ids: np.ndarray) -> np.ndarray:
        return np.fromiter((int(i) in self._ids for i in ids), dtype=bool, count=len(ids))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        # in batches: faiss takes float32, and a million fp16 vectors as float32 are 1 GB
        for lo in range(0, len(ids), ADD_BATCH):
            self.index.add_with_ids(
                np.ascontiguousarray(vectors[lo : lo + ADD_BATCH], dtype=np.float32),
                ids[lo : lo + ADD_BATCH].astype(np.int64),
            )
        self._ids.update(int(i) for i in ids)

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, cosines), one row per query; missing neighbours have id -1."""
        sims, ids = self.index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
        return ids, sims

    def save(self, path: Path) -> None:
        self._faiss.write_index(self.index, str(path))

    def nbytes(self) -> int:
        # fp16 vectors plus the graph's neighbour lists (int32) plus the id map
        return len(self) * (self.dim * 2 + HNSW_NEIGHBOURS * 2 * 4 + 8)
