"""MinHash LSH as sorted numpy arrays: the banding of datasketch's ``MinHashLSH`` (same
band count and rows per band for a threshold, from datasketch itself) without its Python
dict-of-sets buckets, which cost ~8 KB per article (8 GB at a million articles). Here an
article costs ``bands * 12`` bytes (sorted band hashes and their int32 rows); lookups are
``searchsorted`` per band, vectorised over all queries.
"""

from __future__ import annotations

import numpy as np
from datasketch import MinHashLSH

_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) that datasketch picks for ``threshold``."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


class BandIndex:
    def __init__(self, threshold: float, num_perm: int) -> None:
        self.b, self.r = band_params(threshold, num_perm)
        self.keys = np.zeros(0, dtype=np.uint64)
        self._order = np.zeros((0, self.b), dtype=np.int32)  # row of each sorted entry
        self._sorted = np.zeros((0, self.b), dtype=np.uint64)  # band hashes, sorted per band

    def __len__(self) -> int:
        return len(self.keys)

    def band_hashes(self, minhashes: np.ndarray) -> np.ndarray:
        """One 64-bit hash per band: rows of ``r`` MinHash values folded together."""
        mh = np.asarray(minhashes, dtype=np.uint64)[:, : self.b * self.r]
        mh = mh.reshape(len(mh), self.b, self.r)
        h = np.zeros((len(mh), self.b), dtype=np.uint64)
        with np.errstate(over="ignore"):  # wrap-around multiplication is the hash
            for j in range(self.r):
                h = (h ^ mh[:, :, j]) * _MIX
            h ^= np.arange(self.b, dtype=np.uint64)  # bands never collide with each other
        return h

    def add(self, keys: np.ndarray, minhashes: np.ndarray) -> None:
        if not len(keys):
            return
        # the unsorted bands are not kept: rebuilt from the sorted ones when rows are added
        old = np.empty_like(self._sorted)
        np.put_along_axis(old, self._order.astype(np.int64), self._sorted, axis=0)
        bands = np.concatenate([old, self.band_hashes(minhashes)])
        del old
        self.keys = np.concatenate([self.keys, np.asarray(keys, dtype=np.uint64)])
        order = np.argsort(bands, axis=0, kind="stable")
        self._sorted = np.take_along_axis(bands, order, axis=0)
        self._order = order.astype(np.int32)

    def query(self, minhashes: np.ndarray) -> list[np.ndarray]:
        """Keys sharing at least one band with each query (unique, unsorted)."""
        q = self.band_hashes(minhashes)
        n = len(q)
        if not len(self.keys) or not n:
            return [np.zeros(0, dtype=np.uint64) for _ in range(n)]
        qs, pos = [], []
        for band in range(self.b):
            col = self._sorted[:, band]
            lo = np.searchsorted(col, q[:, band], side="left")
            hi = np.searchsorted(col, q[:, band], side="right")
            counts = hi - lo
            total = int(counts.sum())
            if not total:
                continue
            which = np.repeat(np.arange(n), counts)
            starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
            rows = starts + np.arange(total)
            qs.append(which)
            pos.append(self._order[rows, band])
        if not qs:
            return [np.zeros(0, dtype=np.uint64) for _ in range(n)]
        pairs = np.unique(np.stack([np.concatenate(qs), np.concatenate(pos)]), axis=1)
        bounds = np.searchsorted(pairs[0], np.arange(n + 1))
        return [self.keys[pairs[1, bounds[i] : bounds[i + 1]]] for i in range(n)]
