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
_BATCH = 50_000  # MinHashes hashed into bands at a time


def band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) that datasketch picks for ``threshold``."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


class BandIndex:
    def __init__(self, threshold: float, num_perm: int) -> None:
        self.b, self.r = band_params(threshold, num_perm)
        self.keys = np.zeros(0, dtype=np.uint64)
        # band-major, so each band's column is contiguous for searchsorted
        self._order = np.zeros((self.b, 0), dtype=np.int32)  # row of each sorted entry
        self._sorted = np.zeros((self.b, 0), dtype=np.uint64)  # band hashes, sorted per band

    def __len__(self) -> int:
        return len(self.keys)

    def band_hashes(self, minhashes: np.ndarray) -> np.ndarray:
        """One 64-bit hash per band: rows of ``r`` MinHash values folded together."""
        out = np.zeros((len(minhashes), self.b), dtype=np.uint64)
        # in batches: the 64-bit copy of a million MinHashes alone would take 1 GB
        for lo in range(0, len(minhashes), _BATCH):
            mh = np.asarray(minhashes[lo : lo + _BATCH], dtype=np.uint64)[:, : self.b * self.r]
            mh = mh.reshape(len(mh), self.b, self.r)
            h = np.zeros((len(mh), self.b), dtype=np.uint64)
            with np.errstate(over="ignore"):  # wrap-around multiplication is the hash
                for j in range(self.r):
                    h = (h ^ mh[:, :, j]) * _MIX
                h ^= np.arange(self.b, dtype=np.uint64)  # bands never collide with each other
            out[lo : lo + _BATCH] = h
        return out

    def add(self, keys: np.ndarray, minhashes: np.ndarray) -> None:
        if not len(keys):
            return
        new = self.band_hashes(minhashes)
        rows = len(self.keys) + len(new)
        order = np.empty((self.b, rows), dtype=np.int32)
        sorted_ = np.empty((self.b, rows), dtype=np.uint64)
        # band by band, so temporaries are one column, not the whole table
        for band in range(self.b):
            # the unsorted bands are not kept: rebuilt from the sorted ones
            col = np.empty(rows, dtype=np.uint64)
            col[self._order[band]] = self._sorted[band]
            col[len(self.keys) :] = new[:, band]
            o = np.argsort(col, kind="stable")
            sorted_[band] = col[o]
            order[band] = o
        del new
        self.keys = np.concatenate([self.keys, np.asarray(keys, dtype=np.uint64)])
        self._sorted, self._order = sorted_, order

    def query(self, minhashes: np.ndarray) -> list[np.ndarray]:
        """Keys sharing at least one band with each query (unique, in the order added)."""
        bounds, rows, _ = self.query_rows(minhashes)
        return [self.keys[rows[bounds[i] : bounds[i + 1]]] for i in range(len(bounds) - 1)]

    def query_rows(
        self,
        minhashes: np.ndarray,
        own_rows: np.ndarray | None = None,
        bucket_cap: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(bounds, rows, bands shared): query ``i`` shares a band with the indexed rows
        ``rows[bounds[i]:bounds[i + 1]]`` (ascending, i.e. in the order added), and
        ``shared`` bands with each.

        A bucket of more than ``bucket_cap`` rows is a word run that much of the corpus
        shares (templates, standard phrasing), and such buckets grow with the corpus: taking
        them whole makes the work per article grow with corpus size. The query takes the
        ``bucket_cap`` rows of it added nearest to ``own_rows`` (its own row; the newest
        rows when it is not indexed): stores add articles as they arrive, and retellings
        follow their source within days.
        """
        q = self.band_hashes(minhashes)
        n, total_rows = len(q), len(self.keys)
        empty = np.zeros(0, dtype=np.int64)
        if not total_rows or not n:
            return np.zeros(n + 1, dtype=np.int64), empty, empty
        own = np.full(n, total_rows) if own_rows is None else np.asarray(own_rows)
        found = []
        for band in range(self.b):
            col = self._sorted[band]
            lo = np.searchsorted(col, q[:, band], side="left")
            counts = np.searchsorted(col, q[:, band], side="right") - lo
            if bucket_cap is not None:
                for i in np.flatnonzero(counts > bucket_cap):
                    # rows within a bucket are ascending (stable sort): centre a window on
                    # where the query's own row falls
                    at = np.searchsorted(self._order[band, lo[i] : lo[i] + counts[i]], own[i])
                    lo[i] += min(max(at - bucket_cap // 2, 0), counts[i] - bucket_cap)
                counts = np.minimum(counts, bucket_cap)
            total = int(counts.sum())
            if not total:
                continue
            which = np.repeat(np.arange(n, dtype=np.int64), counts)
            starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
            rows = self._order[band, starts + np.arange(total)]
            # one int64 per (query, row): a 1-D unique is far cheaper than unique(axis=1)
            found.append(which * total_rows + rows)
        if not found:
            return np.zeros(n + 1, dtype=np.int64), empty, empty
        pairs, shared = np.unique(np.concatenate(found), return_counts=True)
        which, rows = np.divmod(pairs, total_rows)
        bounds = np.searchsorted(which, np.arange(n + 1))
        return bounds, rows, shared
