"""Audit every member of a family against its source (``retold audit``).

Each audit is the same ``compare`` users run on two files, stored in the ``audits`` table
(with its schema version) and linked to the family in ``family_audits``. Siblings' union: a
claim the audit does not find in the source, and that no sibling retelling tells either, is
``only-here`` — this outlet added it on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from retold.analysis.words import content_words
from retold.audit.summary import FLAGGED_VERDICTS
from retold.errors import RetoldError
from retold.settings import Settings
from retold.store.contract import FamilyStore
from retold.types import Article

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]?\s+")


def _sentence_words(text: str) -> list[set[str]]:
    return [set(content_words(s)) for s in _SENTENCE_END.split(text) if s.strip()]


def told_by(claim: str, sibling_sentences: list[set[str]], share: float) -> bool:
    """Does some sibling sentence hold ``share`` of the claim's content words?"""
    words = set(content_words(claim))
    if not words:
        return True
    return any(len(words & s) >= share * len(words) for s in sibling_sentences)


def only_here(claims: list[dict[str, Any]], siblings: list[str], settings: Settings) -> list[int]:
    """Indexes of not-supported claims that no sibling tells."""
    sentences = [s for text in siblings for s in _sentence_words(text)]
    return [
        i
        for i, c in enumerate(claims)
        if c["verdict"] in FLAGGED_VERDICTS
        and not told_by(c["text"], sentences, settings.families_sibling_overlap)
    ]


def audit_member(
    source: Article, retelling: Article, siblings: list[str], settings: Settings, judge: str
) -> tuple[dict[str, Any], list[int]]:
    """One member's audit against its family's source (the JSON of ``compare``), and the
    indexes of its not-supported claims that none of ``siblings`` (the other retellings'
    texts) tells. The stage both ``audit_families`` and ``retold run`` call."""
    from retold.audit.compare import compare
    from retold.report.jsonout import audit_to_dict

    data = audit_to_dict(compare(source, retelling, settings=settings, judge=judge))
    return data, only_here(data["claims"], siblings, settings)


def audit_families(
    store: FamilyStore,
    settings: Settings,
    judge: str,
    family_id: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Audit every member of the stored families (or of ``family_id``) against its
    family's source with ``judge``, and store each audit.

    Args: progress: called with (audits done, audits to do).
    Returns: one summary row per audited member (``member_summary``).
    Raises: RetoldError when ``family_id`` names no family (or the store fails).
    """
    fams = [f for f in store.families(family_id) if not f.excluded]
    if family_id is not None and not fams:
        raise RetoldError(f"no family with id {family_id} (run `retold families` first)")
    fams = [f for f in fams if len(f.members) > 1]
    todo = [
        (f, m.article_id, f.source_id) for f in fams if f.source_id is not None for m in f.members
    ]
    todo = [(f, m, s) for f, m, s in todo if m != s]
    rows: list[dict[str, Any]] = []
    for n, (fam, member, source_id) in enumerate(todo, 1):
        source = store.get(source_id)
        retelling = store.get(member)
        if source is None or retelling is None:
            continue
        siblings = [
            a.text
            for m in fam.members
            if m.article_id not in (member, source_id)
            and (a := store.get(m.article_id)) is not None
        ]
        data, marks = audit_member(
            source.to_article(), retelling.to_article(), siblings, settings, judge
        )
        audit_id = store.save_audit(source_id, member, judge, data)
        store.save_family_audit(fam.id, audit_id, member, judge, data["schema_version"], marks)
        rows.append(member_summary(fam.id, member, data, marks))
        if progress:
            progress(n, len(todo))
    return rows


def member_summary(
    family_id: int, member: int, data: dict[str, Any], marks: list[int]
) -> dict[str, Any]:
    s = data["summary"]
    return {
        "family": family_id,
        "article": member,
        "fidelity": s["fidelity"],
        "unsupported": s["claims"].get("unsupported", 0),
        "contradicted": s["claims"].get("contradicted", 0),
        "only_here": len(marks),
        "quotes_unsourced": s["quotes"].get("unsourced", 0),
        "quotes_altered": s["quotes"].get("altered", 0),
        "changes": s["changes"],
        "omissions": s["omissions"],
        "style_delta": s["style_delta"],
    }
