"""Read an article from a file, stdin or a string, refusing bad input early.

Pipeline; each step may raise ``InputError`` with a one-line ``"<name>: <problem>"``
message, where ``<name>`` is the path as given or ``<stdin>``:

1. Bytes: size limit (``stat`` first for regular files; never more than
   ``max_input_bytes + 1`` bytes are read), empty input, known binary formats by magic
   number (PDF, ZIP/docx, gzip, PNG, ...), NUL bytes, a high share of control bytes.
2. Decoding: BOM (UTF-8/16/32), UTF-16 without BOM (NUL pattern), strict UTF-8, the
   charset an HTML page declares, cp1252 when the result is mostly ASCII letters (the
   usual legacy encoding of English text; charset-normalizer tends to pick cp1250 for it
   and turn "naïve" into "naďve"), then charset-normalizer's best guess.
3. Text normalisation: "\n" newlines, NFC, control characters, soft hyphens and
   zero-width spaces removed, exotic spaces (NBSP, thin space, ...) turned into " ",
   trailing spaces stripped, runs of blank lines collapsed to one. Quotes and dashes are
   kept as they are: the quote audit needs the original marks.
4. Format: HTML (``.html/.htm/.xhtml`` or content starting with ``<!doctype html`` /
   ``<html``) goes through trafilatura; Markdown (``.md`` etc., or a non-``.txt`` input
   whose first line is ``# Heading``) is cleaned to plain text; anything else is plain
   text. See ``formats`` (``extract_html``, ``clean_markdown``, ``split_plain_title``) for titles;
   steps 1-3 are ``decoding``.
5. Checks on the extracted body: article text present, at least ``min_words`` words,
   English (``retold.inputs.language.check_english``).

``Article.text`` is the cleaned body (title removed) and every later offset refers to it.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO

from retold.inputs.decoding import (
    check_text_chars,
    decode_bytes,
    error,
    normalise_text,
    read_limited,
    too_large,
)
from retold.inputs.formats import (
    InputFormat,
    clean_markdown,
    detect_format,
    extract_html,
    split_plain_title,
)
from retold.inputs.language import check_english
from retold.settings import Settings
from retold.types import Article

STDIN_NAME = "<stdin>"


def _read_file(path: str, settings: Settings) -> bytes:
    limit = settings.max_input_bytes
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise error(path, "no such file or directory") from None
    except PermissionError:
        raise error(path, "permission denied") from None
    except OSError as exc:
        raise error(path, f"cannot read the file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(path, "is a directory, not a file")
    if stat.S_ISREG(st.st_mode):
        # Decide from the size alone: a 50 GB file is refused without opening it.
        if st.st_size > limit:
            raise too_large(path, "file", st.st_size, limit)
        if st.st_size == 0:
            raise error(path, "file is empty")
    try:
        with open(path, "rb") as fh:  # also pipes such as <(cmd) and devices
            data = read_limited(fh, limit)
    except PermissionError:
        raise error(path, "permission denied") from None
    except IsADirectoryError:
        raise error(path, "is a directory, not a file") from None
    except OSError as exc:
        raise error(path, f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > limit:  # non-regular file, or the file grew after stat
        raise too_large(path, "file", None, limit)
    if not data:
        raise error(path, "file is empty")
    return data


def _read_stdin(stdin: BinaryIO | None, settings: Settings) -> bytes:
    if stdin is None:
        if sys.stdin is None:
            raise error(STDIN_NAME, "no standard input is available")
        if sys.stdin.isatty():  # reading would wait for typing: almost never intended
            raise error(
                STDIN_NAME, "standard input is a terminal; pipe an article in or give a path"
            )
        stdin = sys.stdin.buffer
    data = read_limited(stdin, settings.max_input_bytes)
    if len(data) > settings.max_input_bytes:
        raise too_large(STDIN_NAME, "input", None, settings.max_input_bytes)
    if not data:
        raise error(STDIN_NAME, "input is empty")
    return data


def _check_settings(settings: object, where: str) -> Settings:
    if settings is None:
        return Settings()
    if not isinstance(settings, Settings):
        raise TypeError(
            f"{where}: settings must be a retold.Settings, not {type(settings).__name__}"
        )
    return settings


def article_from_text(
    text: str, name: str, settings: Settings, suffix: str, fmt: InputFormat, what: str
) -> Article:
    check_text_chars(text, name)
    text = normalise_text(text)
    if not text:
        raise error(name, f"{what} contains only whitespace")
    kind = detect_format(text, suffix, fmt)
    if kind == "html":
        title, body = extract_html(text, name)
    elif kind == "markdown":
        title, body = clean_markdown(text)
    else:
        title, body = split_plain_title(text)
    # Again after extraction: HTML entities (&shy;, &nbsp;) can bring back what we removed.
    body, title = normalise_text(body), normalise_text(title).replace("\n", " ")
    if not body:
        raise error(name, f"no article text found in the {what}")
    # Language first: Chinese or Japanese text has no spaces and would otherwise be
    # reported as "only 1 word", which hides the real problem.
    check_english(body, name, settings)
    words = len(body.split())
    if words < settings.min_words:
        raise error(
            name,
            f"only {words} word{'s' if words != 1 else ''} of article text; "
            f"at least {settings.min_words} are needed (set min_words)",
        )
    return Article(text=body, title=title, origin=name, language="en")


def read_article(
    spec: str | os.PathLike[str],
    settings: Settings | None = None,
    *,
    stdin: BinaryIO | None = None,
    fmt: InputFormat = "auto",
) -> Article:
    """Read, decode, extract and check one article from a path or ``"-"`` (stdin).

    Args:
        spec: a file path, or ``"-"`` for stdin.
        settings: limits (default ``Settings()``).
        stdin: replaces ``sys.stdin.buffer`` (tests, servers).
        fmt: force ``"text"``, ``"markdown"`` or ``"html"`` instead of deciding from the
            extension and content.

    Returns:
        An ``Article`` whose ``origin`` is the path as given, or ``"<stdin>"``.

    Raises:
        TypeError: ``spec`` or ``settings`` of the wrong type.
        InputError: unreadable, empty, binary, too large, not English or no article text
            (one line, starting with the name).
    """
    if not isinstance(spec, str | os.PathLike):
        raise TypeError(
            f"read_article: spec must be a path (str or os.PathLike) or '-', not "
            f"{type(spec).__name__}"
            + (
                "; for article bytes use retold.compare or read_bytes_input"
                if isinstance(spec, bytes)
                else ""
            )
        )
    settings = _check_settings(settings, "read_article")
    spec = os.fspath(spec)
    if not isinstance(spec, str):  # a PathLike whose __fspath__ gives bytes
        raise TypeError(f"read_article: the path must be str, not {type(spec).__name__}")
    if spec == "-":
        name, suffix, what = STDIN_NAME, "", "input"
        data = _read_stdin(stdin, settings)
    else:
        name, suffix, what = spec, Path(spec).suffix, "file"
        data = _read_file(spec, settings)
    text = decode_bytes(data, name)
    return article_from_text(text, name, settings, suffix, fmt, what)


def read_bytes_input(
    data: bytes, origin: str, settings: Settings | None = None, *, fmt: InputFormat = "auto"
) -> Article:
    """Like ``read_article`` for raw bytes already in memory (library use): the same size
    limit, binary refusal, encoding detection (BOM, UTF-16, declared charset, cp1252, ...),
    extraction and checks as a file gets. ``origin`` names the input as in
    ``read_text_input``."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"read_bytes_input: data must be bytes, not {type(data).__name__}")
    settings = _check_settings(settings, "read_bytes_input")
    data = bytes(data)
    name = origin or "<bytes>"
    if len(data) > settings.max_input_bytes:
        raise too_large(name, "input", len(data), settings.max_input_bytes)
    if not data:
        raise error(name, "input is empty")
    text = decode_bytes(data, name)
    return article_from_text(text, name, settings, Path(name).suffix, fmt, "input")


def read_text_input(
    text: str, origin: str, settings: Settings | None = None, *, fmt: InputFormat = "auto"
) -> Article:
    """Like ``read_article`` for text already in memory (library and web use).

    Same checks except the file-system ones; the size limit applies to the UTF-8 size.
    ``origin`` names the input in messages and in ``Article.origin``; its extension, if
    any, guides format detection like a file name would.
    """
    if not isinstance(text, str):
        raise TypeError(f"read_text_input: text must be str, not {type(text).__name__}")
    settings = _check_settings(settings, "read_text_input")
    name = origin or "<text>"
    limit = settings.max_input_bytes
    if len(text) > limit // 4:  # only then can the UTF-8 size exceed the limit
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > limit:
            raise too_large(name, "input", size, limit)
    if not text:
        raise error(name, "input is empty")
    return article_from_text(text, name, settings, Path(name).suffix, fmt, "input")
