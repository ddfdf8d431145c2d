"""Bytes to clean text: size limits, binary sniffing, encodings, normalisation, and the
one-line ``InputError`` messages every reader uses."""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import BinaryIO

from retold.errors import InputError

_READ_CHUNK = 1 << 20
# Share of C0 control characters (other than tab/newline/CR/FF/VT) above which input is
# binary. Random bytes have ~10%; real text has none or a stray few.
_MAX_CONTROL_RATIO = 0.02
# Share of ASCII among letters above which a non-UTF-8 file is taken to be cp1252.
_CP1252_MIN_ASCII_LETTERS = 0.9


def error(name: str, problem: str) -> InputError:
    # Messages must stay on one line even for odd file names (the CLI prints them as is).
    line = f"{name}: {problem}"
    return InputError("".join("?" if unicodedata.category(c) == "Cc" else c for c in line))


def problem_of(exc: InputError, name: str) -> str:
    """What an ``error(name, ...)`` says, without its ``name: `` prefix (a ``Skipped``
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


def too_large(name: str, what: str, size: int | None, limit: int) -> InputError:
    if size is None:  # pipes and devices: we only know we passed the limit
        return error(
            name,
            f"{what} is larger than the limit of {format_size(limit)} (set max_input_bytes)",
        )
    shown, limit_shown = format_size(size), format_size(limit)
    if shown == limit_shown:  # "10.0 MB; the limit is 10.0 MB" would be confusing
        shown, limit_shown = f"{size:,} bytes", f"{limit:,} bytes"
    return error(name, f"{what} is {shown}; the limit is {limit_shown} (set max_input_bytes)")


def read_limited(stream: BinaryIO, limit: int) -> bytes:
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
    return error(name, f"looks like binary data, not text ({why})")


def _control_ratio(text: str) -> float:
    return len(_CONTROL_CHARS_RE.findall(text)) / len(text) if text else 0.0


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
        raise error(name, f"looks like {what}, not text")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                label = encoding.upper()
                raise error(
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
        raise error(name, "cannot decode the text: it is not UTF-8 and no other encoding fits")
    return text


_NEWLINES = {ord(c): "\n" for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}
_ODD_SPACES = {ord(c): " " for c in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"}
_ODD_SPACES.update({ord(c): " " for c in "\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"})
# Invisible characters that would split or glue words: soft hyphen (&shy;), zero-width
# space, BOM/ZWNBSP, word joiner; plus the rest of C0 and all of C1 (terminal escapes in
# CLI output, and latin-1 misreadings of cp1252 punctuation).
_INVISIBLE_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_TRAILING_SPACE_RE = re.compile(r"[ \t]+$", re.MULTILINE)
BLANK_LINES_RE = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Newlines, NFC, invisible characters and spacing, as described in the module doc."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_NEWLINES)
    text = _SURROGATE_RE.sub("\ufffd", text)  # lone surrogates would break JSON output
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE_RE.sub("", text).translate(_ODD_SPACES)
    text = _TRAILING_SPACE_RE.sub("", text)
    return BLANK_LINES_RE.sub("\n\n", text).strip()


def check_text_chars(text: str, name: str) -> None:
    if "\x00" in text:
        raise _binary_error(name, "it contains NUL characters")
    ratio = _control_ratio(text)
    if ratio > _MAX_CONTROL_RATIO:
        raise _binary_error(name, f"{ratio:.0%} control characters")
