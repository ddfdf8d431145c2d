"""The web app and the HTML report in a real browser: Debian's chromium, headless, driven by
Playwright (``executable_path``; no browser download). Screenshots of the main pages go to
``test-artifacts/screenshots`` (or ``$RETOLD_ARTIFACTS``)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from retold.settings import Settings
from retold.web.app import create_app
from tests.test_web_api import RETELLING, SOURCE

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():  # pragma: no cover - the Makefile installs it
    pytest.skip(
        "Debian chromium is not installed (apt-get install chromium)", allow_module_level=True
    )

pytestmark = pytest.mark.slow
ARTIFACTS = Path(
    os.environ.get("RETOLD_ARTIFACTS") or Path(__file__).resolve().parents[1] / "test-artifacts"
)
HOSTILE = (
    RETELLING
    + ' <script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2">'
    + ' <a href="javascript:window.__pwned=3">link</a>'
)


def shot(page, name: str) -> None:
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("web") / "web.db"


@pytest.fixture(scope="module")
def base_url(db_path: Path) -> Iterator[str]:
    import uvicorn

    app = create_app(Settings(), db=str(db_path))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs  # type: ignore[attr-defined]
    yield pg
    context.close()


def submit_compare(page, base_url: str, source: str, retelling: str) -> None:
    page.goto(base_url + "/")
    page.fill("#source_text", source)
    page.fill("#retelling_text", retelling)
    page.click("#compare-submit")
    page.wait_for_url("**/results/*")


def test_compare_form_shows_findings_and_click_reveals_evidence(page, base_url: str) -> None:
    page.goto(base_url + "/")
    shot(page, "compare-form")
    submit_compare(page, base_url, SOURCE, RETELLING)
    page.wait_for_selector(".finding")
    text = page.inner_text("body")
    assert "40" in text and "12" in text
    change = page.locator("article.f-change").first
    assert change.is_visible()
    fid = change.get_attribute("id")[2:]
    change.locator("[data-show]").click()
    marked = page.locator(f'[data-f~="{fid}"]')
    assert marked.count() >= 2  # the number in both texts
    classes = marked.first.get_attribute("class") or ""
    assert "sel" in classes
    box = marked.first.bounding_box()
    assert box is not None and 0 <= box["y"] <= 900  # scrolled into view
    shot(page, "compare-result")


def test_hostile_retelling_runs_nothing(page, base_url: str) -> None:
    submit_compare(page, base_url, SOURCE, HOSTILE)
    page.wait_for_selector(".finding")
    assert page.evaluate("window.__pwned === undefined")
    body = page.inner_text("body")
    assert "<script>window.__pwned = 1</script>" in body  # shown as text
    assert page.locator("img[src=x]").count() == 0
    for link in page.locator("a").all():
        assert not (link.get_attribute("href") or "").startswith("javascript:")
    assert page.dialogs == []  # type: ignore[attr-defined]
    shot(page, "hostile-result")


def test_report_file_works_offline(page, tmp_path: Path) -> None:
    from retold.audit.compare import compare
    from retold.inputs.reading import read_text_input
    from retold.report.html import write_html
    from retold.report.jsonout import audit_to_dict

    src = read_text_input(SOURCE, "source")
    ret = read_text_input(HOSTILE, "retelling")
    report = write_html(audit_to_dict(compare(src, ret)), tmp_path / "report.html")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    page.wait_for_selector(".finding")
    assert all(u.startswith("file://") for u in requests), requests
    assert page.evaluate("window.__pwned === undefined")
    quote = page.locator("article.f-quote").first
    fid = quote.get_attribute("id")[2:]
    quote.locator("[data-show]").click()
    assert "sel" in (page.locator(f'[data-f~="{fid}"]').first.get_attribute("class") or "")
    shot(page, "report-file")


def test_ingest_upload_shows_job_progress_to_the_end(page, base_url: str, tmp_path: Path):
    upload = tmp_path / "story.txt"
    upload.write_text(f"Harbour pilots\n\n{SOURCE}")
    page.goto(base_url + "/ingest")
    page.set_input_files("#files", str(upload))
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs/*")
    # the page polls the job API and reloads when the job ends (the strict CSP forbids
    # Playwright's eval-based wait_for_function, which is a good sign): wait for the
    # server-rendered final page, or a later goto races the reload
    page.wait_for_selector("#job[data-state=done]", timeout=30_000)
    assert "new 1" in page.inner_text("#job-counts")
    shot(page, "ingest-job")
    page.goto(base_url + "/articles")
    assert "Harbour pilots" in page.inner_text("table.list")
    page.click("table.list a")
    assert "Velmar" in page.inner_text("article.text")
    shot(page, "article")


def test_family_pages_group_audit_and_plot(page, base_url: str, db_path: Path, corpus) -> None:
    from tests.test_web_families import stored_demo

    ids = stored_demo(corpus, db_path)
    page.goto(base_url + "/families")
    page.click("#families-update")
    page.wait_for_url("**/jobs/*")
    page.wait_for_selector("#job[data-state=done]", timeout=60_000)
    page.goto(base_url + "/families")
    page.click("#families a")
    page.wait_for_url("**/families/*")
    page.click("#family-audit")
    page.wait_for_url("**/jobs/*")
    page.wait_for_selector("#job[data-state=done]", timeout=120_000)
    page.click("text=Family #")
    page.wait_for_selector("svg.plot")
    assert page.locator("svg.plot rect").count() >= 3  # one bar per audited retelling
    shot(page, "family")
    page.click(f'a[href$="/audits/{ids["numbers"]}"]')
    page.wait_for_selector("article.f-change")
    shot(page, "family-member-report")
