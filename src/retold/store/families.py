"""Family tables, shared by the SQLite and PostgreSQL stores (``FamilyTables`` mixin).

``family_signatures``: one compact fingerprint per article (``family.signature``), so a
later run never re-reads text; ``families`` / ``family_members``: the current grouping,
one family per article (singletons included, so a run knows what it has seen);
``family_audits``: which audit of the ``audits`` table belongs to which family, and which
of its claims no sibling tells (``only_here``); ``site_findings``: each member's audit
reduced for site profiles, keyed by the family, its source and the audit (dropped with any
of them, and when the audit or the family's source changes).

A store supplies ``_q`` (placeholder style, see ``base.SqlDialect``), ``_tx`` (run a
function in one write transaction) and ``_conn``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from retold.store.base import ARTICLE_COLUMNS, SqlDialect, StoredArticle, now_iso, storable_id
from retold.store.contract import NoSuchFamily, NotAMember
from retold.store.rows import (
    EXCLUDED,
    SET_BY_USER,
    USER_SOURCE_CONFIDENCE,
    USER_SOURCE_REASONS,
    ArticleMeta,
    AuditKey,
    FamilyAudit,
    FamilyMember,
    FamilyPage,
    FamilyRow,
    FamilyWrite,
    SignatureRow,
    SignatureText,
    SiteFindings,
)

T = TypeVar("T")

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


class FamilyTables(SqlDialect):
    """``FamilyStore`` (``retold.store.contract``) over the family tables, once for every
    store."""

    def _tx(self, fn: Callable[[], T]) -> T:  # pragma: no cover - each store overrides
        raise NotImplementedError

    def _blob(self, value: bytes) -> Any:
        return value

    # ------------------------------------------------------------------ signatures

    def articles_without_signature(self, limit: int = 500, after: int = 0) -> list[StoredArticle]:
        """The next ``limit`` articles with no signature and an id above ``after``: a caller
        walking the table passes the last id it got, so no batch rescans the signed ones
        (without it, signing n articles in batches reads ~n²/2 rows)."""
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
        self, rows: list[SignatureRow], doc_model: str, machine_text_model: str = ""
    ) -> None:
        """``doc_model``: the
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
            for r in rows:
                values = [
                    self._blob(v) if isinstance(v, bytes) else v
                    for v in (r.packed[c] for c in SIGNATURE_COLUMNS)
                ]
                self._conn.execute(
                    sql, (r.article_id, r.version, doc_model, machine_text_model, *values)
                )

        self._tx(write)

    def signatures_without_machine_text(
        self, limit: int, after: int = 0, max_chars: int = 20_000
    ) -> list[SignatureText]:
        """The article id and first ``max_chars`` of the text of the next ``limit`` signatures with
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
        return [SignatureText(int(r[0]), str(r[1] or "")) for r in rows]

    def set_machine_text(self, values: Mapping[int, float], model: str) -> None:
        """``values``: article id -> machine-text logit for stored signatures, scored by
        ``model`` (``MachineTextModel.tag``)."""
        sql = self._q(
            "UPDATE family_signatures SET machine_text = ?, machine_text_model = ?"
            " WHERE article_id = ?"
        )

        def write() -> None:
            for article_id, value in values.items():
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

    def iter_signatures(self, chunk_size: int = 5000) -> Iterator[SignatureRow]:
        """Every stored signature in article id order, read in chunks."""
        cols = ", ".join(SIGNATURE_COLUMNS)
        last = 0
        while True:
            rows = self._conn.execute(
                self._q(
                    f"SELECT article_id, version, {cols} FROM family_signatures"
                    " WHERE article_id > ?"
                    " ORDER BY article_id LIMIT ?"
                ),
                (last, chunk_size),
            ).fetchall()
            if not rows:
                return
            for r in rows:
                packed = dict(zip(SIGNATURE_COLUMNS, r[2:], strict=True))
                yield SignatureRow(int(r[0]), int(r[1]), packed)
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

    def article_meta(self, ids: list[int] | None = None) -> dict[int, ArticleMeta]:
        """id -> site, url, origin, published, title for every article, or for ``ids``
        only (one family of a million-article store: a few rows, not a table scan)."""
        sql = "SELECT id, site, url, origin, published, title FROM articles"
        rows = self._conn.execute(sql).fetchall() if ids is None else self._rows_in(sql, "id", ids)
        return {int(r[0]): ArticleMeta(r[1], r[2], r[3], r[4], r[5]) for r in rows}

    def family_page(self, limit: int, offset: int) -> FamilyPage:
        """One page of the family list, largest first (as ``load_from_store`` orders them),
        counted in the database."""
        sizes = (
            "SELECT f.id, f.source_status, COUNT(*) AS n FROM families f"
            " JOIN family_members m ON m.family_id = f.id GROUP BY f.id, f.source_status"
        )
        kept, single, excluded = self._conn.execute(
            f"SELECT COALESCE(SUM(CASE WHEN source_status <> '{EXCLUDED}' AND n >= 2 THEN 1 END),"
            f" 0), COALESCE(SUM(CASE WHEN source_status <> '{EXCLUDED}' AND n < 2 THEN 1 END), 0),"
            f" COALESCE(SUM(CASE WHEN source_status = '{EXCLUDED}' THEN n END), 0)"
            f" FROM ({sizes}) s"
        ).fetchone()
        ids = self._conn.execute(
            self._q(
                f"SELECT id FROM ({sizes}) s WHERE source_status <> '{EXCLUDED}' AND n >= 2"
                " ORDER BY n DESC, id LIMIT ? OFFSET ?"
            ),
            (limit, offset),
        ).fetchall()
        return FamilyPage([int(r[0]) for r in ids], int(kept), int(single), int(excluded))

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
        members: dict[int, list[FamilyMember]] = {int(h[0]): [] for h in heads}
        for fid, aid, conf, reason in rows:
            if int(fid) in members:
                members[int(fid)].append(FamilyMember(int(aid), float(conf), reason))
        return [
            FamilyRow(
                int(h[0]),
                None if h[1] is None else int(h[1]),
                h[2],
                float(h[3]),
                json.loads(h[4] or "[]"),
                h[5],
                tuple(members[int(h[0])]),
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
                    self._change_source(
                        fid,
                        w.source_id,
                        w.source_status,
                        w.source_confidence,
                        w.source_reasons,
                        now,
                    )
                for m in w.members:
                    c.execute(
                        self._q(
                            "INSERT INTO family_members (article_id, family_id, confidence,"
                            " reason) VALUES (?, ?, ?, ?) ON CONFLICT (article_id) DO UPDATE"
                            " SET family_id = excluded.family_id,"
                            " confidence = excluded.confidence, reason = excluded.reason"
                        ),
                        (m.article_id, fid, m.confidence, m.reason),
                    )
                ids.append(fid)
            return ids

        return self._tx(write)

    def set_family_source(self, family_id: int, article_id: int) -> None:
        """Make ``article_id`` the family's source as the user's choice (see
        ``_change_source``). Raises NoSuchFamily (or the family holds excluded articles)
        and NotAMember, checked in the same transaction as the write."""

        def write() -> None:
            rows = self.families(family_id)
            if not rows or rows[0].excluded:
                raise NoSuchFamily(f"no family with id {family_id} (run `retold families` first)")
            if not rows[0].has_member(article_id):
                raise NotAMember(f"article {article_id} is not a member of family {family_id}")
            self._change_source(
                family_id,
                article_id,
                SET_BY_USER,
                USER_SOURCE_CONFIDENCE,
                list(USER_SOURCE_REASONS),
                now_iso(),
            )

        self._tx(write)

    def _change_source(
        self,
        family_id: int,
        source_id: int | None,
        status: str,
        confidence: float,
        reasons: list[str],
        now: str,
    ) -> None:
        """The set-source rule, for every writer (a run's pick, the user's choice), inside
        the writer's transaction: a source the user set is replaced only by the user (a
        run's later pick, or one made while the user chose, leaves it); a changed source
        drops the family's audits (they were made against the old one)."""
        c = self._conn
        was = c.execute(
            self._q("SELECT source_id, source_status FROM families WHERE id = ?"), (family_id,)
        ).fetchone()
        if was is None:
            return
        if was[1] == SET_BY_USER and status != SET_BY_USER:
            return
        if was[0] != source_id:
            c.execute(self._q("DELETE FROM family_audits WHERE family_id = ?"), (family_id,))
            c.execute(self._q("DELETE FROM site_findings WHERE family_id = ?"), (family_id,))
        c.execute(
            self._q(
                "UPDATE families SET source_id = ?, source_status = ?, source_confidence = ?,"
                " source_reasons = ?, updated_at = ? WHERE id = ?"
            ),
            (
                source_id,
                status,
                confidence,
                json.dumps(reasons, ensure_ascii=False),
                now,
                family_id,
            ),
        )

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
                self._q("DELETE FROM site_findings WHERE article_id = ? AND judge = ?"),
                (retelling_id, judge),
            )
            self._conn.execute(
                self._q(
                    "INSERT INTO family_audits (family_id, retelling_id, judge, audit_id,"
                    " schema_version, only_here, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (family_id, retelling_id, judge) DO UPDATE SET"
                    " audit_id = excluded.audit_id, schema_version = excluded.schema_version,"
                    " only_here = excluded.only_here, created_at = excluded.created_at,"
                    " revision = family_audits.revision + 1"
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

    def family_audits(self, family_id: int, judge: str) -> dict[int, FamilyAudit]:
        """retelling id -> its stored audit JSON and only-here claim indexes."""
        rows = self._conn.execute(
            self._q(
                "SELECT fa.retelling_id, a.json, fa.only_here FROM family_audits fa"
                " JOIN audits a ON a.id = fa.audit_id WHERE fa.family_id = ? AND fa.judge = ?"
            ),
            (family_id, judge),
        ).fetchall()
        return {int(r[0]): FamilyAudit(json.loads(r[1]), json.loads(r[2])) for r in rows}

    def family_audit_keys(self, judge: str) -> dict[int, AuditKey]:
        """retelling id -> (family, the family's source, audit id) of every audit by
        ``judge`` of a member of its current family, without reading the audit JSON."""
        rows = self._conn.execute(
            self._q(
                "SELECT fa.retelling_id, fa.family_id, f.source_id, fa.audit_id, fa.revision"
                " FROM family_audits fa JOIN families f ON f.id = fa.family_id"
                " JOIN family_members m ON m.article_id = fa.retelling_id"
                " AND m.family_id = fa.family_id"
                " WHERE fa.judge = ? AND f.source_id IS NOT NULL"
            ),
            (judge,),
        ).fetchall()
        return {int(r[0]): AuditKey(*(int(v) for v in r[1:])) for r in rows}

    def audit_data(self, audit_ids: list[int]) -> dict[int, dict[str, Any]]:
        """audit id -> the stored audit JSON, for ``audit_ids`` (unknown ids: no entry)."""
        rows = self._rows_in("SELECT id, json FROM audits", "id", audit_ids)
        return {int(r[0]): json.loads(r[1]) for r in rows}

    # ------------------------------------------------------------------ site findings

    def iter_site_findings(self, judge: str, chunk_size: int = 5000) -> Iterator[SiteFindings]:
        """Every kept site-findings row of ``judge`` in article id order, read in chunks."""
        last = 0
        while True:
            rows = self._conn.execute(
                self._q(
                    "SELECT article_id, family_id, source_id, audit_id, revision, version,"
                    " findings"
                    " FROM site_findings WHERE judge = ? AND article_id > ?"
                    " ORDER BY article_id LIMIT ?"
                ),
                (judge, last, chunk_size),
            ).fetchall()
            if not rows:
                return
            for r in rows:
                key = AuditKey(int(r[1]), int(r[2]), int(r[3]), int(r[4]))
                yield SiteFindings(int(r[0]), key, int(r[5]), str(r[6]))
            last = rows[-1][0]

    def save_site_findings(self, judge: str, rows: list[SiteFindings], drop: list[int]) -> None:
        """Upsert ``rows`` and delete the rows of the articles in ``drop``, for ``judge``,
        in one transaction."""
        upsert = self._q(
            "INSERT INTO site_findings (article_id, judge, family_id, source_id, audit_id,"
            " revision, version, findings) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (article_id, judge) DO UPDATE SET family_id = excluded.family_id,"
            " source_id = excluded.source_id, audit_id = excluded.audit_id,"
            " revision = excluded.revision, version = excluded.version,"
            " findings = excluded.findings"
        )
        delete = self._q("DELETE FROM site_findings WHERE article_id = ? AND judge = ?")

        def write() -> None:
            for aid in drop:
                self._conn.execute(delete, (aid, judge))
            for r in rows:
                k = r.key
                values = (r.article_id, judge, k.family_id, k.source_id, k.audit_id, k.revision)
                self._conn.execute(upsert, (*values, r.version, r.findings))

        self._tx(write)
