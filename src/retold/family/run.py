"""Group articles into story families: ``families(articles)`` in memory, ``update_store``
incrementally over a store.

Stages: signature (the only pass over text) -> candidates (LSH + ANN) -> verify (pair model)
-> cluster (no chaining) -> source pick. Articles that cannot be placed (no text, too short,
boilerplate, exact copies of boilerplate) are listed as excluded with a reason, never
silently dropped.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retold.analysis.embed import release_doc_models
from retold.errors import RetoldError
from retold.family.candidates import CandidateIndex, propose, unplaceable
from retold.family.cluster import Link, cluster, confidences
from retold.family.signature import (
    SIGNATURE_VERSION,
    Signature,
    doc_model_tag,
    pack,
    signatures,
    unpack,
)
from retold.family.source import pick_source
from retold.family.verify import DocFreq, Scorer, links_and_probabilities
from retold.settings import Settings
from retold.store.base import SourceArticle, StoredArticle, content_hash
from retold.types import Article

Progress = Callable[[str, int, int], None]
_CHUNK = 10_000  # articles queried and verified at a time


@dataclass(frozen=True)
class Doc:
    """What families need of an article."""

    id: int
    text: str
    title: str = ""
    site: str = ""
    url: str = ""
    origin: str = ""
    published: str | None = None


@dataclass
class Member:
    id: int
    confidence: float
    reason: str = ""
    site: str = ""
    url: str = ""
    path: str = ""
    published: str | None = None
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id}
        if self.url:
            d["url"] = self.url
        else:
            d["path"] = self.path
        d.update(site=self.site, confidence=self.confidence, published=self.published)
        if self.title:
            d["title"] = self.title
        if self.reason:
            d["reason"] = self.reason
        return d


@dataclass
class Family:
    id: int
    source: int | None
    source_status: str
    source_confidence: float
    source_reasons: list[str]
    members: list[Member]

    @property
    def size(self) -> int:
        return len(self.members)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "source_status": self.source_status,
            "source_confidence": self.source_confidence,
            "source_reasons": self.source_reasons,
            "size": self.size,
            "members": [m.to_dict() for m in self.members],
        }


@dataclass
class Excluded:
    id: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "reason": self.reason}


@dataclass
class FamiliesResult:
    families: list[Family]  # two or more members, largest first
    singletons: list[int]  # articles that tell a story no other article retells
    excluded: list[Excluded]
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "families": [f.to_dict() for f in self.families],
            "singletons": len(self.singletons),
            "excluded": [e.to_dict() for e in self.excluded],
        }


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


class _Timer:
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
    timer: _Timer | None = None,
    scorer: Scorer | None = None,
) -> Grouping:
    """Place ``new_ids`` (signatures in ``sigs``) among ``groups`` (existing families, whose
    members are already in ``index``); ``scorer``: pair probabilities in place of the pair
    model's (``verify.Scorer``)."""
    st = settings
    timer = timer or _Timer()
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
    now: Any = None,
) -> FamiliesResult:
    """Group ``articles`` into story families and pick each family's source.

    Ids are store ids for ``StoredArticle`` and positions (0, 1, ...) otherwise. Exact
    duplicates (same normalised text) join their first copy's family; thousands of copies of
    a page without a story are excluded as boilerplate.
    """
    if isinstance(articles, str | bytes) or not isinstance(articles, Iterable):
        raise TypeError(
            f"families: articles must be an iterable of Article, not {type(articles).__name__}"
        )
    st = settings or Settings()
    timer = _Timer()
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
    now: Any,
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
            _family(len(fams) + 1, cl, dups, g.links, sigs, by_id, st, copies, now, weak=g.weak)
        )
    excluded = [Excluded(i, r) for i, r in sorted(g.excluded.items())]
    return FamiliesResult(fams, singletons, excluded)


def _family(
    fid: int,
    cl: list[int],
    dups: list[int],
    links: dict[tuple[int, int], float],
    sigs: dict[int, Signature],
    by_id: dict[int, Doc],
    st: Settings,
    copies: dict[int, list[int]],
    now: Any,
    override: int | None = None,
    weak: dict[tuple[int, int], float] | None = None,
) -> Family:
    conf, why = confidences(cl, links, weak)
    published = {m: by_id[m].published for m in cl}
    if override is not None and override in cl:
        pick_id, status, pconf, reasons = override, "set by user", 1.0, ["set by the user"]
    else:
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


# --------------------------------------------------------------------------- store


def ann_path_for(store: Any) -> Path | None:
    """The ANN index file beside a SQLite store (None for other stores: rebuilt per run).
    Named by signature version: vectors of an older signature are never searched."""
    path = getattr(store, "path", None)
    return Path(f"{path}.families.v{SIGNATURE_VERSION}.faiss") if path else None


def _remove_stale_ann_files(current: Path | None) -> None:
    """Delete index files of older signature versions beside ``current``
    (``<db>.families.faiss``, ``<db>.families.vN.faiss``): their vectors are never searched."""
    if current is None:
        return
    stem = current.name.split(".families.", 1)[0] + ".families"
    for old in current.parent.glob(f"{stem}*.faiss"):
        if old != current:
            old.unlink(missing_ok=True)


def _check_doc_model(
    store: Any, settings: Settings, resign: bool, models: dict[tuple[str, str | None], int]
) -> None:
    from retold.store.families import by_doc_model

    made = by_doc_model(models)
    tag = doc_model_tag(settings)
    if resign:
        if made:
            store.delete_signatures()
        ann = ann_path_for(store)
        if ann is not None:
            ann.unlink(missing_ok=True)
        return
    other = {m: n for m, n in made.items() if m != tag}
    if other:
        model, n = max(other.items(), key=lambda kv: kv[1])
        raise RetoldError(
            f"{store.location}: {sum(other.values())} family signatures were made with the "
            f"document model {model!r} ({n} of them), this run uses {tag!r}; vectors of two "
            "models do not compare: run `retold families --resign` to recompute them"
        )


def sign_new(
    store: Any, settings: Settings, progress: Progress | None = None, batch_size: int = 2000
) -> list[int]:
    """Store a signature for every article that has none; returns their ids."""
    from retold.family.machine_text import load_model

    done: list[int] = []
    last = 0
    while True:
        batch = store.articles_without_signature(batch_size, after=last)
        if not batch:
            release_doc_models()  # the grouping pass that follows needs the memory more
            return done
        last = batch[-1].id
        sig_list = signatures([a.text for a in batch], settings)
        store.save_signatures(
            [(a.id, SIGNATURE_VERSION, pack(s)) for a, s in zip(batch, sig_list, strict=True)],
            doc_model_tag(settings),
            load_model(settings.families_machine_text_model).tag,
        )
        done += [a.id for a in batch]
        if progress:
            progress("signature", len(done), len(done))


def machine_text_to_fill(
    store: Any,
    settings: Settings,
    progress: Progress | None = None,
    batch_size: int = 2000,
    scored_by: set[str | None] | None = None,
) -> dict[int, float]:
    """Machine-text scores for stored signatures that lack one (stored before it existed,
    schema 8, or scored by another model than ``settings``'), from their articles' text: a
    few ms each, where re-signing costs the document model's ~40. Not saved here: the
    caller saves them after the families it re-picked with them, so a run cut short in
    between leaves them missing and the next run re-picks again. ``scored_by``: the
    machine-text models of the stored signatures, when the caller has read them."""
    from retold.family.machine_text import MAX_CHARS, load_model

    model = load_model(settings.families_machine_text_model)
    if scored_by is None:
        scored_by = {m for _, m in store.signature_models()}
    if scored_by - {None, model.tag}:
        store.forget_machine_text(model.tag)
    out: dict[int, float] = {}
    last = 0
    while batch := store.signatures_without_machine_text(batch_size, last, MAX_CHARS):
        last = batch[-1][0]
        logits = model.logit([text for _, text in batch])
        out.update((i, round(float(v), 4)) for (i, _), v in zip(batch, logits, strict=True))
        if progress:
            progress("machine text", len(out), len(out))
    return out


def update_store(
    store: Any,
    settings: Settings | None = None,
    progress: Progress | None = None,
    batch_size: int = 2000,
    now: Any = None,
    resign: bool = False,
) -> dict[str, Any]:
    """Bring the store's families up to date: signatures for new articles only, then place
    every article not yet in a family. Existing families keep their ids and members (new
    articles join them); sources set by the user are kept. Signatures made by another
    document model than ``settings``' are an error, or with ``resign`` recomputed (with the
    ANN index), since vectors of two models do not compare. Machine-text scores missing
    or made by another machine-text model are computed again from the text. When placed
    articles got new signatures or scores, every family's source is picked again."""
    st = settings or Settings()
    timer = _Timer()
    t = timer.start()
    models = store.signature_models()  # one pass over the signatures, for both checks
    _check_doc_model(store, st, resign, models)
    signed = sign_new(store, st, progress, batch_size)
    fills = machine_text_to_fill(store, st, progress, batch_size, {m for _, m in models})
    timer.add("signature", t)
    t = timer.start()
    sigs: dict[int, Signature] = {i: unpack(row) for i, row in store.iter_signatures()}
    for i, value in fills.items():
        sigs[i].machine_text = value
    stored = store.families()
    placed = {m[0] for f in stored for m in f.members}
    # new evidence for placed articles (scores filled, or signatures recomputed after
    # --resign or an upgrade): the stored families' sources are picked again
    repick = bool(fills) or not placed.isdisjoint(signed)
    existing = [f for f in stored if f.source_status != "excluded"]
    timer.add("load", t)
    dim = next((len(s.embedding) for s in sigs.values() if s.ok), 1)
    index = CandidateIndex(st, dim, ann_path_for(store))
    # the indexes hold every placed article; new ones are added by group()
    t = timer.start()
    old_ok = sorted(m[0] for f in existing for m in f.members if m[0] in sigs)
    if old_ok:
        index.add(
            np.asarray(old_ok, dtype=np.uint64),
            np.stack([sigs[i].minhash for i in old_ok]),
            np.stack([sigs[i].embedding for i in old_ok]),
        )
    timer.add("index", t)
    new_ids = [i for i in sorted(sigs) if i not in placed]
    groups = [[m[0] for m in f.members] for f in existing]
    g = group(new_ids, sigs, index, st, groups=groups, timer=timer)
    t = timer.start()
    # saved and freed before the metadata of every article is loaded: at a million
    # articles the indexes hold ~2 GB. (Saved before the families are written: articles
    # indexed but not written are placed again by the next run, their vectors kept.)
    index.save()
    _remove_stale_ann_files(index.ann_path)
    index_bytes = index.nbytes()
    del index
    meta = store.article_meta()
    by_id = {i: Doc(i, "", m[4], m[0], m[1], m[2], m[3]) for i, m in meta.items()}
    family_of = {m[0]: f for f in existing for m in f.members}
    from retold.store.families import FamilyWrite

    writes: list[FamilyWrite] = []
    new_set = set(new_ids)
    for cl in g.clusters:
        if not (set(cl) & new_set) and not (repick and len(cl) > 1):
            continue  # untouched family
        prev = next((family_of[m] for m in cl if m in family_of), None)
        if len(cl) < 2:
            writes.append(FamilyWrite(None, [(cl[0], 1.0, "")], cl[0], "single article", 1.0, []))
            continue
        override = prev.source_id if prev and prev.source_status == "set by user" else None
        fam = _family(0, cl, [], g.links, sigs, by_id, st, {}, now, override, g.weak)
        # old members keep their stored confidence; new ones are scored on their links
        kept = {m[0]: m for m in prev.members} if prev else {}
        members = [kept.get(m.id, (m.id, m.confidence, m.reason)) for m in fam.members]
        writes.append(
            FamilyWrite(
                prev.id if prev else None,
                members,
                fam.source,
                fam.source_status,
                fam.source_confidence,
                fam.source_reasons,
            )
        )
    for i, reason in g.excluded.items():
        # excluded articles are recorded as placed (family of one) with their reason, so
        # the next run does not look at them again
        writes.append(FamilyWrite(None, [(i, 0.0, reason)], None, "excluded", 0.0, [reason]))
    store.write_families(writes, delete=[])
    if fills:
        from retold.family.machine_text import load_model

        store.set_machine_text(list(fills.items()), load_model(st.families_machine_text_model).tag)
    timer.add("write", t)
    return {
        "new_articles": len(new_ids),
        "signed": len(signed),
        "machine_text_filled": len(fills),
        "families_written": len(writes),
        "excluded": len(g.excluded),
        "timings": {k: round(v, 3) for k, v in timer.t.items()},
        "cpu_timings": {k: round(v, 3) for k, v in timer.cpu.items()},
        "index_bytes": index_bytes,
    }


def load_from_store(
    store: Any, family_id: int | None = None, ids: list[int] | None = None
) -> FamiliesResult:
    """The families as stored (after ``update_store``), with member metadata: all, one
    (``family_id``) or those in ``ids`` (a page of the list)."""
    stored = store.families(family_id, ids)
    part = family_id is not None or ids is not None
    # some families: their members' rows only, not every article's
    members = sorted({m[0] for f in stored for m in f.members}) if part else None
    meta = store.article_meta(members)
    fams: list[Family] = []
    singletons: list[int] = []
    excluded: list[Excluded] = []
    for f in stored:
        if f.source_status == "excluded":
            excluded += [Excluded(m[0], m[2]) for m in f.members]
            continue
        if len(f.members) < 2 and not part:
            singletons.append(f.members[0][0])
            continue
        members = []
        for aid, conf, reason in f.members:
            site, url, origin, published, title = meta.get(aid, ("", "", "", None, ""))
            members.append(Member(aid, conf, reason, site, url, origin, published, title))
        members.sort(key=lambda m: (m.id != f.source_id, m.id))
        fams.append(
            Family(
                f.id, f.source_id, f.source_status, f.source_confidence, f.source_reasons, members
            )
        )
    fams.sort(key=lambda f: (-f.size, f.id))
    return FamiliesResult(fams, singletons, excluded)
