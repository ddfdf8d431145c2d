"""Family tables, shared by the SQLite and PostgreSQL stores (``FamilyTables`` mixin).

``family_signatures``: one compact fingerprint per article (``family.signature``), so a
later run never re-reads text; ``families`` / ``family_members``: the current grouping,
one family per article (singletons included, so a run knows what it has seen);
``family_audits``: which audit of the ``audits`` table belongs to which family, and which
of its claims no sibling tells (``only_here``).

A store supplies ``_q`` (placeholder style, see ``base.SqlDialect``), ``_tx`` (run a
function in one write transaction) and ``_conn``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from retold.store.base import SqlDialect, now_iso, storable_id

T = TypeVar("T")
_NOT_SET_BY_USER = " AND source_status <> 'set by user'"

SIGNATURE_COLUMNS = (
    "status",
    "minhash",
    "embedding",
    "words",
    "anchors",
    "quotes",
    "n_shingles",
    "boilerplate",
    "style",
    "machine",
    "machine_text",
)


def by_doc_model(models: dict[tuple[str, str | None], int]) -> dict[str, int]:
    """``signature_models`` counts summed per document model."""
    out: dict[str, int] = {}
    for (doc, _), n in models.items():
        out[doc] = out.get(doc, 0) + n
    return out


@dataclass
class FamilyRow:
    id: int
    source_id: int | None
    source_status: str
    source_confidence: float
    source_reasons: list[str]
    updated_at: str
    members: list[tuple[int, float, str]]  # (article id, confidence, reason)


@dataclass
class FamilyWrite:
    """A family to (re)write. ``id`` None: a new family."""

    id: int | None
    members: list[tuple[int, float, str]]
    source_id: int | None
    source_status: str
    source_confidence: float
    source_reasons: list[str]


class FamilyTables(SqlDialect):
    def _tx(self, fn: Callable[[], T]) -> T:  # pragma: no cover - each store overrides
        raise NotImplementedError

    def _blob(self, value: bytes) -> Any:
        return value

    # ------------------------------------------------------------------ signatures

    def articles_without_signature(self, limit: int = 500, after: int = 0) -> list[Any]:
        """The next ``limit`` articles with no signature and an id above ``after``: a caller
        walking the table passes the last id it got, so no batch rescans the signed ones
        (without it, signing n articles in batches reads ~n²/2 rows)."""
        from retold.store.base import ARTICLE_COLUMNS, StoredArticle

        cols = ", ".join(f"a.{c}" for c in ARTICLE_COLUMNS)
        rows = self._conn.execute(
            self._q(
                f"SELECT {cols} FROM articles a LEFT JOIN family_signatures s"
                " ON s.article_id = a.id WHERE s.article_id IS NULL AND a.id > ?"
                " ORDER BY a.id LIMIT ?"
            ),
            (after, limit),
        ).fetchall()
        return [StoredArticle(*r) for r in rows]

    def save_signatures(
        self,
        rows: list[tuple[int, int, dict[str, Any]]],
        doc_model: str,
        machine_text_model: str = "",
    ) -> None:
        """``rows``: (article id, signature version, packed signature); ``doc_model``: the
        document model that made their vectors (``signature.doc_model_tag``);
        ``machine_text_model``: the model that scored their ``machine_text``
        (``machine_text.MachineTextModel.tag``)."""
        cols = ", ".join(SIGNATURE_COLUMNS)
        marks = ", ".join("?" for _ in SIGNATURE_COLUMNS)
        sql = self._q(
            "INSERT INTO family_signatures"
            f" (article_id, version, doc_model, machine_text_model, {cols})"
            f" VALUES (?, ?, ?, ?, {marks}) ON CONFLICT (article_id) DO NOTHING"
        )

        def write() -> None:
            for article_id, version, packed in rows:
                values = [
                    self._blob(v) if isinstance(v, bytes) else v
                    for v in (packed[c] for c in SIGNATURE_COLUMNS)
                ]
                self._conn.execute(
                    sql, (article_id, version, doc_model, machine_text_model, *values)
                )

        self._tx(write)

    def signatures_without_machine_text(
        self, limit: int, after: int = 0, max_chars: int = 20_000
    ) -> list[tuple[int, str]]:
        """(article id, first ``max_chars`` of its text) of the next ``limit`` signatures with
        no machine-text score (stored before it existed, or scored by another model:
        ``forget_machine_text``), with an article id above ``after``."""
        rows = self._conn.execute(
            self._q(
                "SELECT s.article_id, substr(a.text, 1, ?) FROM family_signatures s"
                " JOIN articles a ON a.id = s.article_id"
                " WHERE s.machine_text IS NULL AND s.article_id > ?"
                " ORDER BY s.article_id LIMIT ?"
            ),
            (max_chars, after, limit),
        ).fetchall()
        return [(int(r[0]), str(r[1] or "")) for r in rows]

    def set_machine_text(self, values: list[tuple[int, float]], model: str) -> None:
        """``values``: (article id, machine-text logit) for stored signatures, scored by
        ``model`` (``MachineTextModel.tag``)."""
        sql = self._q(
            "UPDATE family_signatures SET machine_text = ?, machine_text_model = ?"
            " WHERE article_id = ?"
        )

        def write() -> None:
            for article_id, value in values:
                self._conn.execute(sql, (value, model, article_id))

        self._tx(write)

    def forget_machine_text(self, keep: str) -> int:
        """Clear the machine-text scores of every other model than ``keep`` (the next
        fill recomputes them from the text; the document vectors stay)."""
        sql = self._q(
            "UPDATE family_signatures SET machine_text = NULL WHERE machine_text IS NOT NULL"
            " AND (machine_text_model IS NULL OR machine_text_model <> ?)"
        )
        return self._tx(lambda: self._conn.execute(sql, (keep,)).rowcount)

    def signature_models(self) -> dict[tuple[str, str | None], int]:
        """How many stored signatures each (document model, machine-text model) made."""
        rows = self._conn.execute(
            "SELECT doc_model, machine_text_model, COUNT(*) FROM family_signatures"
            " GROUP BY doc_model, machine_text_model"
        ).fetchall()
        return {(str(d), None if m is None else str(m)): int(n) for d, m, n in rows}

    def signature_doc_models(self) -> dict[str, int]:
        """How many stored signatures each document model made."""
        return by_doc_model(self.signature_models())

    def delete_signatures(self) -> int:
        """Drop every stored signature (families stay); the next run recomputes them."""
        return self._tx(lambda: self._conn.execute("DELETE FROM family_signatures").rowcount)

    def iter_signatures(self, chunk_size: int = 5000) -> Iterator[tuple[int, dict[str, Any]]]:
        """(article id, packed signature) in id order, read in chunks."""
        cols = ", ".join(SIGNATURE_COLUMNS)
        last = 0
        while True:
            rows = self._conn.execute(
                self._q(
                    f"SELECT article_id, {cols} FROM family_signatures WHERE article_id > ?"
                    " ORDER BY article_id LIMIT ?"
                ),
                (last, chunk_size),
            ).fetchall()
            if not rows:
                return
            for r in rows:
                yield int(r[0]), dict(zip(SIGNATURE_COLUMNS, r[1:], strict=True))
            last = rows[-1][0]

    def _rows_in(self, sql: str, column: str, ids: list[int]) -> list[Any]:
        """``sql`` (no WHERE of its own) restricted to ``column IN ids``, in lists of 500
        (under every driver's parameter limit); ids no store can hold name no row."""
        ids = [i for i in ids if storable_id(i)]
        rows: list[Any] = []
        for lo in range(0, len(ids), 500):
            part = ids[lo : lo + 500]
            marks = ", ".join("?" * len(part))
            rows += self._conn.execute(
                self._q(f"{sql} WHERE {column} IN ({marks})"), tuple(part)
            ).fetchall()
        return rows

    def article_meta(
        self, ids: list[int] | None = None
    ) -> dict[int, tuple[str, str, str, str | None, str]]:
        """id -> (site, url, origin, published, title) for every article, or for ``ids``
        only (one family of a million-article store: a few rows, not a table scan)."""
        sql = "SELECT id, site, url, origin, published, title FROM articles"
        rows = self._conn.execute(sql).fetchall() if ids is None else self._rows_in(sql, "id", ids)
        return {int(r[0]): (r[1], r[2], r[3], r[4], r[5]) for r in rows}

    def family_page(self, limit: int, offset: int) -> tuple[list[int], int, int, int]:
        """One page of the family list, largest first (as ``load_from_store`` orders them),
        counted in the database: (family ids, families, singletons, excluded articles)."""
        sizes = (
            "SELECT f.id, f.source_status, COUNT(*) AS n FROM families f"
            " JOIN family_members m ON m.family_id = f.id GROUP BY f.id, f.source_status"
        )
        kept, single, excluded = self._conn.execute(
            "SELECT COALESCE(SUM(CASE WHEN source_status <> 'excluded' AND n >= 2 THEN 1 END), 0),"
            " COALESCE(SUM(CASE WHEN source_status <> 'excluded' AND n < 2 THEN 1 END), 0),"
            " COALESCE(SUM(CASE WHEN source_status = 'excluded' THEN n END), 0)"
            f" FROM ({sizes}) s"
        ).fetchone()
        ids = self._conn.execute(
            self._q(
                f"SELECT id FROM ({sizes}) s WHERE source_status <> 'excluded' AND n >= 2"
                " ORDER BY n DESC, id LIMIT ? OFFSET ?"
            ),
            (limit, offset),
        ).fetchall()
        return [int(r[0]) for r in ids], int(kept), int(single), int(excluded)

    # ------------------------------------------------------------------ families

    def families(
        self, family_id: int | None = None, ids: list[int] | None = None
    ) -> list[FamilyRow]:
        """Every stored family, one (``family_id``) or those in ``ids``, by id."""
        if family_id is not None:
            ids = [family_id]
        head_sql = (
            "SELECT f.id, f.source_id, f.source_status, f.source_confidence,"
            " f.source_reasons, f.updated_at FROM families f"
        )
        member_sql = "SELECT family_id, article_id, confidence, reason FROM family_members"
        if ids is None:
            heads = self._conn.execute(head_sql + " ORDER BY f.id").fetchall()
            rows = self._conn.execute(member_sql + " ORDER BY family_id, article_id").fetchall()
        else:
            heads = sorted(self._rows_in(head_sql, "f.id", ids), key=lambda h: int(h[0]))
            rows = sorted(
                self._rows_in(member_sql, "family_id", ids), key=lambda r: (int(r[0]), int(r[1]))
            )
        members: dict[int, list[tuple[int, float, str]]] = {int(h[0]): [] for h in heads}
        for fid, aid, conf, reason in rows:
            if int(fid) in members:
                members[int(fid)].append((int(aid), float(conf), reason))
        return [
            FamilyRow(
                int(h[0]),
                None if h[1] is None else int(h[1]),
                h[2],
                float(h[3]),
                json.loads(h[4] or "[]"),
                h[5],
                members[int(h[0])],
            )
            for h in heads
        ]

    def write_families(self, writes: list[FamilyWrite], delete: list[int]) -> list[int]:
        """Rewrite the given families (new ones get ids), drop emptied ones; one
        transaction. Returns the ids of ``writes`` in order."""
        now = now_iso()

        def write() -> list[int]:
            c = self._conn
            for fid in delete:
                c.execute(self._q("DELETE FROM family_members WHERE family_id = ?"), (fid,))
                c.execute(self._q("DELETE FROM families WHERE id = ?"), (fid,))
            ids = []
            for w in writes:
                reasons = json.dumps(w.source_reasons, ensure_ascii=False)
                if w.id is None:
                    row = c.execute(
                        self._q(
                            "INSERT INTO families (source_id, source_status, source_confidence,"
                            " source_reasons, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id"
                        ),
                        (w.source_id, w.source_status, w.source_confidence, reasons, now),
                    ).fetchone()
                    fid = int(row[0])
                else:
                    fid = w.id
                    was = c.execute(
                        self._q("SELECT source_id FROM families WHERE id = ?"), (fid,)
                    ).fetchone()
                    if was is not None and was[0] != w.source_id:
                        # audits are made against the source: a new source makes them stale
                        c.execute(self._q("DELETE FROM family_audits WHERE family_id = ?"), (fid,))
                    # a source the user set while this run was grouping stays
                    keep_user = "" if w.source_status == "set by user" else _NOT_SET_BY_USER
                    c.execute(
                        self._q(
                            "UPDATE families SET source_id = ?, source_status = ?,"
                            " source_confidence = ?, source_reasons = ?, updated_at = ?"
                            f" WHERE id = ?{keep_user}"
                        ),
                        (w.source_id, w.source_status, w.source_confidence, reasons, now, fid),
                    )
                for aid, conf, reason in w.members:
                    c.execute(
                        self._q(
                            "INSERT INTO family_members (article_id, family_id, confidence,"
                            " reason) VALUES (?, ?, ?, ?) ON CONFLICT (article_id) DO UPDATE"
                            " SET family_id = excluded.family_id,"
                            " confidence = excluded.confidence, reason = excluded.reason"
                        ),
                        (aid, fid, conf, reason),
                    )
                ids.append(fid)
            return ids

        return self._tx(write)

    def set_family_source(self, family_id: int, article_id: int) -> None:
        def write() -> None:
            self._conn.execute(
                self._q(
                    "UPDATE families SET source_id = ?, source_status = 'set by user',"
                    " source_confidence = 1.0, source_reasons = ?, updated_at = ? WHERE id = ?"
                ),
                (article_id, json.dumps(["set by the user"]), now_iso(), family_id),
            )

        self._tx(write)

    # ------------------------------------------------------------------ family audits

    def save_family_audit(
        self,
        family_id: int,
        audit_id: int,
        retelling_id: int,
        judge: str,
        schema_version: str,
        only_here: list[int],
    ) -> None:
        def write() -> None:
            self._conn.execute(
                self._q(
                    "INSERT INTO family_audits (family_id, retelling_id, judge, audit_id,"
                    " schema_version, only_here, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (family_id, retelling_id, judge) DO UPDATE SET"
                    " audit_id = excluded.audit_id, schema_version = excluded.schema_version,"
                    " only_here = excluded.only_here, created_at = excluded.created_at"
                ),
                (
                    family_id,
                    retelling_id,
                    judge,
                    audit_id,
                    schema_version,
                    json.dumps(only_here),
                    now_iso(),
                ),
            )

        self._tx(write)

    def family_audits(self, family_id: int, judge: str) -> dict[int, tuple[dict, list[int]]]:
        """retelling id -> (stored audit JSON, only-here claim indexes)."""
        rows = self._conn.execute(
            self._q(
                "SELECT fa.retelling_id, a.json, fa.only_here FROM family_audits fa"
                " JOIN audits a ON a.id = fa.audit_id WHERE fa.family_id = ? AND fa.judge = ?"
            ),
            (family_id, judge),
        ).fetchall()
        return {int(r[0]): (json.loads(r[1]), json.loads(r[2])) for r in rows}
