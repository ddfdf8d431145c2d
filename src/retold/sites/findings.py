"""A stored audit (the JSON contract of ``report.jsonout``) reduced to ``Findings``."""

from __future__ import annotations

import zlib
from typing import Any

from retold.settings import Settings
from retold.sites.records import Findings

SHINGLE = 8  # words per shingle when testing a verbatim copy
SKETCH = 32  # shingle hashes kept per retelling to find word-for-word twins


def _shingles(text: str, n: int = SHINGLE) -> set[tuple[str, ...]]:
    words = text.lower().split()
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def verbatim_share(source: str, retelling: str) -> float:
    """Share of the retelling's 8-word shingles found in the source (1.0: every run of
    eight words is the source's; a paraphrase scores near 0)."""
    return _covered(_shingles(source), _shingles(retelling))


def _covered(source: set[tuple[str, ...]], retelling: set[tuple[str, ...]]) -> float:
    return len(retelling & source) / len(retelling) if retelling else 0.0


def sketch(text: str, k: int = SKETCH) -> tuple[int, ...]:
    """The k smallest CRC32s of the text's 8-word shingles (a bottom-k sketch)."""
    return _sketch(_shingles(text), k)


def _sketch(shingles: set[tuple[str, ...]], k: int = SKETCH) -> tuple[int, ...]:
    hashes = {zlib.crc32(" ".join(sh).encode("utf-8")) for sh in shingles}
    return tuple(sorted(hashes)[:k])


def sketch_similarity(a: tuple[int, ...], b: tuple[int, ...], k: int = SKETCH) -> float:
    """Estimated shingle Jaccard of two texts from their bottom-k sketches."""
    if not a or not b:
        return 0.0
    union = sorted(set(a) | set(b))[:k]
    both = set(a) & set(b)
    return sum(h in both for h in union) / len(union)


FINDINGS_VERSION = 1  # of ``reduce_audit``'s output: a new one re-reduces kept rows


def reduce_audit(data: dict[str, Any]) -> dict[str, Any]:
    """A stored audit (the JSON contract of ``report.jsonout``) reduced to what site
    profiles use, as plain JSON values; the verbatim share is kept, not the verdict (its
    threshold is a setting, applied by ``findings_from_reduced``)."""
    summary = data.get("summary") or {}
    claims = summary.get("claims") or {}
    quotes = summary.get("quotes") or {}
    style = data.get("style") or {}
    delta = style.get("delta") or {}
    ret_scores = style.get("retelling_scores") or {}
    rise = delta.get("sensationalism", summary.get("style_delta", 0.0)) or 0.0
    src = _shingles((data.get("source") or {}).get("text", ""))
    ret = _shingles((data.get("retelling") or {}).get("text", ""))
    return {
        "claims": sum(int(v) for v in claims.values()),
        "unsupported": int(claims.get("unsupported", 0)),
        "contradicted": int(claims.get("contradicted", 0)),
        "quotes": sum(int(v) for v in quotes.values()),
        "invented": int(quotes.get("unsourced", 0)) + int(quotes.get("misattributed", 0)),
        "altered": int(quotes.get("altered", 0)),
        "sensational_rise": float(rise),
        "sensationalism": ret_scores.get("sensationalism", style.get("retelling_score")),
        "machine_rewrite": ret_scores.get("machine_rewrite"),
        "verbatim_share": _covered(src, ret),
        "sketch": list(_sketch(ret)),
    }


def findings_from_reduced(reduced: dict[str, Any], settings: Settings) -> Findings:
    """``reduce_audit``'s output (fresh, or read back from its JSON) as ``Findings``."""
    fields = {k: v for k, v in reduced.items() if k not in ("verbatim_share", "sketch")}
    return Findings(
        **fields,
        verbatim=reduced["verbatim_share"] >= settings.sites_verbatim_share,
        sketch=tuple(reduced["sketch"]),
    )


def findings_from_audit(data: dict[str, Any], settings: Settings) -> Findings:
    return findings_from_reduced(reduce_audit(data), settings)
