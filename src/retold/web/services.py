"""What the web pages and the REST API do, once for both: compare two articles, keep and
fetch results, describe an article's style, ingest, list stored articles, audits and jobs.
Services take the app's ``WebState`` and plain values, call the library and raise
``ApiError`` (or a library error) for the routers to answer."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from retold.errors import RetoldError
from retold.types import Article
from retold.web.errors import ApiError
from retold.web.inputs import article_from_parts
from retold.web.jobs import Job
from retold.web.state import WebState

_ID_RE = re.compile(r"^[0-9a-f]{16}$")  # result and job ids (secrets.token_hex(8))


def check_judge(name: str) -> None:
    """A ``RetoldError`` naming the judges when ``name`` is not one: before any work."""
    from retold.judges.base import JUDGES

    if name not in JUDGES:
        raise RetoldError(f"judge: unknown judge {name[:40]!r} (available: {', '.join(JUDGES)})")


# --------------------------------------------------------------------------- compare


def read_pair(st: WebState, source: dict, retelling: dict) -> tuple[Article, Article]:
    """Both articles of a compare request (``article_from_parts`` keyword dicts)."""
    settings = st.settings
    src = article_from_parts("source", settings, allow_private=st.allow_private, **source)
    ret = article_from_parts("retelling", settings, allow_private=st.allow_private, **retelling)
    return src, ret


async def run_compare(
    st: WebState, src: Article, ret: Article, judge: str | None
) -> tuple[str, bytes, bool]:
    """Audit (in the compare pool) and remember the result: its id, the audit's JSON and
    whether it was kept (a result over ``web_results_max_bytes`` is returned, not kept)."""
    name = judge or st.settings.judge
    check_judge(name)
    payload = await st.pool.audit(src, ret, name)
    result_id = secrets.token_hex(8)
    return result_id, payload, st.remember(result_id, payload)


def result_json(st: WebState, result_id: str) -> bytes:
    """A kept result's audit JSON; 404 when unknown or dropped from the cache."""
    payload = st.result(result_id) if _ID_RE.match(result_id) else None
    if payload is None:
        raise ApiError(404, f"no result {result_id[:40]!r} (results are kept in memory)")
    return payload


def result(st: WebState, result_id: str) -> dict[str, Any]:
    """``result_json`` parsed."""
    return json.loads(result_json(st, result_id))


# --------------------------------------------------------------------------- style


def style_of(st: WebState, article: Article) -> dict[str, Any]:
    """``retold.style.analyze_style`` of one article, as its dict."""
    from retold.style import analyze_style

    return analyze_style(article.text, article.title, st.settings).to_dict()


def style_many(st: WebState, parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The style of each article given as ``article_from_parts`` keyword dicts, with its
    origin; errors name the article as ``articles[i]`` (from 1)."""
    out = []
    for i, p in enumerate(parts, 1):
        art = article_from_parts(f"articles[{i}]", st.settings, allow_private=st.allow_private, **p)
        out.append({"origin": art.origin, **style_of(st, art)})
    return out


# --------------------------------------------------------------------------- ingest


def resolve_paths(st: WebState, paths: list[str]) -> list[str]:
    """Server-side paths, each inside ``files_root`` (no traversal, no absolute escapes)."""
    if not paths:
        return []
    root = st.files_root
    if root is None:
        raise ApiError(403, "server-side files are not enabled (start serve with --files DIR)")
    out = []
    for p in paths:
        if "\x00" in p or any(c in p for c in "*?["):
            raise ApiError(422, f"paths: {p[:80]!r} is not a plain file or folder name")
        target = (root / p).resolve()
        if not target.is_relative_to(root):
            raise ApiError(403, f"paths: {p[:80]!r} is outside the served folder")
        if not target.exists():
            raise ApiError(404, f"paths: {p[:80]!r} does not exist")
        out.append(str(target))
    return out


def start_ingest(
    st: WebState,
    sources: list[str],
    articles: list[dict[str, Any]],
    mapping: str | None,
    cleanup: Path | None = None,
) -> Job:
    """Submit an ingest job; ``cleanup`` (a temporary upload folder) is removed after it."""
    from retold.inputs.sources import ColumnMapping, iter_sources, record_article

    column_map = ColumnMapping.parse(mapping)
    settings = st.settings

    def items() -> Any:
        for i, a in enumerate(articles, 1):
            yield record_article(a, f"request#{i}", ColumnMapping(), settings)
        yield from iter_sources(sources, settings, column_map, st.allow_private)

    def job(progress: Any) -> dict[str, Any]:
        try:
            with st.store() as store:
                stats = store.add_articles(
                    items(),
                    batch_size=min(settings.ingest_batch_size, 100),
                    on_progress=lambda s: progress(s.to_dict()),
                )
            return stats.to_dict()
        finally:
            if cleanup is not None:
                shutil.rmtree(cleanup, ignore_errors=True)

    return st.jobs.submit("ingest", job)


def get_job(st: WebState, job_id: str) -> Job | None:
    """A background job by id (None when unknown or forgotten)."""
    return st.jobs.get(job_id) if _ID_RE.match(job_id) else None


# --------------------------------------------------------------------------- stored data


def list_articles(
    st: WebState, limit: int, offset: int, site: str | None, query: str | None
) -> tuple[list[Any], int]:
    """One page of stored articles and how many match in all."""
    with st.store() as store:
        rows = store.list(limit=limit, offset=offset, site=site, query=query)
        total = store.count(site=site, query=query)
    return rows, total


def get_article(st: WebState, article_id: int) -> Any:
    """A stored article, or None."""
    with st.store() as store:
        return store.get(article_id)


def stored_audit(st: WebState, source_id: int, retelling_id: int, judge: str) -> Any:
    """The stored audit of ``retelling_id`` against ``source_id`` by ``judge``; 404 if none."""
    with st.store() as store:
        audit = store.get_audit(source_id, retelling_id, judge)
    if audit is None:
        raise ApiError(404, f"no stored audit of {retelling_id} against {source_id} ({judge})")
    return audit
