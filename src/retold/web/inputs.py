"""Articles from web requests: pasted text, an uploaded file or a URL (through the
SSRF-guarded fetcher). Every problem is an ``InputError`` naming the form field."""

from __future__ import annotations

from retold.errors import InputError
from retold.inputs.decoding import decode_bytes
from retold.inputs.dispatch import read_input
from retold.inputs.reading import read_text_input
from retold.settings import Settings
from retold.types import Article


def http_urls(field: str, urls: list[str]) -> list[str]:
    """``urls`` stripped; the first that is not http(s) is an ``InputError`` naming ``field``
    (the fetcher would refuse it too, but only once the job runs)."""
    out = [u.strip() for u in urls]
    for u in out:
        if not u.lower().startswith(("http://", "https://")):
            raise InputError(f"{field}: only http(s) URLs are fetched, not {u[:80]!r}")
    return out


def article_from_parts(
    field: str,
    settings: Settings,
    *,
    text: str | None = None,
    url: str | None = None,
    upload: bytes | None = None,
    upload_name: str = "",
    allow_private: bool = False,
) -> Article:
    """Exactly one of ``text``, ``url`` and ``upload`` (empty ones are ignored)."""
    given = [
        k
        for k, v in (("text", text), ("url", url), ("file", upload))
        if v is not None and (v.strip() if isinstance(v, str) else len(v))
    ]
    if not given:
        raise InputError(f"{field}: give a text, a file or a URL")
    if len(given) > 1:
        raise InputError(f"{field}: give only one of text, file or URL (got {', '.join(given)})")
    if url is not None and url.strip():
        (url,) = http_urls(field, [url])
        return read_input(url, settings, allow_private=allow_private)
    if upload:
        if len(upload) > settings.max_input_bytes:
            raise InputError(
                f"{field}: file {upload_name or ''} is larger than the limit of "
                f"{settings.max_input_bytes:,} bytes"
            )
        name = f"{field} ({upload_name})" if upload_name else field
        suffix = upload_name.rsplit(".", 1)[-1].lower() if "." in upload_name else ""
        fmt = "html" if suffix in ("html", "htm", "xhtml") else "auto"
        return read_text_input(decode_bytes(upload, name), name, settings, fmt=fmt)
    assert text is not None
    return read_text_input(text, field, settings)
