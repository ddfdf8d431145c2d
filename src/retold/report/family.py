"""Family reports as files: ``write_family_report(store, family_id, folder, judge)`` writes
``index.html`` (the family: source, members, their audit summaries, a fidelity plot) and one
``member-<id>.html`` audit report per audited member, each self-contained and offline (inline
CSS, no script in the family page, strict CSP). The web app's family page uses the same
template (``report.pages``) and plot (``report.plots``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from retold.errors import RetoldError

if TYPE_CHECKING:
    from retold.store.contract import FamilyStore


def write_family_report(store: FamilyStore, family_id: int, folder: Path, judge: str) -> list[Path]:
    """Write the family's ``index.html`` and one ``member-<id>.html`` per audited member into
    ``folder``; returns the files written. Raises ``RetoldError`` when there is no such
    family."""
    from retold.family.summary import family_view
    from retold.report.files import write_text_atomic
    from retold.report.html import write_html
    from retold.report.pages import STATIC, render
    from retold.report.plots import fidelity_plot

    fam = family_view(store, family_id, judge)
    if fam is None:
        raise RetoldError(f"no family with id {family_id} in {store.location}")
    audits = store.family_audits(family_id, judge)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for member_id, stored in sorted(audits.items()):
        written.append(write_html(stored.audit, folder / f"member-{member_id}.html"))
    css = Markup((STATIC / "app.css").read_text("utf-8"))
    html = render(
        "family.html.j2",
        fam=fam,
        plot=fidelity_plot(fam),
        member_href=lambda mid: f"member-{mid}.html",
        standalone=True,
        css=css,
        status=200,
    )
    index = folder / "index.html"
    write_text_atomic(index, html)
    return [index, *written]
