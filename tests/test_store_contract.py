"""Both store backends against the whole contract of ``retold.store.contract``: every
protocol member exists with the protocol's signature, and the shared behaviour (articles,
audits, signatures, families, the set-source rule) is the same in SQLite and PostgreSQL.
The PostgreSQL cases skip when no local server can be started (see ``pg_server``)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from retold.store import (
    ArticleMeta,
    ArticleStore,
    AuditKey,
    FamilyAudit,
    FamilyMember,
    FamilyPage,
    FamilyRow,
    FamilyStore,
    FamilyWrite,
    NoSuchFamily,
    NotAMember,
    SignatureRow,
    SignatureText,
    SiteFindings,
    SourceArticle,
    SqliteStore,
    open_store,
)
from retold.store.families import SIGNATURE_COLUMNS
from retold.store.rows import EXCLUDED, SET_BY_USER

PROTOCOLS = (ArticleStore, FamilyStore)
_SPECIAL = {"__enter__", "__exit__"}


def backends() -> list[type]:
    from retold.store.postgres import PostgresStore  # no driver needed to inspect it

    return [SqliteStore, PostgresStore]


def members(proto: type) -> dict[str, Any]:
    """The protocol's own members (methods and properties), its bases' included."""
    out: dict[str, Any] = {}
    for cls in reversed(proto.__mro__):
        if cls in (object, Protocol) or not getattr(cls, "_is_protocol", False):
            continue
        for name, value in vars(cls).items():
            if (name.startswith("_") and name not in _SPECIAL) or name == "_is_protocol":
                continue
            if callable(value) or isinstance(value, property):
                out[name] = value
    return out


def shape(fn: Any) -> list[tuple[str, Any, Any, str]]:
    """Parameters as (name, kind, default, annotation) and the return annotation; with
    ``from __future__ import annotations`` both sides compare as strings."""
    sig = inspect.signature(fn)
    params = [(p.name, p.kind, p.default, str(p.annotation)) for p in sig.parameters.values()]
    return [*params, ("return", None, None, str(sig.return_annotation))]


@pytest.mark.parametrize("backend", backends(), ids=lambda c: c.__name__)
def test_every_protocol_member_exists_with_the_protocols_signature(backend: type) -> None:
    for proto in PROTOCOLS:
        for name, want in members(proto).items():
            got = inspect.getattr_static(backend, name, None)
            if isinstance(want, property):
                # a property may be met by a property or by an attribute set in __init__
                if got is not None and isinstance(got, property):
                    assert shape(got.fget) == shape(want.fget), (backend, name)
                continue
            assert got is not None, f"{backend.__name__} lacks {proto.__name__}.{name}"
            assert shape(getattr(backend, name)) == shape(want), (backend.__name__, name)


def test_the_contract_names_every_store_method_the_code_calls() -> None:
    """Every public method the backends share is in the contract (so nothing the rest of
    retold calls is outside it), apart from the backends' own openers."""
    shared = set.intersection(
        *(
            {n for n in dir(b) if not n.startswith("_") and callable(getattr(b, n))}
            for b in backends()
        )
    )
    named = set(members(FamilyStore))
    assert shared - named == {"open"}


# --------------------------------------------------------------------------- behaviour


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FamilyStore]:
    if request.param == "sqlite":
        target = str(tmp_path / "c.db")
    else:
        target = request.getfixturevalue("pg_url")
    with open_store(target) as s:
        yield s


def _articles(store: FamilyStore, n: int) -> list[int]:
    store.add_articles(
        SourceArticle(
            text=f"Story {i}: the council opened bridge number {i} to walkers on Monday.",
            title=f"Bridge {i}",
            origin=f"t{i}.txt",
            site=f"site{i % 2}.example",
            url=f"https://site{i % 2}.example/{i}",
            published=f"2026-03-0{i % 9 + 1}T09:00:00Z",
        )
        for i in range(n)
    )
    return [a.id for a in store.iter_articles()]


def _packed(machine_text: float | None = None) -> dict[str, Any]:
    blob = {"minhash", "embedding", "words", "anchors", "quotes"}
    values: dict[str, Any] = {c: (b"\x01\x02" if c in blob else 0.0) for c in SIGNATURE_COLUMNS}
    return values | {"status": "ok", "n_shingles": 3, "machine_text": machine_text}


def test_a_store_is_both_protocols(store: FamilyStore) -> None:
    assert isinstance(store, ArticleStore) and isinstance(store, FamilyStore)
    assert store.integrity_check() == "ok" and store.schema_version >= 8
    assert (store.path is None) == store.location.startswith("postgresql://")


def test_articles_and_audits(store: FamilyStore) -> None:
    ids = _articles(store, 4)
    assert store.count() == 4 and store.count(site="site0.example") == 2
    assert [a.id for a in store.list(limit=2)] == ids[::-1][:2]
    assert store.get(ids[0]).title == "Bridge 0" and store.get(2**70) is None
    audit = store.save_audit(ids[0], ids[1], "heuristic", {"schema_version": "1", "x": 1})
    got = store.get_audit(ids[0], ids[1], "heuristic")
    assert got is not None and got.id == audit and got.data["x"] == 1


def test_signature_rows_round_trip(store: FamilyStore) -> None:
    ids = _articles(store, 3)
    assert [a.id for a in store.articles_without_signature(10)] == ids
    store.save_signatures([SignatureRow(i, 4, _packed()) for i in ids[:2]], "doc-a", "mt-a")
    assert [a.id for a in store.articles_without_signature(10)] == ids[2:]
    rows = list(store.iter_signatures(chunk_size=1))
    assert [(r.article_id, r.version) for r in rows] == [(ids[0], 4), (ids[1], 4)]
    assert rows[0].packed["n_shingles"] == 3 and bytes(rows[0].packed["minhash"]) == b"\x01\x02"
    assert store.signature_models() == {("doc-a", "mt-a"): 2}
    assert store.signature_doc_models() == {"doc-a": 2}
    todo = store.signatures_without_machine_text(10, 0, max_chars=5)
    assert todo == [SignatureText(ids[0], "Story"), SignatureText(ids[1], "Story")]
    store.set_machine_text({ids[0]: 0.5, ids[1]: -1.0}, "mt-b")
    assert store.signatures_without_machine_text(10) == []
    assert store.forget_machine_text(keep="mt-b") == 0
    assert store.forget_machine_text(keep="mt-c") == 2
    assert store.delete_signatures() == 2 and list(store.iter_signatures()) == []


def _family(store: FamilyStore, ids: list[int]) -> int:
    """A family of ``ids`` with ``ids[0]`` picked as the source, the last one alone and
    one excluded article; returns the family's id."""
    writes = [
        FamilyWrite(
            None,
            [FamilyMember(i, 0.9, "") for i in ids[:3]],
            ids[0],
            "direction",
            0.8,
            ["covers the others"],
        ),
        FamilyWrite(None, [FamilyMember(ids[3], 1.0)], ids[3], "single article", 1.0, []),
        FamilyWrite(None, [FamilyMember(ids[4], 0.0, "too short")], None, EXCLUDED, 0.0, []),
    ]
    fid, _, _ = store.write_families(writes, delete=[])
    return fid


def test_family_rows_pages_and_meta(store: FamilyStore) -> None:
    ids = _articles(store, 5)
    fid = _family(store, ids)
    (row,) = store.families(fid)
    assert isinstance(row, FamilyRow) and row.source_id == ids[0] and not row.excluded
    assert row.members == tuple(FamilyMember(i, 0.9, "") for i in ids[:3])
    assert row.user_source is None and row.has_member(ids[1]) and not row.has_member(ids[3])
    assert len(store.families()) == 3 and store.families(ids=[fid]) == [row]
    assert store.family_page(10, 0) == FamilyPage([fid], 1, 1, 1)
    meta = store.article_meta([ids[0]])
    assert meta == {
        ids[0]: ArticleMeta(
            "site0.example", "https://site0.example/0", "t0.txt", "2026-03-01T09:00:00Z", "Bridge 0"
        )
    }


def test_set_source_rule(store: FamilyStore) -> None:
    """The user's source wins over a later automatic pick; a changed source drops the
    family's audits; only members of a real family can be set."""
    ids = _articles(store, 5)
    fid = _family(store, ids)
    audit = store.save_audit(ids[0], ids[1], "heuristic", {"schema_version": "1"})
    store.save_family_audit(fid, audit, ids[1], "heuristic", "1", [2])
    assert store.family_audits(fid, "heuristic") == {
        ids[1]: FamilyAudit({"schema_version": "1"}, [2])
    }
    with pytest.raises(NoSuchFamily):
        store.set_family_source(fid + 100, ids[0])
    excluded = next(f.id for f in store.families() if f.excluded)
    with pytest.raises(NoSuchFamily):
        store.set_family_source(excluded, ids[4])
    with pytest.raises(NotAMember, match="not a member"):
        store.set_family_source(fid, ids[3])
    store.set_family_source(fid, ids[0])  # the same source: the audits stay
    (row,) = store.families(fid)
    assert row.source_status == SET_BY_USER and row.user_source == ids[0]
    assert store.family_audits(fid, "heuristic")
    store.set_family_source(fid, ids[2])  # another: they were made against the old one
    assert store.families(fid)[0].user_source == ids[2]
    assert store.family_audits(fid, "heuristic") == {}
    # a run that picked while the user chose keeps the user's source (and its audits)
    audit = store.save_audit(ids[2], ids[1], "heuristic", {"schema_version": "1"})
    store.save_family_audit(fid, audit, ids[1], "heuristic", "1", [])
    members = [FamilyMember(i, 0.9) for i in ids[:3]]
    store.write_families([FamilyWrite(fid, members, ids[1], "earliest", 0.7, [])], delete=[])
    (row,) = store.families(fid)
    assert row.user_source == ids[2] and store.family_audits(fid, "heuristic")
    # a run's own change of source drops the audits
    single = next(f.id for f in store.families() if f.source_status == "single article")
    store.save_family_audit(single, audit, ids[1], "heuristic", "1", [])
    one = [FamilyMember(ids[3], 1.0)]
    store.write_families([FamilyWrite(single, one, None, "no clear source", 0.0, [])], [])
    assert store.family_audits(single, "heuristic") == {}


def test_site_findings_keys_and_invalidation(store: FamilyStore) -> None:
    """Audit keys come without the JSON; kept rows round-trip, and go when their audit is
    saved again, their family's source changes, or a run drops them."""
    ids = _articles(store, 5)
    fid = _family(store, ids)
    audits = [
        store.save_audit(ids[0], r, "heuristic", {"schema_version": "1", "r": r}) for r in ids[1:3]
    ]
    for a, r in zip(audits, ids[1:3], strict=True):
        store.save_family_audit(fid, a, r, "heuristic", "1", [])
    keys = store.family_audit_keys("heuristic")
    assert keys == {r: AuditKey(fid, ids[0], a, 0) for a, r in zip(audits, ids[1:3], strict=True)}
    assert store.family_audit_keys("nli") == {}
    assert store.audit_data([audits[0], 2**70]) == {audits[0]: {"schema_version": "1", "r": ids[1]}}
    rows = [SiteFindings(r, keys[r], 1, f'{{"r":{r}}}') for r in ids[1:3]]
    store.save_site_findings("heuristic", rows, drop=[])
    assert list(store.iter_site_findings("heuristic", chunk_size=1)) == rows
    assert list(store.iter_site_findings("nli")) == []
    store.save_site_findings("heuristic", [], drop=[ids[2]])
    assert list(store.iter_site_findings("heuristic")) == rows[:1]
    store.save_site_findings("heuristic", rows, drop=[])
    again = store.save_audit(ids[0], ids[1], "heuristic", {"schema_version": "1", "r": 0})
    assert list(store.iter_site_findings("heuristic")) == rows[1:]  # a replaced audit
    store.save_family_audit(fid, again, ids[1], "heuristic", "1", [])
    # the same audit id, linked again: a new revision, so a reduction read before is stale
    assert again == audits[0]
    assert store.family_audit_keys("heuristic")[ids[1]] == AuditKey(fid, ids[0], again, 1)
    store.set_family_source(fid, ids[1])  # a changed source: its audits and rows go
    assert store.family_audit_keys("heuristic") == {}
    assert list(store.iter_site_findings("heuristic")) == []


def test_public_names_of_stores_and_families() -> None:
    import retold
    import retold.family as family
    import retold.store as store
    from retold.family.group import families
    from retold.family.upkeep import load_from_store, update_store

    assert retold.families is families is family.families
    assert retold.update_families is update_store is family.update_store
    assert family.load_from_store is load_from_store
    assert retold.FamilyStore is FamilyStore and retold.ArticleStore is ArticleStore
    assert store.PostgresStore.__name__ == "PostgresStore"
    assert {"SqliteStore", "PostgresStore", "open_store", "FamilyRow"} <= set(store.__all__)
