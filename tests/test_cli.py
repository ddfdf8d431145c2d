"""The `retold` command line end to end, including bad input: one-line errors, no tracebacks."""

from __future__ import annotations

import gzip
import html
import json
from pathlib import Path

import pytest

from retold.report.jsonout import validate

from .conftest import run_cli


def _one_line_error(proc, *needles: str) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == 2, (proc.returncode, err)
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def test_compare_terminal_report(corpus):
    proc = run_cli("compare", str(corpus / "source.txt"), str(corpus / "contentfarm.txt"))
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert "unsourced" in out
    assert "Dalvik" in out


def test_compare_json_output_is_valid(corpus, tmp_path):
    out_file = tmp_path / "audit.json"
    proc = run_cli(
        "compare",
        str(corpus / "source.txt"),
        str(corpus / "numbers.txt"),
        "--format",
        "json",
        "-o",
        str(out_file),
    )
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    validate(data)
    assert data == json.loads(out_file.read_text())
    assert data["schema_version"].startswith("1.")
    assert data["summary"]["claims"]["contradicted"] >= 3
    assert {c["retelling_text"] for c in data["changes"]} >= {"30,000"}


def test_compare_from_stdin_and_html(corpus, tmp_path):
    report = tmp_path / "r.html"
    proc = run_cli(
        "compare",
        str(corpus / "source.txt"),
        "-",
        "--html",
        str(report),
        stdin=(corpus / "faithful.txt").read_bytes(),
    )
    assert proc.returncode == 0, proc.stderr.decode()
    html = report.read_text()
    assert html.startswith("<!") and "Dalvik" in html
    assert not list(tmp_path.glob(".*tmp"))


def test_hostile_html_in_an_article_is_escaped_in_the_report(corpus, tmp_path):
    hostile = tmp_path / "hostile.html"
    body = (corpus / "faithful.txt").read_text().split("\n\n", 1)[1]
    paras = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    hostile.write_text(
        "<html><head><title>Rail &lt;script&gt;alert(1)&lt;/script&gt;</title></head>"
        "<body><article>"
        "<h1>Rail deal</h1>"
        + paras
        + "<p>Officials wrote &lt;img src=x onerror=alert(1)&gt; in a memo about the rail line.</p>"
        "<script>alert('owned')</script></article></body></html>"
    )
    report = tmp_path / "r.html"
    proc = run_cli("compare", str(corpus / "source.txt"), str(hostile), "--html", str(report))
    assert proc.returncode == 0, proc.stderr.decode()
    html = report.read_text()
    assert "<img src=x onerror" not in html
    assert "alert('owned')" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("<script") == 1  # the report's own inline script only


def test_identical_inputs_give_a_clean_audit(corpus):
    proc = run_cli("compare", str(corpus / "source.txt"), str(corpus / "source.txt"), "-f", "json")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert data["summary"]["claims"]["unsupported"] == 0
    assert data["summary"]["claims"]["contradicted"] == 0
    assert all(q["verdict"] == "verbatim" for q in data["quotes"])
    assert data["omissions"] == []
    assert "identical" in " ".join(data["notes"])


def test_missing_path(corpus, tmp_path):
    _one_line_error(
        run_cli("compare", str(corpus / "source.txt"), str(tmp_path / "nope.txt")), "nope.txt"
    )


def test_empty_file(corpus, tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text("")
    _one_line_error(run_cli("compare", str(p), str(corpus / "faithful.txt")), "empty.txt")


def test_binary_file(corpus, tmp_path):
    p = tmp_path / "blob.txt"
    p.write_bytes(gzip.compress(b"x" * 1000))
    _one_line_error(run_cli("compare", str(corpus / "source.txt"), str(p)), "blob.txt")


def test_non_utf8_file_is_decoded(corpus, tmp_path):
    p = tmp_path / "latin.txt"
    p.write_bytes(
        (corpus / "faithful.txt").read_text().replace("€", "EUR ").encode("cp1252")
        + "\n\nThe caf\u00e9 near the station stayed open.".encode("cp1252")
    )
    proc = run_cli("compare", str(corpus / "source.txt"), str(p), "-f", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    assert "café" in json.loads(proc.stdout)["retelling"]["text"]


def test_huge_file_is_refused_quickly(corpus, tmp_path):
    p = tmp_path / "huge.txt"
    with p.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    line = _one_line_error(run_cli("compare", str(corpus / "source.txt"), str(p)), "huge.txt")
    assert "limit" in line


def test_html_without_article_text(corpus, tmp_path):
    p = tmp_path / "empty.html"
    p.write_text("<html><body><script>var a = 1;</script><nav>Home</nav></body></html>")
    _one_line_error(run_cli("compare", str(corpus / "source.txt"), str(p)), "empty.html")


def test_non_english_text(corpus, tmp_path):
    p = tmp_path / "de.txt"
    p.write_text(
        "Die beiden Länder haben am Dienstag einen Vertrag über eine neue Bahnstrecke "
        "unterzeichnet. Die Regierung sagte, dass die Kosten noch nicht feststehen und die "
        "Arbeiten im nächsten Jahr beginnen sollen. Es ist nicht klar, ob auch Güterzüge fahren."
    )
    line = _one_line_error(run_cli("compare", str(corpus / "source.txt"), str(p)), "de.txt")
    assert "English" in line


def test_both_from_stdin_is_refused():
    _one_line_error(run_cli("compare", "-", "-", stdin=b"x"), "stdin")


def test_bad_config_is_one_line(corpus, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[judges]\nsupport_threshold = 'high'\n")
    _one_line_error(
        run_cli(
            "compare",
            str(corpus / "source.txt"),
            str(corpus / "faithful.txt"),
            "--config",
            str(cfg),
        ),
        "support_threshold",
    )


@pytest.mark.slow
def test_demo_command_writes_reports(tmp_path: Path):
    (tmp_path / "out").mkdir()
    mine = tmp_path / "out" / "retold.db"  # a user's store in the report folder
    mine.write_bytes(b"not the demo's")
    proc = run_cli("demo", "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert "precision" in out and "recall" in out
    pages = sorted(p.name for p in (tmp_path / "out").glob("*.html"))
    assert "index.html" in pages and "contentfarm.html" in pages and len(pages) == 7
    # the store path: one family found in the SQLite store, source picked, members audited
    assert "checks: 13/13 pass" in out
    assert "not in a family: unrelated.txt" in out
    (family,) = (tmp_path / "out").glob("family-*/index.html")
    from retold.demo.gold import corpus_dir

    headline = corpus_dir().joinpath("source.txt").read_text("utf-8").splitlines()[0]
    assert f"{html.escape(headline, quote=False)} <strong>(source)</strong>" in family.read_text(
        "utf-8"
    )
    assert len(list(family.parent.glob("member-*.html"))) == 5
    index = (tmp_path / "out" / "index.html").read_text("utf-8")
    assert f'href="{family.parent.name}/index.html"' in index
    proc = run_cli("demo", "--out", str(tmp_path / "out"), "--format", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    (fam,) = json.loads(proc.stdout)["families"]["families"]
    assert fam["source"] == "source.txt" and len(fam["members"]) == 6  # a re-run adds nothing
    db = str(tmp_path / "out" / "demo-store" / "retold.db")
    listed = json.loads(run_cli("list", "--db", db, "--format", "json").stdout)
    assert len(listed) == 7
    assert mine.read_bytes() == b"not the demo's"


def test_ingest_list_show_export_through_the_real_command(corpus, tmp_path):
    db = str(tmp_path / "r.db")
    first = run_cli("ingest", str(corpus), "--db", db, "--json")
    assert first.returncode == 0, first.stderr.decode()
    stats = json.loads(first.stdout)
    # the seven .txt articles and the corpus README.md; gold.json is skipped with a reason
    assert stats["new"] == 8 and stats["duplicates"] == 0 and stats["skipped"] == 1
    again = json.loads(run_cli("ingest", str(corpus), "--db", db, "--json").stdout)
    assert again["new"] == 0 and again["duplicates"] == 8
    listed = run_cli("list", "--db", db, "--format", "json")
    assert listed.returncode == 0, listed.stderr.decode()
    shown = run_cli("show", "1", "--db", db, "--format", "json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["text"]
    missing = run_cli("show", "999", "--db", db)
    assert missing.returncode == 2 and "999" in missing.stderr.decode()
    out = tmp_path / "all.jsonl"
    exported = run_cli("export", "--db", db, "--format", "jsonl", "-o", str(out))
    assert exported.returncode == 0, exported.stderr.decode()
    assert len(out.read_text().splitlines()) == 8
