"""The per-family stage of the batch pipeline: pick the source (``family.group.build_family``)
and audit every other member against it (``family.audit.audit_member``), one family at a
time, so a worker needs only that family's rows. Out comes one row per member: the
family columns, and the audit columns when it was audited."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from retold.family.audit import audit_member, member_summary
from retold.family.group import build_family
from retold.family.result import Doc
from retold.pipeline.records import sig_from_bytes, to_article
from retold.settings import Settings
from retold.sites.findings import reduce_audit

MEMBER_FIELDS = (
    "family",
    "family_size",
    "article",
    "is_source",
    "confidence",
    "reason",
    "source",
    "source_status",
    "source_confidence",
    "source_reasons",
    "site",
    "url",
    "origin",
    "published",
    "title",
)
AUDIT_FIELDS = (
    "family",
    "article",
    "source",
    "judge",
    "fidelity",
    "verdicts",
    "only_here",
    "summary",
    "findings",
    "audit",
)


def family_rows(
    fid: int,
    rows: list[dict[str, Any]],
    links: list[list[Any]],
    weak: list[list[Any]],
    settings: Settings,
    now: datetime,
    judge: str,
    audit: bool,
) -> list[dict[str, Any]]:
    """Member rows of family ``fid`` (``rows``: its members' signed article rows; ``links``
    and ``weak``: [lo, hi, probability] among them)."""
    by_id = {r["id"]: r for r in rows}
    members = sorted(by_id)
    sigs = {i: sig_from_bytes(r["sig"]) for i, r in by_id.items()}
    docs = {
        i: Doc(i, "", r["title"], r["site"], r["url"], r["origin"], r["published"] or None)
        for i, r in by_id.items()
    }
    link_map = {(int(a), int(b)): float(p) for a, b, p in links}
    weak_map = {(int(a), int(b)): float(p) for a, b, p in weak}
    fam = build_family(fid, members, [], link_map, sigs, docs, settings, {}, now, weak_map)
    out = []
    for m in fam.members:
        row = {
            "family": fid,
            "family_size": fam.size,
            "article": m.id,
            "is_source": m.id == fam.source,
            "confidence": m.confidence,
            "reason": m.reason,
            "source": fam.source if fam.source is not None else -1,
            "source_status": fam.source_status,
            "source_confidence": fam.source_confidence,
            "source_reasons": json.dumps(fam.source_reasons),
            "site": m.site,
            "url": m.url,
            "origin": m.path,
            "published": m.published or "",
            "title": m.title,
        }
        out.append(row | _audit(fam.source, m.id, by_id, settings, judge, audit))
    return out


def _audit(
    source: int | None,
    member: int,
    by_id: dict[int, dict[str, Any]],
    settings: Settings,
    judge: str,
    audit: bool,
) -> dict[str, Any]:
    """The audit columns of one member ("" and NaN when it is not audited)."""
    empty: dict[str, Any] = {
        "judge": "",
        "fidelity": float("nan"),
        "verdicts": "",
        "only_here": "",
        "summary": "",
        "findings": "",
        "audit": "",
    }
    if not audit or source is None or member == source:
        return empty
    siblings = [r["text"] for i, r in sorted(by_id.items()) if i not in (member, source)]
    data, marks = audit_member(
        to_article(by_id[source]), to_article(by_id[member]), siblings, settings, judge
    )
    summary = member_summary(0, member, data, marks)
    return {
        "judge": judge,
        "fidelity": float(data["summary"]["fidelity"]),
        "verdicts": json.dumps([c["verdict"] for c in data["claims"]]),
        "only_here": json.dumps(marks),
        "summary": json.dumps({k: v for k, v in summary.items() if k not in ("family",)}),
        "findings": json.dumps(reduce_audit(data), separators=(",", ":")),
        "audit": json.dumps(data, ensure_ascii=False, separators=(",", ":")),
    }
