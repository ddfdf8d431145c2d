"""Being a good crawler: per-host concurrency and delay between requests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from retold.settings import Settings


class HostLimiter:
    """Per-host politeness: at most ``per_host`` requests in flight to one host, and at
    least ``min_delay_s`` between two request starts to it. Thread-safe."""

    def __init__(self, per_host: int = 2, min_delay_s: float = 0.5) -> None:
        self.per_host = max(int(per_host), 1)
        self.min_delay_s = max(float(min_delay_s), 0.0)
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> HostLimiter:
        return cls(settings.fetch_per_host_concurrency, settings.fetch_host_delay_s)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of ``host``'s slots, starting no sooner than its next free time."""
        with self._lock:
            sem = self._slots.setdefault(host, threading.BoundedSemaphore(self.per_host))
        sem.acquire()
        try:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self.min_delay_s
            if start > now:
                time.sleep(start - now)
            yield
        finally:
            sem.release()
