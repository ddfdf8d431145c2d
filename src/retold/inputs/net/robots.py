"""robots.txt per origin (RFC 9309), fetched once through the guarded client."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from retold.errors import InputError
from retold.inputs.net.fetch import HTTPStatusError, fetch
from retold.inputs.net.guard import user_agent
from retold.inputs.net.politeness import HostLimiter
from retold.settings import Settings


class Robots:
    """robots.txt rules per origin (scheme://host:port), fetched once through the same
    guarded client and politeness limiter (RFC 9309): a missing robots.txt (4xx) allows
    everything; a server error (5xx) disallows the whole site; any other failure (refused
    address, timeout) allows, so the page fetch itself reports the real problem. Rules
    are matched against the User-Agent's product token (``retold``). Thread-safe."""

    def __init__(
        self,
        settings: Settings,
        *,
        allow_private: bool = False,
        client: httpx.Client | None = None,
        limiter: HostLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.allow_private = allow_private
        self.client = client
        self.limiter = limiter
        self.agent = user_agent(settings)
        self._lock = threading.Lock()
        self._origin_locks: dict[str, threading.Lock] = {}
        self._rules: dict[str, RobotFileParser | str] = {}

    def refusal(self, url: str) -> str | None:
        """Why robots.txt forbids ``url`` (None when allowed)."""
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None  # the fetch itself refuses it with a clearer reason
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        with self._lock:
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:  # one robots.txt request per origin, however many threads ask
            rules = self._rules.get(origin)
            if rules is None:
                rules = self._rules[origin] = self._load(origin)
        if isinstance(rules, str):
            return rules
        if rules.can_fetch(self.agent, url):
            return None
        return "disallowed by the site's robots.txt (set fetch_respect_robots = false to ignore)"

    def _load(self, origin: str) -> RobotFileParser | str:
        parser = RobotFileParser()
        try:
            fetched = fetch(
                origin + "/robots.txt",
                self.settings,
                allow_private=self.allow_private,
                client=self.client,
                limiter=self.limiter,
            )
        except HTTPStatusError as exc:
            if exc.status >= 500:
                return f"the site's robots.txt answers HTTP {exc.status}; RFC 9309 says wait"
            parser.allow_all = True
            return parser
        except InputError:
            parser.allow_all = True
            return parser
        parser.parse(fetched.body.decode("utf-8", "replace").splitlines())
        return parser
