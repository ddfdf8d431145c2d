"""retold.ingest: reading files/stdin/text into checked Articles. All fixtures invented."""

from __future__ import annotations

import gzip
import io
import os
import random
import time
from pathlib import Path

import pytest

from retold.errors import InputError
from retold.inputs.decoding import format_size
from retold.inputs.formats import clean_markdown, detect_format, split_plain_title
from retold.inputs.language import check_english, guess_language
from retold.inputs.reading import read_article, read_text_input
from retold.settings import Settings

BODY = (
    "The old harbour bridge in Northport reopened on Tuesday after eight months of "
    "repairs, the city council said.\n\n"
    "Engineers replaced 3,000 rivets and repainted the main span, according to a "
    "statement from the council's transport office.\n\n"
    '"We are glad to have it back," said Mayor Lena Ortiz, who cycled across it '
    "in the morning."
)

GERMAN = (
    "Die alte Hafenbrücke in Nordhafen ist am Dienstag nach acht Monaten wieder "
    "geöffnet worden. Wie die Stadt mitteilte, wurden dabei mehr als dreitausend Nieten "
    "ersetzt und die Brücke wurde neu gestrichen. Der Bürgermeister sagte, er sei froh, "
    "dass die Brücke für die Bürger wieder offen ist und dass die Arbeiten nicht länger "
    "gedauert haben."
)

FRENCH = (
    "Le vieux pont du port de Nordhafen a rouvert mardi après huit mois de travaux, "
    "selon la mairie. Les ingénieurs ont remplacé plus de trois mille rivets et la "
    "travée principale a été repeinte. La maire a déclaré qu'elle était heureuse de "
    "retrouver le pont et que les habitants pourront de nouveau le traverser à vélo."
)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def assert_input_error(path: Path | str, *fragments: str, **kwargs: object) -> str:
    """read_article must raise a one-line InputError naming the input; returns the message."""
    with pytest.raises(InputError) as info:
        read_article(str(path), **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    name = "<stdin>" if str(path) == "-" else str(path)
    assert message.startswith(name), message
    assert os.path.basename(name) in message
    for fragment in fragments:
        assert fragment.lower() in message.lower(), message
    return message


# --------------------------------------------------------------------------- plain text


def test_plain_text_with_title_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bridge.txt", "Harbour bridge reopens after repairs\n\n" + BODY + "\n")
    article = read_article(str(path))
    assert article.title == "Harbour bridge reopens after repairs"
    assert article.text == BODY
    assert article.origin == str(path)
    assert article.language == "en"


def test_plain_text_first_sentence_is_not_a_title(tmp_path: Path) -> None:
    text = "The bridge reopened on Tuesday.\n\n" + BODY
    article = read_article(str(write(tmp_path, "a.txt", text)))
    assert article.title == ""
    assert article.text.startswith("The bridge reopened on Tuesday.")


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Short headline\n\nBody text here.", "Short headline"),
        ("Short headline\nBody text here.", ""),  # no blank line after it
        ("Ends with a period.\n\nBody.", ""),
        (" ".join(["word"] * 15) + "\n\nBody.", ""),  # too long for a headline
        ("Only a headline", ""),
    ],
)
def test_split_plain_title_rules(text: str, title: str) -> None:
    assert split_plain_title(text)[0] == title


def test_crlf_nfc_and_invisible_characters(tmp_path: Path) -> None:
    decomposed = "Cafe\u0301 owners"  # e + combining acute -> NFC "é"
    raw = f"Title\r\n\r\n{decomposed} said the co\u00adoperative is\u00a0doing well.\r\n"
    article = read_article(str(write(tmp_path, "n.txt", raw)))
    assert article.text == "Café owners said the cooperative is doing well."
    assert "\r" not in article.text


# --------------------------------------------------------------------------- markdown


MARKDOWN = """# Harbour bridge **reopens**

The *old* harbour bridge in [Northport](https://example.org/north_(city) "City") reopened
on Tuesday after __eight months__ of repairs, the `city_council` said.

![A photo of the bridge](bridge.png)

## What changed

- Engineers replaced **3,000** rivets.
- The main span was _repainted_ in snake_case colours.

> "We are glad to have it back," said Mayor Lena Ortiz.
"""


def test_markdown_cleaning_and_offsets(tmp_path: Path) -> None:
    article = read_article(str(write(tmp_path, "bridge.md", MARKDOWN)))
    assert article.title == "Harbour bridge reopens"
    text = article.text
    assert text.startswith("The old harbour bridge in Northport reopened")
    for marker in ("#", "**", "](", "![", "`", "> ", "- Engineers", "__"):
        assert marker not in text, marker
    assert "snake_case" in text  # intra-word underscores are not emphasis
    assert "What changed" in text
    # Offsets refer to the stored, cleaned text.
    for phrase in ("Northport", "eight months", "3,000 rivets", "city_council", "Lena Ortiz"):
        start = text.index(phrase)
        assert text[start : start + len(phrase)] == phrase
    assert '"We are glad to have it back," said Mayor Lena Ortiz.' in text


def test_markdown_sniffed_without_extension() -> None:
    assert detect_format("# Title\n\nBody", "") == "markdown"
    assert detect_format("# Title\n\nBody", ".txt") == "text"
    title, body = clean_markdown("Setext title\n============\n\nSome *body* text.")
    assert (title, body) == ("Setext title", "Some body text.")


# --------------------------------------------------------------------------- HTML


HTML = """<!DOCTYPE html>
<html><head><title>Harbour Bridge Reopens | The Daily Example</title>
<style>body { color: red; } .secret-style { display: none; }</style>
<script>var secretScript = "do not extract me";</script></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Harbour bridge reopens after repairs</h1>
<p>The old harbour bridge in Northport reopened on Tuesday after eight months of
repairs, the city council said.</p>
<p>Engineers replaced 3,000 rivets and repainted the main span, according to a
statement from the council's transport office.</p>
<script>document.write("inline secret script");</script>
<p>&ldquo;We are glad to have it back,&rdquo; said Mayor Lena Ortiz, who cycled
across it in the morning.</p>
</article><footer>Copyright notice</footer></body></html>
"""


def test_html_via_trafilatura(tmp_path: Path) -> None:
    article = read_article(str(write(tmp_path, "bridge.html", HTML)))
    assert article.title == "Harbour bridge reopens after repairs"
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0] == (
        "The old harbour bridge in Northport reopened on Tuesday after eight months of "
        "repairs, the city council said."
    )
    assert paragraphs[2].startswith("\u201cWe are glad")  # curly quotes kept
    for junk in ("secret", "color", "Copyright", "Home"):
        assert junk not in article.text


def test_html_sniffed_from_content_on_stdin() -> None:
    article = read_article("-", stdin=io.BytesIO(HTML.encode("utf-8")))
    assert article.origin == "<stdin>"
    assert "Northport" in article.text and "<p>" not in article.text


def test_html_title_falls_back_to_title_tag(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Council agrees budget</title></head><body>"
        "<div><p>The council met on Monday and agreed the budget for next year.</p></div>"
        "</body></html>"
    )
    article = read_article(str(write(tmp_path, "b.htm", page)))
    assert article.title == "Council agrees budget"
    assert article.text == "The council met on Monday and agreed the budget for next year."


def test_html_with_only_script_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.html", "<html><body><script>alert(1)</script></body></html>")
    assert_input_error(path, "no article text")


def test_html_cp1252_declared_charset(tmp_path: Path) -> None:
    page = (
        '<html><head><meta charset="iso-8859-1"><title>T</title></head><body><p>'
        "The caf\u00e9 on the quay said \u201cbusiness is good\u201d on Monday, and it "
        "was right.</p></body></html>"
    ).encode("cp1252")
    article = read_article(str(write(tmp_path, "c.html", page)))
    assert "caf\u00e9" in article.text and "\u201cbusiness is good\u201d" in article.text


# --------------------------------------------------------------------------- encodings


def test_cp1252_file_decodes(tmp_path: Path) -> None:
    text = (
        "The caf\u00e9 on Main Street reopened on Monday. \u201cWe are thrilled,\u201d "
        "said the owner, who called it a na\u00efve dream \u2014 but it\u2019s real."
    )
    article = read_article(str(write(tmp_path, "c.txt", text.encode("cp1252"))))
    assert article.text == text


def test_latin1_file_decodes(tmp_path: Path) -> None:
    text = (
        "The na\u00efve caf\u00e9 in the old town served cr\u00e8me br\u00fbl\u00e9e "
        "to the visitors."
    )
    article = read_article(str(write(tmp_path, "l.txt", text.encode("latin-1"))))
    assert article.text == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-32", "utf-16-le"])
def test_unicode_encodings(tmp_path: Path, encoding: str) -> None:
    # "utf-16"/"utf-32"/"utf-8-sig" write a BOM; "utf-16-le" has none (NUL pattern).
    text = "Headline here\n\nThe caf\u00e9 said \u201cyes\u201d to the plan on Monday."
    article = read_article(str(write(tmp_path, "u.txt", text.encode(encoding))))
    assert article.title == "Headline here"
    assert article.text == "The caf\u00e9 said \u201cyes\u201d to the plan on Monday."


# --------------------------------------------------------------------------- errors


def test_missing_path(tmp_path: Path) -> None:
    assert_input_error(tmp_path / "nope.txt", "no such file")


def test_directory(tmp_path: Path) -> None:
    assert_input_error(tmp_path, "directory")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_permission_denied(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.txt", BODY)
    path.chmod(0)
    try:
        assert_input_error(path, "permission denied")
    finally:
        path.chmod(0o600)


def test_empty_file(tmp_path: Path) -> None:
    assert_input_error(write(tmp_path, "empty.txt", b""), "empty")


def test_whitespace_only_file(tmp_path: Path) -> None:
    assert_input_error(write(tmp_path, "blank.txt", " \n\t\r\n  \n"), "only whitespace")


def test_random_binary(tmp_path: Path) -> None:
    data = random.Random(7).randbytes(4096) + b"\x00\x00"
    assert_input_error(write(tmp_path, "noise.txt", data), "binary")


def test_png_header(tmp_path: Path) -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(20)
    assert_input_error(write(tmp_path, "photo.txt", data), "PNG image")


def test_gzip_file(tmp_path: Path) -> None:
    data = gzip.compress(BODY.encode("utf-8"))
    assert_input_error(write(tmp_path, "article.txt.gz", data), "gzip")


def test_pdf_file(tmp_path: Path) -> None:
    assert_input_error(write(tmp_path, "paper.pdf", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj"), "PDF")


def test_control_characters_without_nul(tmp_path: Path) -> None:
    rng = random.Random(3)
    data = bytes(rng.choice(range(1, 32)) for _ in range(2000))
    assert_input_error(write(tmp_path, "ctl.txt", data), "control characters")


def test_fifty_megabytes_refused_from_stat(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"word " * 10_000_000)  # 50 MB of real data
    start = time.perf_counter()
    message = assert_input_error(path, "limit", "50.0 MB", "10.0 MB", "max_input_bytes")
    assert time.perf_counter() - start < 0.5
    assert message == (f"{path}: file is 50.0 MB; the limit is 10.0 MB (set max_input_bytes)")


def test_sparse_file_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sparse.txt"
    with open(path, "wb") as fh:
        fh.truncate(100 * 1024**3)  # 100 GiB, no blocks on disk

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file must not be opened")

    monkeypatch.setattr("builtins.open", no_open)
    assert_input_error(path, "limit", "107.4 GB")


def test_size_just_over_a_small_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", BODY)
    settings = Settings(max_input_bytes=len(BODY.encode()) - 1)
    message = assert_input_error(path, "limit", "bytes", settings=settings)
    assert f"{len(BODY.encode()):,} bytes" in message


def test_stdin_over_limit_without_size() -> None:
    stream = io.BytesIO(b"word " * 1000)
    assert_input_error("-", "limit", stdin=stream, settings=Settings(max_input_bytes=100))
    assert stream.tell() == 101  # read only limit + 1 bytes


def test_too_few_words(tmp_path: Path) -> None:
    assert_input_error(write(tmp_path, "short.txt", "Bridge reopens today"), "3 words", "min_words")


def test_undecodable_text(tmp_path: Path) -> None:
    # Random high bytes: not UTF-8, not mostly-ASCII cp1252, no encoding makes sense of them.
    rng = random.Random(5)
    data = bytes(rng.choice(range(0x80, 0x100)) for _ in range(3000))
    assert_input_error(write(tmp_path, "weird.txt", data), "cannot decode")


def test_utf16_bom_with_broken_body(tmp_path: Path) -> None:
    assert_input_error(write(tmp_path, "bad16.txt", b"\xff\xfeA"), "byte-order mark")


def test_odd_file_name_keeps_message_on_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_article(str(tmp_path / "line\nbreak.txt"))
    assert "\n" not in str(info.value) and "break.txt" in str(info.value)


# --------------------------------------------------------------------------- stdin


def test_stdin_plain_text() -> None:
    data = ("Bridge reopens\n\n" + BODY).encode("utf-8")
    article = read_article("-", stdin=io.BytesIO(data))
    assert article.origin == "<stdin>"
    assert article.title == "Bridge reopens"
    assert article.text == BODY


def test_stdin_empty() -> None:
    assert_input_error("-", "empty", stdin=io.BytesIO(b""))


# --------------------------------------------------------------------------- language


def test_german_refused(tmp_path: Path) -> None:
    assert_input_error(write(tmp_path, "de.txt", GERMAN), "looks like German", "only English")


def test_french_refused(tmp_path: Path) -> None:
    assert_input_error(write(tmp_path, "fr.txt", FRENCH), "looks like French", "only English")


def test_cjk_refused_for_language_not_word_count() -> None:
    text = "東京で火曜日に新しい橋が開通しました。市によると工事は八か月続いた。"
    with pytest.raises(InputError, match="Japanese"):
        read_text_input(text, "ja.txt")


def test_cyrillic_refused() -> None:
    text = "Старый мост в порту снова открылся во вторник после восьми месяцев ремонта."
    with pytest.raises(InputError, match="Cyrillic"):
        read_text_input(text, "ru.txt")


def test_english_with_foreign_names_passes(tmp_path: Path) -> None:
    text = (
        "Jean de la Fontaine and Hans-Peter von der Heide met Pedro dos Santos e Silva "
        "in São Paulo on Friday. The three said the Banque de France and the Deutsche "
        "Bundesbank would publish a joint report on the euro later this year."
    )
    article = read_article(str(write(tmp_path, "names.txt", text)))
    assert article.text == text


def test_short_english_passes() -> None:
    assert read_text_input("Storm hits coast, thousands lose power", "<text>").word_count == 6
    check_english("Le Pen wins", "x")  # too little signal to refuse


def test_guess_language() -> None:
    assert guess_language(BODY)[0] == "en"
    assert guess_language(GERMAN)[0] == "de"
    assert guess_language(FRENCH)[0] == "fr"
    assert guess_language("") == ("und", 0.0)


# --------------------------------------------------------------------------- misc


def test_identical_inputs_are_fine(tmp_path: Path) -> None:
    a = write(tmp_path, "a.txt", BODY)
    b = write(tmp_path, "b.txt", BODY)
    assert read_article(str(a)).text == read_article(str(b)).text


def test_read_text_input_runs_same_checks() -> None:
    article = read_text_input("Bridge reopens\n\n" + BODY, "web form")
    assert (article.title, article.text, article.origin) == ("Bridge reopens", BODY, "web form")
    for bad, fragment in [("", "empty"), ("   \n ", "whitespace"), ("a\x00b c d e f", "binary")]:
        with pytest.raises(InputError, match=fragment):
            read_text_input(bad, "web form")
    with pytest.raises(InputError, match="limit"):
        read_text_input(BODY, "web form", Settings(max_input_bytes=10))
    with pytest.raises(InputError, match="German"):
        read_text_input(GERMAN, "web form")


def test_format_size() -> None:
    assert format_size(10_000_000) == "10.0 MB"
    assert format_size(52_400_000) == "52.4 MB"
    assert format_size(999) == "999 bytes"
