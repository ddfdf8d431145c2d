"""Story families kept up to date in a store: ``update_store`` places the articles ingested
since the last run (signing only those), ``load_from_store`` reads the families back.

Signatures are computed once per article and kept (``sign_new``); machine-text scores
missing from older signatures are filled from the text (``machine_text_to_fill``); the ANN
index lives in a file beside a SQLite store (``ann_path_for``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from retold.analysis.embed import release_doc_models
from retold.errors import RetoldError
from retold.family.candidates import CandidateIndex
from retold.family.group import StageTimer, build_family, group
from retold.family.result import Doc, Excluded, FamiliesResult, Family, Member
from retold.family.signature import SIGNATURE_VERSION, Signature, doc_model_tag, signatures, unpack
from retold.family.signature import pack as pack_signature
from retold.settings import Settings
from retold.store.contract import FamilyStore
from retold.store.families import by_doc_model
from retold.store.rows import (
    EXCLUDED,
    NO_META,
    FamilyMember,
    FamilyRow,
    FamilyWrite,
    SignatureRow,
)

Progress = Callable[[str, int, int], None]


def ann_path_for(store: FamilyStore) -> Path | None:
    """The ANN index file beside a SQLite store (None for other stores: rebuilt per run).
    Named by signature version: vectors of an older signature are never searched."""
    path = store.path
    return Path(f"{path}.families.v{SIGNATURE_VERSION}.faiss") if path else None


def remove_stale_ann_files(current: Path | None) -> None:
    """Delete index files of older signature versions beside ``current``
    (``<db>.families.faiss``, ``<db>.families.vN.faiss``): their vectors are never searched."""
    if current is None:
        return
    stem = current.name.split(".families.", 1)[0] + ".families"
    for old in current.parent.glob(f"{stem}*.faiss"):
        if old != current:
            old.unlink(missing_ok=True)


def check_doc_model(
    store: FamilyStore,
    settings: Settings,
    resign: bool,
    models: dict[tuple[str, str | None], int],
) -> None:
    """With ``resign``: drop every signature and the ANN file. Without: raise RetoldError
    when stored vectors were made by another document model than ``settings``' (vectors
    of two models do not compare)."""
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
    store: FamilyStore,
    settings: Settings,
    progress: Progress | None = None,
    batch_size: int = 2000,
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
            [
                SignatureRow(a.id, SIGNATURE_VERSION, pack_signature(s))
                for a, s in zip(batch, sig_list, strict=True)
            ],
            doc_model_tag(settings),
            load_model(settings.families_machine_text_model).tag,
        )
        done += [a.id for a in batch]
        if progress:
            progress("signature", len(done), len(done))


def machine_text_to_fill(
    store: FamilyStore,
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
        last = batch[-1].article_id
        logits = model.logit([row.text for row in batch])
        out.update(
            (row.article_id, round(float(v), 4)) for row, v in zip(batch, logits, strict=True)
        )
        if progress:
            progress("machine text", len(out), len(out))
    return out


def update_store(
    store: FamilyStore,
    settings: Settings | None = None,
    progress: Progress | None = None,
    batch_size: int = 2000,
    now: datetime | None = None,
    resign: bool = False,
) -> dict[str, Any]:
    """Bring the store's families up to date: signatures for new articles only, then place
    every article not yet in a family.

    Existing families keep their ids and members (new articles join them); sources set by
    the user are kept. Machine-text scores missing or made by another machine-text model
    are computed again from the text. When placed articles got new signatures or scores,
    every family's source is picked again.

    Args: progress: called with (stage, done, total); now: the present, for dates in the
    future; resign: recompute every signature (and the ANN index), after the document
    model changed.
    Returns: counts (``new_articles``, ``signed``, ``machine_text_filled``,
    ``families_written``, ``excluded``), ``timings`` / ``cpu_timings`` (seconds per stage)
    and ``index_bytes``.
    Raises: RetoldError when stored signatures were made by another document model than
    ``settings``' and ``resign`` is not set (vectors of two models do not compare), or
    when the store fails (locked, ...).
    """
    st = settings or Settings()
    timer = StageTimer()
    t = timer.start()
    models = store.signature_models()  # one pass over the signatures, for both checks
    check_doc_model(store, st, resign, models)
    signed = sign_new(store, st, progress, batch_size)
    fills = machine_text_to_fill(store, st, progress, batch_size, {m for _, m in models})
    timer.add("signature", t)
    t = timer.start()
    sigs: dict[int, Signature] = {r.article_id: unpack(r.packed) for r in store.iter_signatures()}
    for i, value in fills.items():
        sigs[i].machine_text = value
    stored = store.families()
    placed = {m.article_id for f in stored for m in f.members}
    # new evidence for placed articles (scores filled, or signatures recomputed after
    # --resign or an upgrade): the stored families' sources are picked again
    repick = bool(fills) or not placed.isdisjoint(signed)
    existing = [f for f in stored if not f.excluded]
    timer.add("load", t)
    dim = next((len(s.embedding) for s in sigs.values() if s.ok), 1)
    index = CandidateIndex(st, dim, ann_path_for(store))
    # the indexes hold every placed article; new ones are added by group()
    t = timer.start()
    old_ok = sorted(m.article_id for f in existing for m in f.members if m.article_id in sigs)
    if old_ok:
        index.add(
            np.asarray(old_ok, dtype=np.uint64),
            np.stack([sigs[i].minhash for i in old_ok]),
            np.stack([sigs[i].embedding for i in old_ok]),
        )
    timer.add("index", t)
    new_ids = [i for i in sorted(sigs) if i not in placed]
    groups = [[m.article_id for m in f.members] for f in existing]
    g = group(new_ids, sigs, index, st, groups=groups, timer=timer)
    t = timer.start()
    # saved and freed before the metadata of every article is loaded: at a million
    # articles the indexes hold ~2 GB. (Saved before the families are written: articles
    # indexed but not written are placed again by the next run, their vectors kept.)
    index.save()
    remove_stale_ann_files(index.ann_path)
    index_bytes = index.nbytes()
    del index
    meta = store.article_meta()
    by_id = {i: Doc(i, "", m.title, m.site, m.url, m.origin, m.published) for i, m in meta.items()}
    family_of = {m.article_id: f for f in existing for m in f.members}
    writes: list[FamilyWrite] = []
    new_set = set(new_ids)
    for cl in g.clusters:
        if not (set(cl) & new_set) and not (repick and len(cl) > 1):
            continue  # untouched family
        prev = next((family_of[m] for m in cl if m in family_of), None)
        if len(cl) < 2:
            single = [FamilyMember(cl[0], 1.0, "")]
            writes.append(FamilyWrite(None, single, cl[0], "single article", 1.0, []))
            continue
        writes.append(_rewrite(prev, cl, g.links, g.weak, sigs, by_id, st, now))
    for i, reason in g.excluded.items():
        # excluded articles are recorded as placed (family of one) with their reason, so
        # the next run does not look at them again
        writes.append(
            FamilyWrite(None, [FamilyMember(i, 0.0, reason)], None, EXCLUDED, 0.0, [reason])
        )
    store.write_families(writes, delete=[])
    if fills:
        from retold.family.machine_text import load_model

        store.set_machine_text(fills, load_model(st.families_machine_text_model).tag)
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


def _rewrite(
    prev: FamilyRow | None,
    cl: list[int],
    links: dict[tuple[int, int], float],
    weak: dict[tuple[int, int], float],
    sigs: dict[int, Signature],
    by_id: dict[int, Doc],
    st: Settings,
    now: datetime | None,
) -> FamilyWrite:
    """The write for cluster ``cl`` of two or more, ``prev`` the stored family it grew
    from (None: a new family). Its source is the automatic pick: the store keeps one the
    user set instead (``FamilyStore.write_families``)."""
    fam = build_family(0, cl, [], links, sigs, by_id, st, {}, now, weak)
    # old members keep their stored confidence; new ones are scored on their links
    kept = {m.article_id: m for m in prev.members} if prev else {}
    members = [kept.get(m.id, FamilyMember(m.id, m.confidence, m.reason)) for m in fam.members]
    return FamilyWrite(
        prev.id if prev else None,
        members,
        fam.source,
        fam.source_status,
        fam.source_confidence,
        fam.source_reasons,
    )


def load_from_store(
    store: FamilyStore, family_id: int | None = None, ids: list[int] | None = None
) -> FamiliesResult:
    """The families as stored (after ``update_store``), with member metadata.

    Args: family_id: one family only; ids: those families only (a page of the list).
    Returns: all families (largest first) with singletons and excluded articles, or the
    ones asked for (empty when none exists; singletons then count as families).
    """
    stored = store.families(family_id, ids)
    part = family_id is not None or ids is not None
    # some families: their members' rows only, not every article's
    wanted = sorted({m.article_id for f in stored for m in f.members}) if part else None
    meta = store.article_meta(wanted)
    fams: list[Family] = []
    singletons: list[int] = []
    excluded: list[Excluded] = []
    for f in stored:
        if f.excluded:
            excluded += [Excluded(m.article_id, m.reason) for m in f.members]
            continue
        if len(f.members) < 2 and not part:
            singletons.append(f.members[0].article_id)
            continue
        members = []
        for m in f.members:
            a = meta.get(m.article_id, NO_META)
            members.append(
                Member(
                    m.article_id,
                    m.confidence,
                    m.reason,
                    a.site,
                    a.url,
                    a.origin,
                    a.published,
                    a.title,
                )
            )
        members.sort(key=lambda m: (m.id != f.source_id, m.id))
        fams.append(
            Family(
                f.id, f.source_id, f.source_status, f.source_confidence, f.source_reasons, members
            )
        )
    fams.sort(key=lambda f: (-f.size, f.id))
    return FamiliesResult(fams, singletons, excluded)
