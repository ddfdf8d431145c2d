"""Text to article body and title: plain text, Markdown and HTML (trafilatura), and
which of them an input is."""

from __future__ import annotations

import html as html_lib
import re
from typing import Literal

from retold.inputs.decoding import BLANK_LINES_RE, error

InputFormat = Literal["auto", "text", "markdown", "html"]
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd"})
TEXT_SUFFIXES = frozenset({".txt", ".text"})
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
    body = BLANK_LINES_RE.sub("\n\n", "\n".join(out)).strip("\n")
    return heading_title or title, body


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
            raise error(name, f"could not parse the HTML ({type(exc).__name__})") from None
        if doc is None:
            continue
        title = title or (doc.title or "")
        blocks = _body_blocks(doc.body) if doc.body is not None else []
        if blocks:
            break
    if not blocks:
        raise error(name, "no article text found in the HTML (only markup, scripts or menus)")
    title = _WS_RE.sub(" ", title).strip() or _fallback_title(page)
    if len(blocks) > 1 and title and _same_text(blocks[0], title):
        blocks.pop(0)
    return title, "\n\n".join(blocks)


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
