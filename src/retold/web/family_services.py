"""Story families for the web pages and the REST API: list, view, update (a job), audit
members (a job), override the source, and a member's stored audit."""

from __future__ import annotations

from typing import Any

from retold.family.summary import sites_line, time_span
from retold.web.errors import ApiError
from retold.web.jobs import Job
from retold.web.services import check_judge
from retold.web.state import WebState


def family_view(st: WebState, family_id: int, judge: str) -> dict[str, Any]:
    """``retold.family.summary.family_view`` over the server's store; 404 when missing."""
    from retold.family.summary import family_view as view

    with st.store() as store:
        data = view(store, family_id, judge)
    if data is None:
        raise ApiError(404, f"no family {family_id} (group articles first)")
    return data


def families_list(st: WebState, limit: int, offset: int) -> dict[str, Any]:
    """One page of families, largest first, with their source's title, time span and
    sites, and the store's counts of singletons and excluded articles."""
    from retold.family.upkeep import load_from_store

    with st.store() as store:
        # the page is chosen and counted in the database: a million-article store is not
        # read whole for twenty rows
        page = store.family_page(limit, offset)
        result = load_from_store(store, ids=page.ids)
    rows = []
    for f in result.families:
        src = next((m for m in f.members if m.id == f.source), None)
        rows.append(
            {
                **f.to_dict(),
                "source_title": src.title if src else "",
                "time_span": time_span([m.published for m in f.members]),
                "sites": sites_line(f.members),
            }
        )
    return {
        "total": page.families,
        "singletons": page.singletons,
        "excluded": page.excluded,
        "families": rows,
    }


def start_update(st: WebState) -> Job:
    """Submit a job placing articles ingested since the last run into families."""
    from retold.family.upkeep import update_store

    def job(progress: Any) -> dict[str, Any]:
        def step(stage: str, done: int, total: int) -> None:
            progress({"stage": stage, "done": done, "total": total})

        with st.store() as store:
            return update_store(store, st.settings, progress=step)

    return st.jobs.submit("families", job)


def start_audit(st: WebState, family_id: int, judge: str) -> Job:
    """Submit a job auditing every member of the family against its source."""
    from retold.family.audit import audit_families

    check_judge(judge)

    def job(progress: Any) -> dict[str, Any]:
        with st.store() as store:
            rows = audit_families(
                store,
                st.settings,
                judge,
                family_id,
                progress=lambda n, total: progress({"done": n, "total": total}),
            )
        return {"family": family_id, "audited": len(rows), "members": rows}

    return st.jobs.submit("audit", job)


def set_source(st: WebState, family_id: int, article_id: int) -> None:
    """Make member ``article_id`` the family's source (the store's rule,
    ``FamilyStore.set_family_source``); 404/422 when it cannot be."""
    from retold.store import NoSuchFamily, NotAMember

    with st.store() as store:
        try:
            store.set_family_source(family_id, article_id)
        except NoSuchFamily:
            raise ApiError(404, f"no family {family_id}") from None
        except NotAMember as exc:
            raise ApiError(422, str(exc)) from None


def member_audit(st: WebState, family_id: int, article_id: int) -> dict[str, Any]:
    """The stored audit dict of one member against the family's source (the server's
    judge); 404 before the member is audited."""
    with st.store() as store:
        audits = store.family_audits(family_id, st.settings.judge)
    if article_id not in audits:
        raise ApiError(404, f"article {article_id} of family {family_id} is not audited yet")
    return audits[article_id].audit
