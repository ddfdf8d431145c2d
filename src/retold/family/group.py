"""Group articles into story families in memory: ``families(articles)``, and ``group``,
the pass ``update_store`` (``retold.family.upkeep``) runs over a store too.

Stages: signature (the only pass over text) -> candidates (LSH + ANN) -> verify (pair model)
-> cluster (no chaining) -> source pick. Articles that cannot be placed (no text, too short,
boilerplate, exact copies of boilerplate) are listed as excluded with a reason, never
silently dropped.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from retold.family.candidates import CandidateIndex, propose, unplaceable
from retold.family.cluster import Link, cluster, confidences
from retold.family.result import Doc, Excluded, FamiliesResult, Family, Member
from retold.family.signature import Signature, signatures
from retold.family.source import pick_source
from retold.family.verify import DocFreq, Scorer, links_and_probabilities
from retold.settings import Settings
from retold.store.base import SourceArticle, StoredArticle, content_hash
from retold.types import Article

_CHUNK = 10_000  # articles queried and verified at a time


def _doc(i: int, a: Article | StoredArticle | Doc) -> Doc:
    if isinstance(a, Doc):
        return a
    if isinstance(a, StoredArticle):
        return Doc(a.id, a.text, a.title, a.site, a.url, a.origin, a.published)
    if isinstance(a, SourceArticle):
        return Doc(i, a.text, a.title, a.site, a.url, a.origin, a.published or None)
    if isinstance(a, Article):
        return Doc(i, a.text, a.title, "", "", a.origin, None)
    raise TypeError(
        f"families: article {i} must be an Article, StoredArticle or Doc "
        f"(e.g. retold.Article(text=...)), not {type(a).__name__}"
    )


class StageTimer:
    """Wall and CPU seconds per stage (stages never nest). CPU seconds tell the cost on a
    shared machine, where wall seconds also count other processes' turns."""

    def __init__(self) -> None:
        self.t: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self._cpu_started = 0.0

    def start(self) -> float:
        self._cpu_started = time.process_time()
        return time.perf_counter()

    def add(self, stage: str, started: float) -> None:
        self.t[stage] += time.perf_counter() - started
        self.cpu[stage] += time.process_time() - self._cpu_started


@dataclass
class Grouping:
    """The outcome of one grouping pass, before it is written anywhere."""

    clusters: list[list[int]]
    links: dict[tuple[int, int], float]
    excluded: dict[int, str]
    # verified pairs below the link threshold (the weak-link join's evidence)
    weak: dict[tuple[int, int], float] = field(default_factory=dict)


def group(
    new_ids: list[int],
    sigs: dict[int, Signature],
    index: CandidateIndex,
    settings: Settings,
    groups: list[list[int]] | None = None,
    timer: StageTimer | None = None,
    scorer: Scorer | None = None,
) -> Grouping:
    """Place ``new_ids`` (signatures in ``sigs``) among ``groups`` (existing families, whose
    members are already in ``index``); ``scorer``: pair probabilities in place of the pair
    model's (``verify.Scorer``)."""
    st = settings
    timer = timer or StageTimer()
    excluded = unplaceable(new_ids, sigs, st)
    ok = [i for i in new_ids if i not in excluded]
    t = timer.start()
    arr = np.asarray(ok, dtype=np.uint64)
    mh = np.stack([sigs[i].minhash for i in ok]) if ok else np.zeros((0, 1), np.uint32)
    em = np.stack([sigs[i].embedding for i in ok]) if ok else np.zeros((0, index.dim), np.float16)
    index.add(arr, mh, em)
    # the vectors are in the ANN index now (and the MinHashes in the LSH): at a million
    # articles this frees 0.5 GB before clustering, where the pass peaks
    del arr, mh, em
    timer.add("index", t)
    links: dict[tuple[int, int], float] = {}
    weak: dict[tuple[int, int], float] = {}
    # rarity of words in the whole corpus (old and new articles)
    df = DocFreq.of(list(sigs.values()), st)
    chunks = propose(ok, sigs, index, st, _CHUNK)
    while True:
        t = timer.start()
        step = next(chunks, None)
        timer.add("candidates", t)
        if step is None:
            break
        chunk, cands = step
        t = timer.start()
        for i in chunk:
            # templates: many near-identical pages with (almost) no names or numbers
            if (
                len(cands[i]) + 1 < st.families_boilerplate_copies
                or len(sigs[i].anchors) >= 2 * st.families_min_anchors
            ):
                continue  # cannot be a template copy: skip the MinHash comparisons
            other = np.stack([sigs[c].minhash for c in cands[i]])
            near = int(((other == sigs[i].minhash).mean(axis=1) >= 0.9).sum())
            if near + 1 >= st.families_boilerplate_copies:
                excluded[i] = f"boilerplate: {near + 1}+ near-identical pages with no story"
        # a pair proposed from both sides is verified once per chunk, at most twice in all
        pairs = sorted(
            {
                (min(a, b), max(a, b))
                for a in chunk
                if a not in excluded
                for b in cands[a]
                if b not in excluded and b in sigs and (min(a, b), max(a, b)) not in links
            }
        )
        # a near-copy link counts as certain (0.99 at least)
        strength, prob = links_and_probabilities(
            [(sigs[a], sigs[b]) for a, b in pairs], st, df, scorer
        )
        for k in np.flatnonzero(strength).tolist():
            links[pairs[k]] = float(strength[k])
        # below the link threshold but not far: only for lone articles (cluster)
        maybe = (strength == 0) & (prob >= st.families_weak_link) & (st.families_weak_join > 0)
        for k in np.flatnonzero(maybe).tolist():
            weak[pairs[k]] = float(prob[k])
        timer.add("verify", t)
    ok = [i for i in ok if i not in excluded]
    links = {p: v for p, v in links.items() if p[0] not in excluded and p[1] not in excluded}
    t = timer.start()
    weak = {p: v for p, v in weak.items() if p[0] not in excluded and p[1] not in excluded}
    weak_links = [Link(a, b, p) for (a, b), p in weak.items()]
    clusters = cluster(ok, [Link(a, b, p) for (a, b), p in links.items()], st, groups, weak_links)
    timer.add("cluster", t)
    return Grouping(clusters, links, excluded, weak)


def families(
    articles: Iterable[Article | StoredArticle | Doc],
    settings: Settings | None = None,
    now: datetime | None = None,
) -> FamiliesResult:
    """Group ``articles`` into story families and pick each family's source.

    Exact duplicates (same normalised text) join their first copy's family; thousands of
    copies of a page without a story are excluded as boilerplate.

    Args: articles: ``Article`` / ``SourceArticle`` (ids: their positions 0, 1, ...),
    ``StoredArticle`` (ids: store ids) or ``Doc``; now: the present, for dates in the future.
    Returns: families of two or more (largest first), singletons and excluded articles.
    Raises: TypeError when ``articles`` is not an iterable of articles.
    """
    if isinstance(articles, str | bytes) or not isinstance(articles, Iterable):
        raise TypeError(
            f"families: articles must be an iterable of Article, not {type(articles).__name__}"
        )
    st = settings or Settings()
    timer = StageTimer()
    docs = [_doc(i, a) for i, a in enumerate(articles)]
    by_id = {d.id: d for d in docs}
    # exact duplicates: analyse one copy
    first: dict[str, int] = {}
    dup_of: dict[int, int] = {}
    for d in docs:
        h = content_hash(d.text)
        if h in first and d.text.strip():
            dup_of[d.id] = first[h]
        else:
            first.setdefault(h, d.id)
    unique = [d for d in docs if d.id not in dup_of]
    t = timer.start()
    sig_list = signatures([d.text for d in unique], st)
    timer.add("signature", t)
    sigs = {d.id: s for d, s in zip(unique, sig_list, strict=True)}
    dim = next((len(s.embedding) for s in sig_list if s.ok), 1)
    index = CandidateIndex(st, dim)
    g = group([d.id for d in unique], sigs, index, st, timer=timer)
    copies: dict[int, list[int]] = defaultdict(list)
    for d, rep in dup_of.items():
        copies[rep].append(d)
    for rep, dups in copies.items():
        reason = g.excluded.get(rep)
        if (
            reason is None
            and len(dups) + 1 >= st.families_boilerplate_copies
            and len(sigs[rep].anchors) < 2 * st.families_min_anchors
        ):
            reason = f"boilerplate: {len(dups) + 1} identical pages with no story"
            g.excluded[rep] = reason
        for d in dups:
            if reason is not None:
                g.excluded[d] = f"exact duplicate of article {rep} ({reason})"
    t = timer.start()
    result = _assemble(g, sigs, by_id, st, copies, now)
    timer.add("source", t)
    result.timings = dict(timer.t)
    result.counts = {"articles": len(docs), "pairs_linked": len(g.links)}
    return result


def _assemble(
    g: Grouping,
    sigs: dict[int, Signature],
    by_id: dict[int, Doc],
    st: Settings,
    copies: dict[int, list[int]],
    now: datetime | None,
) -> FamiliesResult:
    fams: list[Family] = []
    singletons: list[int] = []
    for cl in g.clusters:
        if cl[0] in g.excluded:
            continue
        dups = [d for m in cl for d in copies.get(m, []) if d not in g.excluded]
        if len(cl) + len(dups) < 2:
            singletons.append(cl[0])
            continue
        fams.append(
            build_family(
                len(fams) + 1, cl, dups, g.links, sigs, by_id, st, copies, now, weak=g.weak
            )
        )
    excluded = [Excluded(i, r) for i, r in sorted(g.excluded.items())]
    return FamiliesResult(fams, singletons, excluded)


def build_family(
    fid: int,
    cl: list[int],
    dups: list[int],
    links: dict[tuple[int, int], float],
    sigs: dict[int, Signature],
    by_id: dict[int, Doc],
    st: Settings,
    copies: dict[int, list[int]],
    now: datetime | None,
    weak: dict[tuple[int, int], float] | None = None,
) -> Family:
    """The family of cluster ``cl`` (plus exact copies ``dups``) with ``pick_source``'s
    source. (A source the user set is kept by the store, ``FamilyStore.write_families``.)"""
    conf, why = confidences(cl, links, weak)
    published = {m: by_id[m].published for m in cl}
    p = pick_source(cl, sigs, published, st, now)
    pick_id, status, pconf, reasons = p.source, p.status, p.confidence, p.reasons
    members = [_member(by_id[m], conf[m], why.get(m, "")) for m in cl]
    dup_of = {d: rep for rep, ds in copies.items() for d in ds}
    for d in dups:
        members.append(_member(by_id[d], 1.0, f"exact duplicate of article {dup_of[d]}"))
    if pick_id is not None:
        members.sort(key=lambda m: (m.id != pick_id, m.id))
    return Family(fid, pick_id, status, pconf, reasons, members)


def _member(d: Doc, confidence: float, reason: str = "") -> Member:
    return Member(d.id, confidence, reason, d.site, d.url, d.origin, d.published, d.title)
