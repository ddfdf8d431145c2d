"""Size limits and wrong inputs: long texts are parsed and styled in bounded pieces, what one
compare may cost is capped by settings (a one-line error beyond), wrong argument types are a
TypeError naming the argument, `retold ingest` fails when nothing could be read, and a
drip-feeding server cannot hold a fetch past its deadline. Fixtures are the demo corpus."""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import retold
import retold.analysis.nlp as nlp_mod
import retold.audit.align as align_mod
from retold.analysis.article import analyze, clear_cache
from retold.analysis.nlp import parse, split_chunks
from retold.errors import InputError, RetoldError
from retold.inputs.net.fetch import fetch
from retold.inputs.net.pages import read_url
from retold.inputs.reading import read_article, read_bytes_input
from retold.settings import Settings
from retold.style import analyze_style, compare_style
from retold.types import Article
from tests.conftest import run_cli

CORPUS = Path(__file__).resolve().parents[1] / "src" / "retold" / "demo" / "corpus"


def demo(name: str) -> str:
    return (CORPUS / name).read_text("utf-8")


def long_text(min_chars: int) -> str:
    """The demo articles as paragraphs, repeated to at least ``min_chars``."""
    parts = [demo(n) for n in sorted(os.listdir(CORPUS)) if n.endswith(".txt")]
    out: list[str] = []
    while sum(map(len, out)) < min_chars:
        out.append(parts[len(out) % len(parts)])
    return "\n\n".join(out)


# --------------------------------------------------------------------------- chunking


def test_split_chunks_cover_the_text_and_prefer_paragraph_breaks() -> None:
    text = long_text(30_000)
    pieces = split_chunks(text, 5_000)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(a == b for (_, a), (b, _) in zip(pieces, pieces[1:], strict=False))
    assert all(0 < b - a <= 5_000 for a, b in pieces)
    # every cut follows a paragraph break (the corpus has one within every 2,500 chars)
    assert all(text[b - 1] == "\n" for _, b in pieces[:-1])
    assert split_chunks("short", 5_000) == [(0, 5)]


def test_split_chunks_fall_back_to_sentences_spaces_and_hard_cuts() -> None:
    line = " ".join(demo("source.txt").split())  # one line: cut after sentence ends
    pieces = split_chunks(line, 2_000)
    assert all(line[b - 2] in ".!?\"”'’)" and line[b - 1] == " " for _, b in pieces[:-1])
    words = "word " * 2_000
    assert all(words[b - 1] == " " for _, b in split_chunks(words, 999)[:-1])
    blob = "x" * 10_001  # no whitespace at all: hard cuts, nothing lost
    pieces = split_chunks(blob, 1_000)
    assert [b - a for a, b in pieces] == [1_000] * 10 + [1]


class _SpyNlp:
    """The real pipeline, recording the length of every text spaCy is given."""

    def __init__(self, nlp: object) -> None:
        self.nlp = nlp
        self.lengths: list[int] = []

    def pipe(self, texts: list[str], **kwargs: object) -> Iterator[object]:
        texts = list(texts)
        self.lengths += [len(t) for t in texts]
        return self.nlp.pipe(texts, **kwargs)  # type: ignore[attr-defined]


def test_long_text_reaches_spacy_in_bounded_pieces_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = long_text(60_000)
    whole = parse(text, chunk_chars=len(text))
    spy = _SpyNlp(nlp_mod.get_nlp())
    monkeypatch.setattr(nlp_mod, "get_nlp", lambda name=nlp_mod.DEFAULT_MODEL: spy)
    chunked = parse(text, chunk_chars=8_000)
    assert len(spy.lengths) > 1 and max(spy.lengths) <= 8_000 and sum(spy.lengths) == len(text)
    # cut at paragraph breaks, the pieces parse as the whole did: same spans, whole-text offsets
    assert [(s.start, s.end) for s in chunked[0]] == [(s.start, s.end) for s in whole[0]]
    assert all(text[s.start : s.end] == s.text for s in chunked[0])
    assert [(e.start, e.end, e.label, e.sentence) for e in chunked[1]] == [
        (e.start, e.end, e.label, e.sentence) for e in whole[1]
    ]


def test_text_up_to_the_chunk_size_is_parsed_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _SpyNlp(nlp_mod.get_nlp())
    monkeypatch.setattr(nlp_mod, "get_nlp", lambda name=nlp_mod.DEFAULT_MODEL: spy)
    text = long_text(20_000)
    clear_cache()
    analyze(Article(text), Settings(nlp_chunk_chars=len(text)))
    assert spy.lengths == [len(text)]


@pytest.mark.slow
def test_half_a_megabyte_single_line_compare_stays_small(tmp_path: Path) -> None:
    """Before chunking, spaCy alone took ~3 GB per MB of text; a 0.5 MB one-line retelling
    now peaks well under 1 GB (models included), in a fresh process."""
    script = tmp_path / "run.py"
    script.write_text(
        "import json, sys\n"
        "import retold\n"
        f"sys.path.insert(0, {str(Path(__file__).parent.parent / 'bench')!r})\n"
        "from compare import big_retelling\n"
        "src = open(sys.argv[1], encoding='utf-8').read()\n"
        "audit = retold.compare(src, big_retelling(0.5, 'single-line'))\n"
        # VmHWM, not ru_maxrss: that one keeps the peak of the forked parent across exec
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(json.dumps([len(audit.claims), int(hwm.split()[1]) / 1024]))\n"
    )
    proc = subprocess.run(
        [sys.executable, str(script), str(CORPUS / "source.txt")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    claims, peak_mb = json.loads(proc.stdout)
    assert claims > 3_000
    assert peak_mb < 1_000, f"peak RSS {peak_mb:.0f} MB"


# --------------------------------------------------------------------------- caps


def test_too_many_sentences_is_a_one_line_error() -> None:
    clear_cache()
    with pytest.raises(InputError) as exc:
        retold.compare(demo("source.txt"), demo("numbers.txt"), settings=Settings(max_sentences=10))
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith("source:") and "(set max_sentences)" in msg


def test_too_many_sentence_pairs_is_a_one_line_error() -> None:
    with pytest.raises(InputError) as exc:
        retold.compare(
            demo("source.txt"), demo("numbers.txt"), settings=Settings(max_sentence_pairs=100)
        )
    msg = str(exc.value)
    assert "\n" not in msg and "sentence pairs" in msg and "(set max_sentence_pairs)" in msg


def test_alignment_in_blocks_matches_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    st = Settings()
    src = analyze(Article(demo("source.txt")), st)
    ret = analyze(Article(demo("contentfarm.txt") + "\n\n" + demo("numbers.txt")), st)
    whole = align_mod.align(src, ret, st)
    monkeypatch.setattr(align_mod, "_BLOCK_PAIRS", 40)
    blocks = align_mod.align(src, ret, st)
    for name in ("lexical", "anchor"):  # exact counts either way
        assert np.array_equal(getattr(whole, name), getattr(blocks, name))
    for name in ("scores", "cosine"):  # BLAS may sum a smaller block in another order
        assert np.allclose(getattr(whole, name), getattr(blocks, name), atol=1e-5)
    assert [[j for j, _ in row] for row in whole.top] == [[j for j, _ in row] for row in blocks.top]


def test_long_text_style_is_read_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    style_mod = importlib.import_module("retold.style.analyze")  # the package shadows its name
    text = long_text(40_000)
    whole = analyze_style(text, "Railway deal signed")
    seen: list[int] = []
    real = style_mod.tokenize

    def spy(t: str, closing: bool = True) -> object:
        seen.append(len(t))
        return real(t, closing)

    monkeypatch.setattr(style_mod, "tokenize", spy)
    pieces = analyze_style(text, "Railway deal signed", Settings(style_chunk_chars=6_000))
    assert max(seen) <= 6_000 and len(seen) > 5
    # document scores are sums over the pieces; spans are found where they were
    assert pieces.scores.sensationalism == pytest.approx(whole.scores.sensationalism, abs=0.01)
    assert pieces.scores.machine_rewrite == pytest.approx(whole.scores.machine_rewrite, abs=0.01)
    assert pieces.word_count == whole.word_count
    assert {(s.start, s.end, s.kind) for s in pieces.spans} == {
        (s.start, s.end, s.kind) for s in whole.spans
    }


def test_closing_line_counts_only_at_the_end_of_a_long_text() -> None:
    closing = "As the debate continues, the outcome remains to be seen."
    text = long_text(20_000)
    one = analyze_style(text + "\n\n" + closing, settings=Settings(style_chunk_chars=4_000))
    assert [s.label for s in one.spans if s.kind == "machine-rewrite" and "closing" in s.label]
    assert not [
        s
        for s in one.spans
        if "closing" in s.label and s.start < len(text)  # no piece's last line is "closing"
    ]


# --------------------------------------------------------------------------- wrong types


@pytest.mark.parametrize("bad", [None, 123, 4.5, ["text"], object()])
def test_compare_names_the_wrong_argument(bad: object) -> None:
    src = demo("source.txt")
    with pytest.raises(TypeError, match=f"compare: source must be .* not {type(bad).__name__}"):
        retold.compare(bad, src)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=f"compare: retelling must be .* not {type(bad).__name__}"):
        retold.compare(src, bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="compare: settings must be a retold.Settings"):
        retold.compare(src, src, settings={"judge": "x"})  # type: ignore[arg-type]


def test_bytes_are_decoded_as_a_file_is(tmp_path: Path) -> None:
    text = demo("numbers.txt")
    raw = text.encode("utf-16")  # a BOM: read as a file would be
    path = tmp_path / "numbers.txt"
    path.write_bytes(raw)
    from_bytes = retold.compare(demo("source.txt"), raw)
    from_file = retold.compare(demo("source.txt"), read_article(path))
    assert from_bytes.retelling.text == from_file.retelling.text
    assert [c.verdict for c in from_bytes.claims] == [c.verdict for c in from_file.claims]
    assert read_bytes_input(text.encode("cp1252", "replace"), "x.txt").text
    with pytest.raises(InputError, match="^source: looks like binary data"):
        retold.compare(b"\x00\x01\x02\x03 binary", text)
    with pytest.raises(InputError, match="^retelling: input is empty$"):
        retold.compare(text, b"")


def test_article_fields_must_be_text() -> None:
    with pytest.raises(TypeError, match="^Article: text must be str, not NoneType$"):
        Article(text=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Article: text must be str, not bytes .*decode"):
        Article(text=b"x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^Article: title must be str, not int$"):
        Article(text="x", title=3)  # type: ignore[arg-type]


def test_other_entry_points_name_the_wrong_argument() -> None:
    cases = [
        (lambda: read_article(None), "read_article: spec must be a path .* not NoneType"),  # type: ignore[arg-type]
        (lambda: read_article(b"x.txt"), "read_article: .* not bytes"),  # type: ignore[arg-type]
        (lambda: retold.analyze("text"), "analyze: expected an Article .* not str"),
        (lambda: analyze_style(None), "style: text must be str, not NoneType"),  # type: ignore[arg-type]
        (lambda: analyze_style("text", 5), "style: title must be str or None, not int"),  # type: ignore[arg-type]
        (lambda: compare_style("a", None), "compare_style: retelling_text must be str"),  # type: ignore[arg-type]
        (lambda: retold.families("abc"), "families: articles must be an iterable"),
        (lambda: retold.families([Article("x"), 3]), "families: article 1 must be"),
        (lambda: retold.ingest(None), "ingest: sources must be a path"),  # type: ignore[arg-type]
        (lambda: retold.ingest([Path("a"), None]), "ingest: source 1 must be a path"),  # type: ignore[list-item]
    ]
    for call, pattern in cases:
        with pytest.raises(TypeError, match=pattern):
            call()


def test_ingest_accepts_one_path_as_sources(tmp_path: Path) -> None:
    stats = retold.ingest(str(CORPUS / "source.txt"), str(tmp_path / "r.db"))
    assert (stats.read, stats.new, stats.skipped) == (1, 1, 0)


# --------------------------------------------------------------------------- ingest exit code


def test_ingest_of_nothing_readable_exits_2_with_one_line_errors(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    proc = run_cli("ingest", str(tmp_path / "missing.txt"), str(tmp_path / "*.none"), "--db", db)
    assert proc.returncode == 2
    lines = proc.stderr.decode().splitlines()
    assert lines == [
        f"retold: error: {tmp_path / 'missing.txt'}: no such file or directory",
        f"retold: error: {tmp_path / '*.none'}: no files match this pattern",
    ]
    # some read, some not: exit 0 and the summary
    proc = run_cli("ingest", str(tmp_path / "missing.txt"), str(CORPUS / "source.txt"), "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert "read 1, new 1, duplicates 0, skipped 1" in proc.stderr.decode()


# --------------------------------------------------------------------------- fetch deadline


def _drip_server(head_drip: bool, delay: float = 0.2) -> tuple[str, threading.Event]:
    """A server on 127.0.0.1 sending one byte every ``delay`` s: of its headers, or (headers
    at once) of an endless body. Stops when the event is set."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    stop = threading.Event()

    def run() -> None:
        conn, _ = srv.accept()
        conn.recv(65536)
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000000\r\n\r\n"
        try:
            if not head_drip:
                conn.sendall(head)
            for b in head if head_drip else b"x" * 1_000_000:
                if stop.is_set():
                    break
                conn.sendall(bytes([b]))
                time.sleep(delay)
        except OSError:
            pass
        finally:
            conn.close()
            srv.close()

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{srv.getsockname()[1]}/page", stop


@pytest.mark.parametrize("head_drip", [True, False], ids=["headers", "body"])
def test_drip_feed_cannot_outlast_the_deadline(head_drip: bool) -> None:
    url, stop = _drip_server(head_drip)
    st = Settings(fetch_total_timeout_s=1.5, fetch_read_timeout_s=1.0, fetch_host_delay_s=0.0)
    started = time.monotonic()
    try:
        with pytest.raises(InputError) as exc:
            read_url(url, st, allow_private=True)
    finally:
        stop.set()
    took = time.monotonic() - started
    assert str(exc.value) == f"{url}: download took longer than 1.5 s (set fetch_total_timeout_s)"
    assert took < 2.5, f"took {took:.1f} s"


def test_deadline_does_not_outlive_its_fetch() -> None:
    """A later fetch in the same thread gets its own deadline, not an expired one."""
    import retold.inputs.net.guard as guard_mod

    url, stop = _drip_server(head_drip=False, delay=0.05)
    try:
        with pytest.raises(InputError):
            fetch(url, Settings(fetch_total_timeout_s=0.3), allow_private=True)
    finally:
        stop.set()
    assert guard_mod.PINS.deadline is None
    with pytest.raises(RetoldError, match="could not connect|refused"):
        fetch("http://127.0.0.1:9/", Settings(fetch_total_timeout_s=5), allow_private=True)


def test_a_text_of_countless_sentences_is_refused_before_it_is_all_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = _SpyNlp(nlp_mod.get_nlp())
    monkeypatch.setattr(nlp_mod, "get_nlp", lambda name=nlp_mod.DEFAULT_MODEL: spy)
    text = "Rail deal signed. " * 4_000  # 4,000 sentences in 72,000 characters
    st = Settings(max_sentences=300, nlp_chunk_chars=4_000, nlp_batch_chars=4_000)
    clear_cache()
    with pytest.raises(InputError, match=r"^retelling: more than [\d,]+ sentences; at most 300"):
        retold.compare(demo("source.txt"), Article(text, origin="retelling"), settings=st)
    assert sum(spy.lengths) < len(text) // 2  # stopped early
