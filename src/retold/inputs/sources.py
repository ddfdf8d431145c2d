"""Turn ingest SOURCES (files, folders, globs, JSONL, CSV, Parquet, WARC/ARC crawls, web
pages, RSS/Atom feeds and sitemaps) into a stream of ``Article``s (``SourceArticle``s, with
url/site/date when known) and ``Skipped`` inputs.

Everything streams: folders are walked lazily, JSONL and CSV are read line by line, Parquet
one record batch at a time, so memory stays flat however large the input is.

- Article files (``.txt``, ``.md``, ``.html``, ...) go through ``read_article``; its
  ``InputError`` becomes ``Skipped(path, reason)``.
- Dataset files (``.jsonl``/``.ndjson``, ``.csv``, ``.parquet``): one article per record.
  The text, title, url, date and site come from columns named by a ``ColumnMapping``
  (defaults ``text``, ``title``, ``url``, ``date`` or ``published``, ``site``). A bad record
  is skipped with ``origin = "path:LINE"`` (JSONL, CSV) or ``"path#ROW"`` (Parquet); a CSV or
  Parquet file without the text column is a one-line ``InputError``.
- Record text that is HTML is extracted with trafilatura; otherwise it is normalised and
  checked (binary characters, English, ``min_words``) like a file, but kept whole: no
  first-line title is split off, so exported text re-ingests to the same content hash.
- WARC/ARC files (``.warc``, ``.warc.gz``, ``.arc``, ``.arc.gz``): one article per HTML
  response record (``retold.inputs.warc``).
- ``http(s)://`` specs: fetched through the SSRF-guarded fetcher (``retold.inputs.net``;
  private addresses refused unless ``allow_private``), a feed or sitemap is followed, any
  other page read as an article (``retold.inputs.feeds``). Consecutive URL specs are
  fetched together, several at a time; other schemes are skipped with a reason.
- Paths: a spec with ``..`` is resolved and reported by its real path; in a folder,
  symbolic links are not followed: one pointing outside the folder is skipped with a reason,
  hidden files and folders are ignored, and other file types are skipped with a reason.
"""

from __future__ import annotations

import csv
import glob
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from retold.errors import InputError, RetoldError
from retold.inputs.decoding import (
    check_text_chars,
    error,
    format_size,
    normalise_text,
    problem_of,
    sniff_binary,
)
from retold.inputs.formats import (
    HTML_SUFFIXES,
    MARKDOWN_SUFFIXES,
    TEXT_SUFFIXES,
    detect_format,
    extract_html,
)
from retold.inputs.language import check_english
from retold.inputs.reading import read_article
from retold.inputs.warc import is_warc_path, iter_warc
from retold.settings import Settings
from retold.store.base import Skipped, SourceArticle
from retold.types import Article

ARTICLE_SUFFIXES = HTML_SUFFIXES | MARKDOWN_SUFFIXES | TEXT_SUFFIXES
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
CSV_SUFFIXES = frozenset({".csv"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
DATASET_SUFFIXES = JSONL_SUFFIXES | CSV_SUFFIXES | PARQUET_SUFFIXES
SUPPORTED_SUFFIXES = ARTICLE_SUFFIXES | DATASET_SUFFIXES
_GLOB_CHARS = frozenset("*?[")
_PARQUET_BATCH_ROWS = 1024

Item = Article | Skipped


# --------------------------------------------------------------------------- column mapping


@dataclass(frozen=True)
class ColumnMapping:
    """Dataset column names to try, in order, for each article field."""

    text: tuple[str, ...] = ("text",)
    title: tuple[str, ...] = ("title",)
    url: tuple[str, ...] = ("url",)
    date: tuple[str, ...] = ("date", "published")
    site: tuple[str, ...] = ("site",)
    author: tuple[str, ...] = ("author", "byline")

    @classmethod
    def parse(cls, specs: str | Iterable[str] | None) -> ColumnMapping:
        """``"text=body,title=headline"`` (or several such strings) over the defaults."""
        if specs is None:
            return cls()
        if isinstance(specs, str):
            specs = [specs]
        overrides: dict[str, tuple[str, ...]] = {}
        fields = cls.__dataclass_fields__
        for spec in specs:
            for part in spec.split(","):
                if not part.strip():
                    continue
                key, sep, column = part.partition("=")
                key, column = key.strip(), column.strip()
                if not sep or not column:
                    raise RetoldError(f"--map: expected FIELD=COLUMN, got {part.strip()!r}")
                if key not in fields:
                    raise RetoldError(
                        f"--map: unknown field {key!r}; use one of {', '.join(fields)}"
                    )
                overrides[key] = (column,)
        return replace(cls(), **overrides)

    def pick(self, field_name: str, names: Iterable[str]) -> str | None:
        """The first candidate column for ``field_name`` that is among ``names``."""
        present = set(names)
        return next((c for c in getattr(self, field_name) if c in present), None)


# --------------------------------------------------------------------------- records


def _value(row: dict[str, Any], columns: tuple[str, ...]) -> Any:
    for column in columns:
        value = row.get(column)
        if value is not None and value != "":
            return value
    return None


def _as_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return " ".join(str(value).split())


def record_article(
    row: dict[str, Any], origin: str, mapping: ColumnMapping, settings: Settings
) -> Item:
    """One dataset record as an article, or the reason it cannot be one."""
    raw = _value(row, mapping.text)
    if raw is None:
        return Skipped(origin, f"no text in column {'/'.join(mapping.text)!r}")
    if not isinstance(raw, str):
        return Skipped(origin, f"column {mapping.text[0]!r} is {type(raw).__name__}, not text")
    if len(raw) > settings.max_input_bytes // 4:
        size = len(raw.encode("utf-8", "surrogatepass"))
        if size > settings.max_input_bytes:
            return Skipped(
                origin,
                f"text is {format_size(size)}; the limit is "
                f"{format_size(settings.max_input_bytes)} (set max_input_bytes)",
            )
    try:
        check_text_chars(raw, origin)
        text = normalise_text(raw)
        title = ""
        if text and detect_format(text) == "html":
            title, text = extract_html(text, origin)
            text = normalise_text(text)
        if not text:
            return Skipped(origin, "text is empty")
        check_english(text, origin, settings)
    except InputError as exc:
        return Skipped(origin, problem_of(exc, origin))
    words = len(text.split())
    if words < settings.min_words:
        return Skipped(
            origin,
            f"only {words} word{'s' if words != 1 else ''} of article text; "
            f"at least {settings.min_words} are needed (set min_words)",
        )
    mapped_title = _as_str(_value(row, mapping.title))
    return SourceArticle(
        text=text,
        title=mapped_title or " ".join(title.split()),
        origin=origin,
        language="en",
        url=_as_str(_value(row, mapping.url)),
        site=_as_str(_value(row, mapping.site)),
        published=_as_str(_value(row, mapping.date)),
        author=_as_str(_value(row, mapping.author)),
    )


def _sniff_dataset(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        return f"cannot read the file ({exc.strerror or exc})"
    if not head:
        return "file is empty"
    what = sniff_binary(head)
    return f"looks like {what}, not text" if what else None


def _lines(fh: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line; ``None`` for a line longer than ``limit``, which is
    skipped without ever holding more than ``limit`` bytes of it."""
    lineno = 0
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        lineno += 1
        if len(line) > limit and not line.endswith(b"\n"):
            while True:  # discard the rest of the long line
                rest = fh.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield lineno, None
        else:
            yield lineno, line


def iter_jsonl(
    path: str, settings: Settings, mapping: ColumnMapping, name: str | None = None
) -> Iterator[Item]:
    name = name or path
    problem = _sniff_dataset(path)
    if problem:
        yield Skipped(name, problem)
        return
    limit = settings.max_input_bytes * 2 + 1024  # JSON escapes can double the text size
    with open(path, "rb") as fh:
        for lineno, line in _lines(fh, limit):
            origin = f"{name}:{lineno}"
            if line is None:
                yield Skipped(origin, f"line is longer than {format_size(limit)}")
                continue
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except UnicodeDecodeError:
                yield Skipped(origin, "line is not valid UTF-8")
                continue
            except json.JSONDecodeError as exc:
                yield Skipped(origin, f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            except RecursionError:
                yield Skipped(origin, "not valid JSON (nested too deeply)")
                continue
            if not isinstance(row, dict):
                yield Skipped(origin, f"expected a JSON object, got {type(row).__name__}")
                continue
            yield record_article(row, origin, mapping, settings)


def iter_csv(
    path: str, settings: Settings, mapping: ColumnMapping, name: str | None = None
) -> Iterator[Item]:
    name = name or path
    problem = _sniff_dataset(path)
    if problem:
        yield Skipped(name, problem)
        return
    bad_lines: set[int] = set()

    def decoded(fh: BinaryIO) -> Iterator[str]:
        for lineno, line in _lines(fh, settings.max_input_bytes * 2 + 1024):
            if line is None:
                bad_lines.add(lineno)
                yield "\n"
                continue
            if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError:
                bad_lines.add(lineno)
                yield line.decode("utf-8", "replace")

    csv.field_size_limit(max(settings.max_input_bytes * 2, 131072))
    with open(path, "rb") as fh:
        reader = csv.reader(decoded(fh))
        try:
            header = next(reader)
        except StopIteration:
            yield Skipped(name, "file is empty")
            return
        except csv.Error as exc:
            yield Skipped(name, f"not a valid CSV file ({exc})")
            return
        header = [h.strip() for h in header]
        if mapping.pick("text", header) is None:
            raise error(  # error keeps it one line: a quoted header may hold line breaks
                name,
                f"no text column {'/'.join(mapping.text)!r} (columns: "
                f"{', '.join(header[:20]) or 'none'}); name it with --map text=COLUMN",
            )
        last_line = reader.line_num
        while True:
            start = last_line + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                last_line = reader.line_num
                yield Skipped(f"{name}:{start}", f"not valid CSV ({exc})")
                continue
            end = last_line = reader.line_num
            origin = f"{name}:{start}"
            if not any(f.strip() for f in fields):
                continue
            if any(start <= n <= end for n in bad_lines):
                yield Skipped(origin, "row is not valid UTF-8 or has a line that is too long")
                continue
            if len(fields) != len(header):
                yield Skipped(origin, f"row has {len(fields)} fields; the header has {len(header)}")
                continue
            yield record_article(dict(zip(header, fields, strict=True)), origin, mapping, settings)


def iter_parquet(
    path: str,
    settings: Settings,
    mapping: ColumnMapping,
    name: str | None = None,
    row_groups: range | None = None,
) -> Iterator[Item]:
    """One article per record; ``row_groups``: those row groups only (a part of a large
    file read by one task of ``retold run``), records still numbered from the file's start."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = name or path
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as exc:  # corrupt strings: UnicodeDecodeError
        yield Skipped(name, f"not a valid Parquet file ({' '.join(str(exc).split())[:200]})")
        return
    names = pf.schema_arrow.names
    if mapping.pick("text", names) is None:
        raise error(
            name,
            f"no text column {'/'.join(mapping.text)!r} (columns: "
            f"{', '.join(names[:20]) or 'none'}); name it with --map text=COLUMN",
        )
    wanted = {c for f in mapping.__dataclass_fields__ for c in getattr(mapping, f)}
    columns = [n for n in names if n in wanted]
    groups = list(row_groups) if row_groups is not None else None
    index = sum(pf.metadata.row_group(g).num_rows for g in range(groups[0])) if groups else 0
    try:
        for batch in pf.iter_batches(
            batch_size=_PARQUET_BATCH_ROWS, columns=columns, row_groups=groups
        ):
            for row in batch.to_pylist():
                index += 1
                yield record_article(row, f"{name}#{index}", mapping, settings)
    except (pa.ArrowException, OSError, ValueError) as exc:  # corrupt strings: UnicodeDecodeError
        detail = " ".join(str(exc).split())[:200]  # pyarrow messages span several lines
        yield Skipped(f"{name}#{index + 1}", f"unreadable Parquet data ({detail})")


# --------------------------------------------------------------------------- files and folders


def _read_one(path: str, settings: Settings, mapping: ColumnMapping, name: str) -> Iterator[Item]:
    suffix = Path(path).suffix.lower()
    if is_warc_path(path):
        yield from iter_warc(path, settings, name)
    elif suffix in JSONL_SUFFIXES:
        yield from iter_jsonl(path, settings, mapping, name)
    elif suffix in CSV_SUFFIXES:
        yield from iter_csv(path, settings, mapping, name)
    elif suffix in PARQUET_SUFFIXES:
        yield from iter_parquet(path, settings, mapping, name)
    else:
        try:
            yield read_article(path, settings)
        except InputError as exc:
            yield Skipped(name, problem_of(exc, path))


def _walk(root: Path, settings: Settings, mapping: ColumnMapping) -> Iterator[Item]:
    """Files under ``root`` (already resolved), sorted, hidden entries ignored, symbolic
    links not followed."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        here = Path(dirpath)
        for d in list(dirnames):
            p = here / d
            if p.is_symlink():
                dirnames.remove(d)
                yield _symlink_skip(p, root, "folder")
        for fname in sorted(filenames):
            if fname.startswith("."):
                continue
            p = here / fname
            if p.is_symlink():
                real = p.resolve()
                if not real.is_relative_to(root):
                    yield _symlink_skip(p, root, "file")
                    continue
            suffix = p.suffix.lower()
            if suffix not in SUPPORTED_SUFFIXES and not is_warc_path(fname):
                yield Skipped(
                    str(p),
                    f"unsupported file type ({suffix or 'no extension'}); expected "
                    ".txt, .md, .html, .jsonl, .csv, .parquet, .warc or .arc",
                )
                continue
            yield from _read_one(str(p), settings, mapping, str(p))


def _symlink_skip(p: Path, root: Path, kind: str) -> Skipped:
    real = p.resolve()
    if real.is_relative_to(root):
        return Skipped(str(p), f"symbolic link to a {kind} is not followed ({real})")
    return Skipped(str(p), f"symbolic link points outside {root} (to {real})")


def source_specs(
    specs: Iterable[str | os.PathLike[str]] | str | os.PathLike[str], where: str
) -> Iterable[str | os.PathLike[str]]:
    """``specs`` checked: a lone str/PathLike is one source (not its characters); anything
    else must be an iterable of them, or it is a ``TypeError`` naming the culprit (now for
    the container; for each item as it is reached, so a long stream stays a stream)."""
    if isinstance(specs, str | os.PathLike):
        return [specs]
    if isinstance(specs, bytes | bytearray) or not isinstance(specs, Iterable):
        raise TypeError(
            f"{where}: sources must be a path, a URL or an iterable of them, not "
            f"{type(specs).__name__}"
        )
    if isinstance(specs, list | tuple):  # a list is checked at once, before any work
        return list(_checked_specs(specs, where))
    return _checked_specs(specs, where)


def _checked_specs(specs: Iterable[object], where: str) -> Iterator[str | os.PathLike[str]]:
    for k, spec in enumerate(specs):
        if not isinstance(spec, str | os.PathLike):
            raise TypeError(
                f"{where}: source {k} must be a path or URL (str or os.PathLike), not "
                f"{type(spec).__name__}"
            )
        yield spec


def iter_sources(
    specs: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    settings: Settings | None = None,
    mapping: ColumnMapping | None = None,
    allow_private: bool = False,
) -> Iterator[Item]:
    """Every article (or skipped input) from ``specs``: files, folders (recursive), glob
    patterns (``**`` recursive), ``-`` (one article on stdin) and URLs (pages, feeds,
    sitemaps; ``allow_private`` lets them reach private and loopback addresses)."""
    specs = source_specs(specs, "iter_sources")
    settings = settings or Settings()
    mapping = mapping or ColumnMapping()
    urls: list[str] = []
    for raw in specs:
        spec = os.fspath(raw)
        if "://" in spec:  # gathered so that neighbouring URLs are fetched concurrently
            urls.append(spec)
            continue
        if urls:
            yield from _urls(urls, settings, allow_private)
            urls = []
        if spec == "-":
            try:
                yield read_article("-", settings)
            except InputError as exc:
                yield Skipped("<stdin>", problem_of(exc, "<stdin>"))
            continue
        path = Path(os.path.expanduser(spec))
        if not path.exists() and not path.is_symlink() and _GLOB_CHARS & set(spec):
            matches = sorted(glob.iglob(os.path.expanduser(spec), recursive=True))
            if not matches:
                yield Skipped(spec, "no files match this pattern")
            for match in matches:
                yield from _one_spec(match, settings, mapping)
            continue
        yield from _one_spec(spec, settings, mapping)
    if urls:
        yield from _urls(urls, settings, allow_private)


def _urls(urls: list[str], settings: Settings, allow_private: bool) -> Iterator[Item]:
    from retold.inputs.feeds import iter_url_sources  # httpx only when URLs are given

    yield from iter_url_sources(urls, settings, allow_private)


def _one_spec(spec: str, settings: Settings, mapping: ColumnMapping) -> Iterator[Item]:
    path = Path(os.path.expanduser(spec))
    if ".." in path.parts:  # report where it really points
        path = path.resolve()
        spec = str(path)
    if path.is_dir():
        yield from _walk(path.resolve(), settings, mapping)
    elif not path.exists():
        yield Skipped(spec, "no such file or directory")
    else:
        yield from _read_one(str(path), settings, mapping, spec)


def estimate_total(specs: Iterable[str | os.PathLike[str]]) -> int | None:
    """A quick upper estimate of how many records ``iter_sources`` will yield (for a
    progress bar's ETA): files are counted, JSONL/CSV lines counted, Parquet rows read
    from metadata. None when unknown (stdin, URLs)."""
    total = 0
    for raw in specs:
        spec = os.fspath(raw)
        if spec == "-" or "://" in spec:
            return None
        path = Path(os.path.expanduser(spec))
        if path.exists():
            paths: Iterable[str] = [str(path)]
        else:
            paths = glob.iglob(os.path.expanduser(spec), recursive=True)
        for p in paths:
            if os.path.isdir(p):
                for dirpath, dirnames, filenames in os.walk(p):
                    dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                    for f in filenames:
                        if not f.startswith("."):
                            total += _count_records(os.path.join(dirpath, f))
            else:
                total += _count_records(p)
    return total


def _count_records(path: str) -> int:
    suffix = Path(path).suffix.lower()
    try:
        if suffix in PARQUET_SUFFIXES:
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        if suffix in JSONL_SUFFIXES or suffix in CSV_SUFFIXES:
            n = 0
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    n += chunk.count(b"\n")
            return max(n - (suffix in CSV_SUFFIXES), 1)
    except Exception:  # an estimate only: the real read reports the problem
        return 1
    return 1
