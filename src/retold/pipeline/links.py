"""Verification and clustering stages of the batch pipeline.

``verify_group``: one verify group (an article's own row and the rows of the articles that
proposed it) -> its verified links, scored by ``family.verify.links_and_probabilities``.
A pair proposed from both sides is verified once, in the group of its larger id.
``clusters``: every link -> families, by ``family.cluster.cluster`` over the articles in
grouping order and the links in id order, so the result does not depend on partitions.
Word rarity (``family.verify.DocFreq``) comes from a sample chosen by article id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from retold.family.cluster import Link, cluster
from retold.family.verify import DocFreq, links_and_probabilities
from retold.pipeline.records import sig_from_bytes
from retold.settings import Settings


def idf_step(n_ok: int, settings: Settings) -> int:
    """Every ``step``-th article (by id) counts for word rarity (``families_idf_sample``)."""
    return max(1, n_ok // settings.families_idf_sample)


def hash_counts(rows: list[dict[str, Any]], step: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(hashes, counts, documents) of the words and names/numbers of the sampled ``rows``."""
    parts, docs = [], 0
    for r in rows:
        if step > 1 and r["id"] % step:
            continue
        sig = sig_from_bytes(r["sig"])
        if sig.ok:
            parts += [sig.words, sig.anchors]
            docs += 1
    allh = np.concatenate(parts) if parts else np.zeros(0, np.uint32)
    keys, counts = np.unique(allh, return_counts=True)
    return keys, counts, docs


def doc_freq(parts: list[tuple[np.ndarray, np.ndarray, int]], settings: Settings) -> DocFreq:
    """Partial ``hash_counts`` of every batch summed into one ``DocFreq``."""
    keys = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.uint32)
    counts = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    uniq, inverse = np.unique(keys, return_inverse=True)
    total = np.bincount(inverse, weights=counts, minlength=len(uniq)).astype(np.int64)
    docs = sum(p[2] for p in parts)
    return DocFreq(
        uniq, total, docs, settings.families_idf_prior, settings.families_idf_prior_share
    )


def link_row(lo: int, hi: int, strength: float, prob: float, excluded: str) -> dict[str, Any]:
    return {"lo": lo, "hi": hi, "strength": strength, "prob": prob, "excluded": excluded}


def verify_group(
    rows: list[dict[str, Any]], settings: Settings, df: DocFreq
) -> list[dict[str, Any]]:
    """Links of one verify group, and a row saying why the article is not placed (``hi``
    -1, ``excluded`` the reason) when it is not."""
    st = settings
    own = next(r for r in rows if r["other"] < 0)
    k = own["key"]
    out = [link_row(k, -1, 0.0, 0.0, own["excluded"])] if own["excluded"] else []
    mine = set(np.frombuffer(own["cands"], dtype=np.int64).tolist())
    me = sig_from_bytes(own["sig"])
    ids: list[tuple[int, int]] = []
    pairs = []
    for r in sorted((r for r in rows if r["other"] >= 0), key=lambda r: r["other"]):
        a = r["other"]
        if a > k and a in mine:
            continue  # proposed both ways: verified in a's group
        other = sig_from_bytes(r["sig"])
        ids.append((min(a, k), max(a, k)))
        pairs.append((other, me) if a < k else (me, other))
    strength, prob = links_and_probabilities(pairs, st, df)
    weak = (strength == 0) & (prob >= st.families_weak_link) & (st.families_weak_join > 0)
    for n in np.flatnonzero((strength > 0) | weak).tolist():
        out.append(link_row(*ids[n], float(strength[n]), float(prob[n]), ""))
    return out


@dataclass
class Grouped:
    """Families (two or more members, largest first), single articles, excluded ones."""

    families: list[list[int]]
    singletons: list[int]
    excluded: dict[int, str]
    links: dict[tuple[int, int], float] = field(default_factory=dict)
    weak: dict[tuple[int, int], float] = field(default_factory=dict)

    def family_of(self) -> dict[int, int]:
        """Article id -> its family's number (1, 2, ... in ``families``' order)."""
        return {m: n for n, fam in enumerate(self.families, 1) for m in fam}

    def links_by_family(self) -> dict[int, tuple[list[list[Any]], list[list[Any]]]]:
        """Each family's links and weak links among its members, as [lo, hi, p] lists (one
        pass over the links)."""
        family_of = self.family_of()
        out: dict[int, tuple[list[list[Any]], list[list[Any]]]] = {
            n: ([], []) for n in range(1, len(self.families) + 1)
        }
        for kind, pairs in enumerate((self.links, self.weak)):
            for (a, b), p in pairs.items():
                fam = family_of.get(a)
                if fam is not None and fam == family_of.get(b):
                    out[fam][kind].append([a, b, p])
        return out


def clusters(order: list[int], link_rows: list[dict[str, Any]], settings: Settings) -> Grouped:
    """Families of every signed article (``order``: ids in grouping order) from every
    verify group's rows."""
    excluded = {r["lo"]: r["excluded"] for r in link_rows if r["hi"] < 0 and r["excluded"]}
    links: dict[tuple[int, int], float] = {}
    weak: dict[tuple[int, int], float] = {}
    for r in sorted((r for r in link_rows if r["hi"] >= 0), key=lambda r: (r["lo"], r["hi"])):
        pair = (r["lo"], r["hi"])
        if pair[0] in excluded or pair[1] in excluded:
            continue
        if r["strength"] > 0:
            links[pair] = r["strength"]
        else:
            weak[pair] = r["prob"]
    ok = [i for i in order if i not in excluded]
    found = cluster(
        ok,
        [Link(a, b, p) for (a, b), p in links.items()],
        settings,
        None,
        [Link(a, b, p) for (a, b), p in weak.items()],
    )
    fams = [c for c in found if len(c) > 1]
    singles = [c[0] for c in found if len(c) == 1]
    return Grouped(fams, singles, excluded, links, weak)
