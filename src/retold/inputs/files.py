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
3. Text normalisation: "\\n" newlines, NFC, control characters, soft hyphens and
   zero-width spaces removed, exotic spaces (NBSP, thin space, ...) turned into " ",
   trailing spaces stripped, runs of blank lines collapsed to one. Quotes and dashes are
   kept as they are: the quote audit needs the original marks.
4. Format: HTML (``.html/.htm/.xhtml`` or content starting with ``<!doctype html`` /
   ``<html``) goes through trafilatura; Markdown (``.md`` etc., or a non-``.txt`` input
   whose first line is ``# Heading``) is cleaned to plain text; anything else is plain
   text. See ``extract_html``, ``clean_markdown`` and ``split_plain_title`` for titles.
5. Checks on the extracted body: article text present, at least ``min_words`` words,
   English (``retold.inputs.language.check_english``).

``Article.text`` is the cleaned body (title removed) and every later offset refers to it.
"""

from __future__ import annotations

import codecs
import html as html_lib
import os
import re
import stat
import sys
import unicodedata
from pathlib import Path
from typing import BinaryIO, Literal

from retold.errors import InputError
from retold.inputs.language import check_english
from retold.settings import Settings
from retold.types import Article

InputFormat = Literal["auto", "text", "markdown", "html"]

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd"})
TEXT_SUFFIXES = frozenset({".txt", ".text"})

STDIN_NAME = "<stdin>"
_READ_CHUNK = 1 << 20
# Share of C0 control characters (other than tab/newline/CR/FF/VT) above which input is
# binary. Random bytes have ~10%; real text has none or a stray few.
_MAX_CONTROL_RATIO = 0.02
# Share of ASCII among letters above which a non-UTF-8 file is taken to be cp1252.
_CP1252_MIN_ASCII_LETTERS = 0.9


# --------------------------------------------------------------------------- errors


def _error(name: str, problem: str) -> InputError:
    # Messages must stay on one line even for odd file names (the CLI prints them as is).
    line = f"{name}: {problem}"
    return InputError("".join("?" if unicodedata.category(c) == "Cc" else c for c in line))


def problem_of(exc: InputError, name: str) -> str:
    """What an ``_error(name, ...)`` says, without its ``name: `` prefix (a ``Skipped``
    names its origin itself)."""
    msg = str(exc)
    prefix = f"{name}: "
    return msg[len(prefix) :] if msg.startswith(prefix) else msg


def format_size(n: int) -> str:
    """Decimal units, matching the ``max_input_bytes`` default of 10_000_000 = "10.0 MB"."""
    if n < 1000:
        return f"{n} bytes"
    for unit, scale in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if n < scale * 1000:
            return f"{n / scale:.1f} {unit}"
    return f"{n / 1e12:.1f} TB"


def _too_large(name: str, what: str, size: int | None, limit: int) -> InputError:
    if size is None:  # pipes and devices: we only know we passed the limit
        return _error(
            name,
            f"{what} is larger than the limit of {format_size(limit)} (set max_input_bytes)",
        )
    shown, limit_shown = format_size(size), format_size(limit)
    if shown == limit_shown:  # "10.0 MB; the limit is 10.0 MB" would be confusing
        shown, limit_shown = f"{size:,} bytes", f"{limit:,} bytes"
    return _error(name, f"{what} is {shown}; the limit is {limit_shown} (set max_input_bytes)")


# --------------------------------------------------------------------------- reading


def _read_limited(stream: BinaryIO, limit: int) -> bytes:
    """At most ``limit + 1`` bytes: enough to tell "too large" without reading it all."""
    chunks: list[bytes] = []
    remaining = limit + 1
    while remaining > 0:
        chunk = stream.read(min(remaining, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_file(path: str, settings: Settings) -> bytes:
    limit = settings.max_input_bytes
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise _error(path, "no such file or directory") from None
    except PermissionError:
        raise _error(path, "permission denied") from None
    except OSError as exc:
        raise _error(path, f"cannot read the file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise _error(path, "is a directory, not a file")
    if stat.S_ISREG(st.st_mode):
        # Decide from the size alone: a 50 GB file is refused without opening it.
        if st.st_size > limit:
            raise _too_large(path, "file", st.st_size, limit)
        if st.st_size == 0:
            raise _error(path, "file is empty")
    try:
        with open(path, "rb") as fh:  # also pipes such as <(cmd) and devices
            data = _read_limited(fh, limit)
    except PermissionError:
        raise _error(path, "permission denied") from None
    except IsADirectoryError:
        raise _error(path, "is a directory, not a file") from None
    except OSError as exc:
        raise _error(path, f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > limit:  # non-regular file, or the file grew after stat
        raise _too_large(path, "file", None, limit)
    if not data:
        raise _error(path, "file is empty")
    return data


def _read_stdin(stdin: BinaryIO | None, settings: Settings) -> bytes:
    if stdin is None:
        if sys.stdin is None:
            raise _error(STDIN_NAME, "no standard input is available")
        if sys.stdin.isatty():  # reading would wait for typing: almost never intended
            raise _error(
                STDIN_NAME, "standard input is a terminal; pipe an article in or give a path"
            )
        stdin = sys.stdin.buffer
    data = _read_limited(stdin, settings.max_input_bytes)
    if len(data) > settings.max_input_bytes:
        raise _too_large(STDIN_NAME, "input", None, settings.max_input_bytes)
    if not data:
        raise _error(STDIN_NAME, "input is empty")
    return data


# --------------------------------------------------------------------------- binary sniffing

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document (convert it to text first, e.g. with pdftotext)"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx/.odt/.epub document, which are ZIP files)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data (decompress it first)"),
    (b"\xfd7zXZ\x00", "xz-compressed data (decompress it first)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data (decompress it first)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Microsoft Office document (.doc/.xls)"),
    (b"{\\rtf", "an RTF document (save it as plain text first)"),
    (b"\x7fELF", "an executable program (ELF)"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"OggS\x00", "Ogg audio or video"),
    (b"ID3\x02\x00", "an MP3 audio file"),
    (b"ID3\x03\x00", "an MP3 audio file"),
    (b"ID3\x04\x00", "an MP3 audio file"),
)
_RIFF_KINDS = {b"WEBP": "a WebP image", b"WAVE": "a WAV audio file", b"AVI ": "an AVI video"}

# Byte values counted as "control" when judging whether data is binary.
_CONTROL_CODES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_NON_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_CODES)
_CONTROL_CHARS_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def sniff_binary(head: bytes) -> str | None:
    """What a known binary format looks like, from its first bytes; None if unknown."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head.startswith(b"RIFF") and head[8:12] in _RIFF_KINDS:
        return _RIFF_KINDS[head[8:12]]
    if head[4:8] == b"ftyp":
        return "an MP4/QuickTime media file"
    if head.startswith(b"BZh") and head[3:4].isdigit() and head[4:10] == b"1AY&SY":
        return "bzip2-compressed data (decompress it first)"
    return None


def _binary_error(name: str, why: str) -> InputError:
    return _error(name, f"looks like binary data, not text ({why})")


def _control_ratio(text: str) -> float:
    return len(_CONTROL_CHARS_RE.findall(text)) / len(text) if text else 0.0


# --------------------------------------------------------------------------- decoding

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)


def _utf16_without_bom(data: bytes) -> str | None:
    """English UTF-16 text has a NUL in every other byte; decode it if the pattern holds."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even = sample[0::2].count(0) / half
    odd = sample[1::2].count(0) / half
    encoding = None
    if odd > 0.7 and even < 0.1:
        encoding = "utf-16-le"
    elif even > 0.7 and odd < 0.1:
        encoding = "utf-16-be"
    if encoding is None:
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _declared_charset(data: bytes) -> str | None:
    """Python codec for the charset an HTML/XML head declares (WHATWG: latin-1 => cp1252)."""
    match = _DECLARED_CHARSET.search(data[:4096])
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii", "ignore")
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp1252" if name in {"latin-1", "iso8859-1", "ascii"} else name


def _mostly_ascii_letters(text: str) -> bool:
    letters = [c for c in text[:200_000] if c.isalpha()]
    if not letters:
        return True
    return sum(c.isascii() for c in letters) / len(letters) >= _CP1252_MIN_ASCII_LETTERS


def _decode_8bit(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(data) if b"<" in data[:4096] else None
    if declared:
        try:
            return data.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None and _mostly_ascii_letters(text):
        return text
    from charset_normalizer import from_bytes  # lazy: only legacy encodings need it

    best = from_bytes(data).best()
    return str(best) if best is not None else None


def decode_bytes(data: bytes, name: str) -> str:
    """Decode raw input to ``str`` (no normalisation), or raise for binary/undecodable data."""
    if not data:
        return ""  # callers say "empty" in their own words
    what = sniff_binary(data[:64])
    if what is not None:
        raise _error(name, f"looks like {what}, not text")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                label = encoding.upper()
                raise _error(
                    name, f"starts with a {label} byte-order mark but is not valid {label}"
                ) from None
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is None:
            raise _binary_error(name, "it contains NUL bytes")
        return text
    control = len(data.translate(None, _NON_CONTROL_BYTES)) / len(data)
    if control > _MAX_CONTROL_RATIO:
        raise _binary_error(name, f"{control:.0%} control characters")
    text = _decode_8bit(data)
    if text is None:
        raise _error(name, "cannot decode the text: it is not UTF-8 and no other encoding fits")
    return text


# --------------------------------------------------------------------------- normalisation

_NEWLINES = {ord(c): "\n" for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}
_ODD_SPACES = {ord(c): " " for c in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"}
_ODD_SPACES.update({ord(c): " " for c in "\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"})
# Invisible characters that would split or glue words: soft hyphen (&shy;), zero-width
# space, BOM/ZWNBSP, word joiner; plus the rest of C0 and all of C1 (terminal escapes in
# CLI output, and latin-1 misreadings of cp1252 punctuation).
_INVISIBLE_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_TRAILING_SPACE_RE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_LINES_RE = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Newlines, NFC, invisible characters and spacing, as described in the module doc."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_NEWLINES)
    text = _SURROGATE_RE.sub("\ufffd", text)  # lone surrogates would break JSON output
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE_RE.sub("", text).translate(_ODD_SPACES)
    text = _TRAILING_SPACE_RE.sub("", text)
    return _BLANK_LINES_RE.sub("\n\n", text).strip()


def _check_text_chars(text: str, name: str) -> None:
    if "\x00" in text:
        raise _binary_error(name, "it contains NUL characters")
    ratio = _control_ratio(text)
    if ratio > _MAX_CONTROL_RATIO:
        raise _binary_error(name, f"{ratio:.0%} control characters")


# --------------------------------------------------------------------------- plain text

_TITLE_END_PUNCT = (".", ",", ";", ":")


def split_plain_title(text: str) -> tuple[str, str]:
    """(title, body) for plain text.

    The first line is the title when it is short (under 15 words), does not end with
    ``. , ; :`` (sentences and lead-ins do), is followed by a blank line, and some text
    follows. Otherwise the title is "" and the body is the whole text.
    """
    first, sep, rest = text.partition("\n")
    line = first.strip()
    if (
        sep
        and rest.startswith("\n")
        and rest.strip()
        and line
        and len(line.split()) < 15
        and not line.endswith(_TITLE_END_PUNCT)
    ):
        return line, rest.strip("\n")
    return "", text


# --------------------------------------------------------------------------- markdown

_PROTECT_CHARS = "\\`*_{}[]()#+-.!<>~|"
_PROTECT_BASE = 0xF0000  # plane-15 private use: never in real text
_PROTECTED_RE = re.compile("[\U000f0000-\U000f007f]")
_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>~|])")
_CODE_SPAN_RE = re.compile(r"(`+)(.+?)\1")
_LINK_TEXT = r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]"
_LINK_DEST = r"\(\s*(?:<[^>]*>|(?:[^()\s]|\([^()\s]*\))*)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
_IMAGE_RE = re.compile("!" + _LINK_TEXT + _LINK_DEST)
_LINK_RE = re.compile(_LINK_TEXT + _LINK_DEST)
_REF_LINK_RE = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
_FOOTNOTE_REF_RE = re.compile(r"\[\^[^\]\s]+\]")
_AUTOLINK_RE = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_HTML_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
_STRONG_STAR_RE = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_STRONG_UNDER_RE = re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)")
_EM_STAR_RE = re.compile(r"(?<!\*)\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)")
_EM_UNDER_RE = re.compile(r"(?<!\w)_(?=[^\s_])(.+?)(?<=[^\s_])_(?!\w)")
_STRIKE_RE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_MULTI_SPACE_RE = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")

_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX_RE = re.compile(r"^(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-{2,})[ \t]*$")
_HR_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_REF_DEF_RE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$")
_QUOTE_MARK_RE = re.compile(r"^(?:\s{0,3}>\s?)+")
_LIST_MARK_RE = re.compile(r"^(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?")
_FRONT_TITLE_RE = re.compile(r"^title\s*:\s*(.+?)\s*$", re.IGNORECASE)


def _protect(s: str) -> str:
    """Hide markdown punctuation (escaped or in code) from the emphasis/link rules."""
    return "".join(chr(_PROTECT_BASE + ord(c)) if c in _PROTECT_CHARS else c for c in s)


def _unprotect(s: str) -> str:
    return _PROTECTED_RE.sub(lambda m: chr(ord(m.group()) - _PROTECT_BASE), s)


def markdown_inline(s: str) -> str:
    """Plain text of one line of Markdown: links -> their text, images dropped, emphasis,
    code and inline HTML markers removed, backslash escapes and entities resolved."""
    s = _CODE_SPAN_RE.sub(lambda m: _protect(m.group(2).strip()), s)
    s = _ESCAPE_RE.sub(lambda m: _protect(m.group(1)), s)
    s = _IMAGE_RE.sub("", s)
    s = _LINK_RE.sub(r"\1", s)
    s = _REF_LINK_RE.sub(r"\1", s)
    s = _FOOTNOTE_REF_RE.sub("", s)
    s = _AUTOLINK_RE.sub(r"\1", s)
    s = _HTML_TAG_RE.sub("", s)
    for _ in range(4):  # nested emphasis ("**bold _and italic_**") needs a few passes
        before = s
        for pattern in (_STRONG_STAR_RE, _STRONG_UNDER_RE, _EM_STAR_RE, _EM_UNDER_RE, _STRIKE_RE):
            s = pattern.sub(r"\1", s)
        if s == before:
            break
    s = _MULTI_SPACE_RE.sub(" ", s)  # removed tags/images leave double spaces behind
    return html_lib.unescape(_unprotect(s))


def _front_matter(lines: list[str]) -> tuple[str, list[str]]:
    """Strip a leading YAML front-matter block; return its ``title:`` (or "")."""
    if not lines or lines[0].strip() != "---":
        return "", lines
    for i in range(1, min(len(lines), 200)):
        if lines[i].strip() in ("---", "..."):
            title = ""
            for line in lines[1:i]:
                match = _FRONT_TITLE_RE.match(line)
                if match:
                    title = match.group(1).strip("'\"")
                    break
            return title, lines[i + 1 :]
    return "", lines


def clean_markdown(text: str) -> tuple[str, str]:
    """(title, body) for Markdown, the body reduced to readable plain text.

    Title: the first level-1 heading (``# Title`` or ``Title`` underlined with ``===``),
    else front matter ``title:``, else "". The heading is removed from the body only when
    it opens the document; later headings stay as their own paragraphs, without ``#``.
    Links keep their text, images and reference definitions are dropped, emphasis/code
    markers, list bullets, quote markers, rules and inline HTML go; fenced code keeps its
    content. All offsets downstream refer to this cleaned text.
    """
    title, lines = _front_matter(_HTML_COMMENT_RE.sub("", text).split("\n"))
    heading_title = ""
    out: list[str] = []
    fence: str | None = None
    i = 0
    while i < len(lines):
        raw = lines[i]
        i += 1
        fence_match = _FENCE_RE.match(raw)
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0]:
                fence = None
            else:
                out.append(raw.rstrip())
            continue
        if fence_match:
            fence = fence_match.group(1)
            continue
        line = _QUOTE_MARK_RE.sub("", raw).strip()
        if not line or _HR_RE.match(line) or _REF_DEF_RE.match(line):
            out.append("")
            continue
        if _TABLE_RULE_RE.match(line):
            continue
        level = 0
        atx = _ATX_RE.match(line)
        if atx:
            level, line = len(atx.group(1)), atx.group(2) or ""
        elif i < len(lines) and _SETEXT_RE.match(lines[i]) and not _LIST_MARK_RE.match(line):
            level = 1 if lines[i].strip().startswith("=") else 2
            i += 1  # consume the underline
        else:
            line = _LIST_MARK_RE.sub("", line)
        line = markdown_inline(line).strip()
        if not level:
            out.append(line)
            continue
        if level == 1 and not heading_title:
            heading_title = line
            if not any(out):  # the document's own title: not part of the body
                continue
        out.extend(["", line, ""])  # headings are paragraphs of their own
    body = _BLANK_LINES_RE.sub("\n\n", "\n".join(out)).strip("\n")
    return heading_title or title, body


# --------------------------------------------------------------------------- HTML

_LB = "\ue000"  # placeholder for <lb/> while whitespace is collapsed
_WS_RE = re.compile(r"\s+")


def _element_text(el: object, skip: frozenset[str] = frozenset()) -> str:
    parts: list[str] = [el.text or ""]  # type: ignore[attr-defined]
    for child in el:  # type: ignore[attr-defined]
        if child.tag == "lb":
            parts.append(_LB)
        elif child.tag not in skip:
            parts.append(_element_text(child, skip))
        parts.append(child.tail or "")
    return "".join(parts)


def _clean_block(s: str) -> str:
    s = _WS_RE.sub(" ", s)  # HTML source line breaks are not text line breaks
    return "\n".join(part.strip() for part in s.split(_LB)).strip()


def _body_blocks(body: object) -> list[str]:
    """One string per paragraph-like element of trafilatura's XML body."""
    blocks: list[str] = []
    for el in body:  # type: ignore[attr-defined]
        if el.tag == "list":
            blocks.extend(
                _clean_block(_element_text(item, frozenset({"list"}))) for item in el.iter("item")
            )
        elif el.tag == "table":
            rows = []
            for row in el.iter("row"):
                cells = [_clean_block(_element_text(cell)) for cell in row.iter("cell")]
                rows.append(" | ".join(c for c in cells if c))
            blocks.append("\n".join(r for r in rows if r))
        else:
            blocks.append(_clean_block(_element_text(el)))
    return [b for b in blocks if b]


def _same_text(a: str, b: str) -> bool:
    return _WS_RE.sub(" ", a).strip().casefold() == _WS_RE.sub(" ", b).strip().casefold()


def _fallback_title(page: str) -> str:
    """<title>, then the first <h1>: for pages where trafilatura finds no title."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(page.encode("utf-8"))
    except Exception:  # lxml raises several types on junk
        return ""
    for xpath in ("//title", "//h1"):
        for el in tree.xpath(xpath):
            text = _WS_RE.sub(" ", el.text_content()).strip()
            if text:
                return text
    return ""


def extract_html(page: str, name: str) -> tuple[str, str]:
    """(title, body) of an HTML page via trafilatura; raises when no article text is found.

    Main content only (no comments, navigation, scripts or styles), precision favoured,
    with one wider retry when the precise pass finds nothing (short pages), and for a
    fragment without ``<body>`` (pasted HTML) one more inside a minimal document. Paragraphs,
    headings, quotes and list items become "\\n\\n"-separated paragraphs; ``<br>`` becomes
    "\\n"; table rows become "cell | cell" lines. Title: trafilatura's metadata title,
    else ``<title>``, else the first ``<h1>``. A leading heading equal to the title is
    dropped from the body so the headline is not analysed twice.
    """
    import trafilatura

    title, blocks = "", []
    attempts = [(page, True), (page, False)]
    if "<body" not in page[:20_000].lower():  # a pasted fragment: give it a document
        attempts.append((f"<html><body><article>{page}</article></body></html>", False))
    for html, precision in attempts:
        try:
            doc = trafilatura.bare_extraction(
                html,
                include_comments=False,
                favor_precision=precision,
                with_metadata=True,
                include_tables=True,
            )
        except Exception as exc:  # trafilatura/lxml raise many types on malformed pages
            raise _error(name, f"could not parse the HTML ({type(exc).__name__})") from None
        if doc is None:
            continue
        title = title or (doc.title or "")
        blocks = _body_blocks(doc.body) if doc.body is not None else []
        if blocks:
            break
    if not blocks:
        raise _error(name, "no article text found in the HTML (only markup, scripts or menus)")
    title = _WS_RE.sub(" ", title).strip() or _fallback_title(page)
    if len(blocks) > 1 and title and _same_text(blocks[0], title):
        blocks.pop(0)
    return title, "\n\n".join(blocks)


# --------------------------------------------------------------------------- entry points


def _check_settings(settings: object, where: str) -> Settings:
    if settings is None:
        return Settings()
    if not isinstance(settings, Settings):
        raise TypeError(
            f"{where}: settings must be a retold.Settings, not {type(settings).__name__}"
        )
    return settings


_MD_H1_START_RE = re.compile(r"#[ \t]+\S")


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:1024].lower()
    if head.startswith(("<!doctype html", "<html")):
        return True
    return head.startswith(("<?xml", "<!--")) and "<html" in head


def detect_format(text: str, suffix: str = "", fmt: InputFormat = "auto") -> InputFormat:
    """HTML by extension or sniffing; Markdown by extension, or by a first-line ``# Title``
    when the extension is not ``.txt``; otherwise plain text."""
    if fmt != "auto":
        return fmt
    suffix = suffix.lower()
    if suffix in HTML_SUFFIXES or _looks_like_html(text):
        return "html"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix not in TEXT_SUFFIXES and _MD_H1_START_RE.match(text.lstrip()):
        return "markdown"
    return "text"


def _article_from_text(
    text: str, name: str, settings: Settings, suffix: str, fmt: InputFormat, what: str
) -> Article:
    _check_text_chars(text, name)
    text = normalise_text(text)
    if not text:
        raise _error(name, f"{what} contains only whitespace")
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
        raise _error(name, f"no article text found in the {what}")
    # Language first: Chinese or Japanese text has no spaces and would otherwise be
    # reported as "only 1 word", which hides the real problem.
    check_english(body, name, settings)
    words = len(body.split())
    if words < settings.min_words:
        raise _error(
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

    ``stdin`` replaces ``sys.stdin.buffer`` (tests, servers). ``fmt`` forces a format
    instead of deciding from the extension and content. ``origin`` is the path as given,
    or ``"<stdin>"``. Raises ``InputError`` (one line, starting with that name).
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
    return _article_from_text(text, name, settings, suffix, fmt, what)


def read_input(
    spec: str | os.PathLike[str], settings: Settings | None = None, *, allow_private: bool = False
) -> Article:
    """``read_article`` for paths and ``"-"``; a ``scheme://`` spec is fetched as a web page
    by the SSRF-guarded fetcher (``retold.inputs.fetch.read_url``; only http(s), private
    addresses refused unless ``allow_private``)."""
    spec = os.fspath(spec)
    if "://" in spec:
        from retold.inputs.fetch import read_url  # httpx only when a URL is given

        return read_url(spec, settings, allow_private)
    return read_article(spec, settings)


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
        raise _too_large(name, "input", len(data), settings.max_input_bytes)
    if not data:
        raise _error(name, "input is empty")
    text = decode_bytes(data, name)
    return _article_from_text(text, name, settings, Path(name).suffix, fmt, "input")


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
            raise _too_large(name, "input", size, limit)
    if not text:
        raise _error(name, "input is empty")
    return _article_from_text(text, name, settings, Path(name).suffix, fmt, "input")
