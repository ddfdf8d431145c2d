"""The audit as JSON: a documented, versioned contract (``schema/audit.schema.json``).

Every other renderer (terminal, HTML, web) works from this dict, so anything a report
shows is also available to scripts. This module only serializes: the figures (fidelity,
relatedness) are decided by ``retold.audit.summary``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import lru_cache
from importlib import resources
from typing import Any

from retold import SCHEMA_VERSION, __version__
from retold.types import AnalyzedArticle, Audit


def _article(a: AnalyzedArticle) -> dict[str, Any]:
    return {
        "title": a.article.title,
        "origin": a.article.origin,
        "word_count": a.article.word_count,
        "language": a.article.language,
        "text": a.text,
        "sentences": [{"start": s.start, "end": s.end} for s in a.sentences],
    }


def summary(audit: Audit) -> dict[str, Any]:
    """The audit's ``summary`` object: what ``retold.audit.summary`` decided, rounded."""
    if audit.summary is None:
        raise ValueError("audit has no summary: audits come from retold.compare")
    s = audit.summary
    return {
        "fidelity": round(s.fidelity, 3),
        "related": s.related,
        "relatedness": round(s.relatedness, 3),
        "same_story": None if s.same_story is None else round(s.same_story, 3),
        "claims": dict(s.claims),
        "quotes": dict(s.quotes),
        "changes": len(audit.changes),
        "omissions": len(audit.omissions),
        # + 0.0: no "-0.0" when the two scores differ by less than the rounding
        "style_delta": round(audit.style.retelling_score - audit.style.source_score, 2) + 0.0,
        "more_sensational": audit.style.more_sensational,
    }


def _style_scores(audit: Audit) -> dict[str, Any]:
    """Both articles' style scores and what the retelling adds (absent in older audits)."""
    st = audit.style
    if st.source is None or st.retelling is None:
        return {}
    src, ret = st.source, st.retelling
    cb = (
        round(ret.clickbait - src.clickbait, 2) + 0.0
        if ret.clickbait is not None and src.clickbait is not None
        else None
    )
    return {
        "source_scores": src.to_dict(),
        "retelling_scores": ret.to_dict(),
        "delta": {
            "sensationalism": round(ret.sensationalism - src.sensationalism, 2) + 0.0,
            "machine_rewrite": round((ret.machine_rewrite or 0.0) - (src.machine_rewrite or 0.0), 2)
            + 0.0
            if ret.machine_rewrite is not None or src.machine_rewrite is not None
            else None,
            "clickbait": cb,
            "propaganda_spans": ret.propaganda_spans - src.propaganda_spans,
        },
        "more_sensational": st.more_sensational,
        "new_techniques": st.new_techniques,
    }


def audit_to_dict(audit: Audit) -> dict[str, Any]:
    """``audit`` (from ``retold.compare``) as the JSON-contract dict."""
    src, ret = audit.source, audit.retelling
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": "retold", "version": __version__, "judge": audit.judge},
        "source": _article(src),
        "retelling": _article(ret),
        "summary": summary(audit),
        "claims": [
            {
                "text": c.text,
                "start": c.start,
                "end": c.end,
                "verdict": c.verdict,
                "confidence": round(c.confidence, 3),
                "support_score": round(c.support_score, 3),
                "reasons": c.reasons,
                "evidence": [e.to_dict() for e in c.evidence],
            }
            for c in audit.claims
        ],
        "quotes": [
            {
                "text": q.text,
                "start": q.start,
                "end": q.end,
                "speaker": q.speaker,
                "kind": q.kind,
                "verdict": q.verdict,
                "confidence": round(q.confidence, 3),
                "source_speaker": q.source_speaker,
                "similarity": round(q.similarity, 3),
                "diff": [asdict(d) for d in q.diff],
                "reasons": q.reasons,
                "evidence": [e.to_dict() for e in q.evidence],
            }
            for q in audit.quotes
        ],
        "changes": [
            {
                "kind": ch.kind,
                "source_text": ch.source_text,
                "retelling_text": ch.retelling_text,
                "confidence": round(ch.confidence, 3),
                "note": ch.note,
                "evidence": [e.to_dict() for e in ch.evidence],
            }
            for ch in audit.changes
        ],
        "omissions": [
            {
                "text": o.text,
                "start": o.start,
                "end": o.end,
                "kind": o.kind,
                "importance": round(o.importance, 3),
                "confidence": round(o.confidence, 3),
                "evidence": [e.to_dict() for e in o.evidence],
                "reasons": o.reasons,
            }
            for o in audit.omissions
        ],
        "style": {
            "method": audit.style.method,
            "source_score": round(audit.style.source_score, 2),
            "retelling_score": round(audit.style.retelling_score, 2),
            "spans": [s.to_dict() for s in audit.style.spans],
            **_style_scores(audit),
        },
        "alignment": [
            {
                "retelling_sentence": i,
                "source": [{"sentence": j, "score": round(score, 3)} for j, score in row],
            }
            for i, row in enumerate(audit.alignment)
        ],
        "notes": audit.notes,
    }


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    text = resources.files("retold").joinpath("schema/audit.schema.json").read_text("utf-8")
    return json.loads(text)


def validate(data: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` if ``data`` breaks the contract."""
    import jsonschema

    jsonschema.validate(data, schema())


def dumps(audit: Audit) -> str:
    return json.dumps(audit_to_dict(audit), ensure_ascii=False, indent=2)
