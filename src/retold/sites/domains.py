"""Which site an article belongs to: its registrable domain, subdomains folded.

``news.bbc.co.uk`` and ``amp.bbc.co.uk`` are both ``bbc.co.uk`` (the public-suffix list
knows ``co.uk`` is a suffix); punycode hosts are shown in Unicode so ``xn--bcher-kva.de``
and ``bücher.de`` are one site; aliases from the settings fold mirrors and look-alike
hosts into one outlet; link shorteners name no outlet and are flagged. The public-suffix
snapshot bundled with ``tldextract`` is used: never the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from retold.settings import Settings

NO_SITE = "(no site)"


@dataclass(frozen=True)
class SiteName:
    site: str  # registrable domain (or NO_SITE)
    host: str  # the host as found, lower-case, Unicode
    shortener: bool = False  # the URL is a short link: the site is the shortener's


@lru_cache(maxsize=1)
def _extractor():  # noqa: ANN202 - tldextract has no public type for it
    import tldextract

    # suffix_list_urls=(): the snapshot shipped with the package, no download. Private
    # suffixes too: enggpt.blogspot.com is one blogger's site, not "blogspot.com"
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


def _decode_label(label: str) -> str:
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        return label  # a broken punycode label stays as written


def unicode_host(host: str) -> str:
    """Lower-case host with punycode labels decoded (``xn--bcher-kva`` -> ``bücher``)."""
    host = host.strip().strip(".").lower()
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            label = _decode_label(label)
        labels.append(label)
    return ".".join(labels)


def host_of(url: str) -> str:
    """The host of an http(s) URL, or of a bare ``host/path``; "" when there is none."""
    url = url.strip()
    if not url:
        return ""
    if "://" not in url:
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return unicode_host(host)


@lru_cache(maxsize=100_000)
def registrable(host: str) -> str:
    """``news.bbc.co.uk`` -> ``bbc.co.uk``; an IP address or a bare name stays as it is."""
    if not host:
        return ""
    ext = _extractor()(host)
    if hasattr(ext, "top_domain_under_public_suffix"):  # tldextract >= 5.3
        domain = ext.top_domain_under_public_suffix
    else:
        domain = ext.registered_domain
    return unicode_host(domain or host)


def _alias_map(settings: Settings) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in settings.sites_aliases:
        alias, _, site = pair.partition("=")
        if alias.strip() and site.strip():
            out[registrable(unicode_host(alias))] = registrable(unicode_host(site))
    return out


class SiteNamer:
    """Names sites with the aliases and shorteners of one ``Settings``."""

    def __init__(self, settings: Settings) -> None:
        self.aliases = _alias_map(settings)
        self.shorteners = {unicode_host(h) for h in settings.sites_shorteners}

    def __call__(self, url: str, site: str = "") -> SiteName:
        """The site of an article from its URL, else from its stored ``site`` field."""
        host = host_of(url) or host_of(site)
        if not host:
            return SiteName(NO_SITE, "")
        domain = registrable(host)
        short = host in self.shorteners or domain in self.shorteners
        return SiteName(self.aliases.get(domain, domain), host, short)
