"""Site profiles as flat rows: CSV and Parquet (one row per site), JSON (everything)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from retold.sites.profile import SiteProfile
from retold.sites.run import SitesResult

COLUMNS = (
    "site",
    "score",
    "label",
    "articles",
    "sources",
    "retellings",
    "alone",
    "retell_share",
    "top_sources",
    "lag_median_h",
    "lag_p90_h",
    "lag_basis",
    "audited",
    "fidelity",
    "unsupported_share",
    "invented_rate",
    "invented_quotes",
    "sensational_rise",
    "sensationalism",
    "machine_rate",
    "verbatim_rate",
    "sync_share",
    "shortener_links",
    "community",
    "evidence_families",
)


def flat_row(p: SiteProfile) -> dict[str, Any]:
    d = p.to_dict()
    d["top_sources"] = "; ".join(f"{s} ({n})" for s, n in p.top_sources)
    d["evidence_families"] = " ".join(str(f) for f in p.evidence.get("families", []))
    return {c: d[c] for c in COLUMNS}


def to_csv(profiles: list[SiteProfile]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    w.writeheader()
    w.writerows(flat_row(p) for p in profiles)
    return buf.getvalue()


def write_parquet(profiles: list[SiteProfile], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [flat_row(p) for p in profiles]
    pq.write_table(pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in COLUMNS}), path)


def to_json(result: SitesResult, site: str | None = None) -> str:
    if site is not None:
        p = result.profile(site)
        data: dict[str, Any] = p.to_dict() if p else {}
    else:
        data = result.to_dict()
    return json.dumps(data, ensure_ascii=False, indent=2)
