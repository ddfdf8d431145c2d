"""What the web app holds between requests: settings, the store location, the background
job registry, the compare worker pool, a cache of recent compare results (their JSON),
bounded by count and by bytes, and the last site profiles (one result, see
``web.site_services``). One ``WebState`` per app; routers reach it with ``state_of(request)``."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request

from retold.settings import Settings
from retold.web.jobs import JobRegistry
from retold.web.workers import ComparePool


@dataclass
class WebState:
    settings: Settings
    db: str | None = None  # store location (None: the default SQLite file)
    token: str | None = None
    allow_private: bool = False  # URLs may reach private addresses (serve --allow-private)
    files_root: Path | None = None  # server-side files the ingest API may read
    jobs: JobRegistry = field(init=False)
    # result id -> the audit's JSON: bytes, so the budget counts what is really held
    results: OrderedDict[str, bytes] = field(default_factory=OrderedDict)
    results_bytes: int = 0
    pool: ComparePool = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # the last ``retold.sites`` result: (store stamp, judge) -> SitesResult (``site_services``)
    sites: tuple[Any, Any] | None = None
    sites_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        st = self.settings
        self.jobs = JobRegistry(st.web_job_workers, st.web_jobs_kept)
        self.pool = ComparePool(st)

    def remember(self, result_id: str, payload: bytes) -> bool:
        """Keep a result, dropping the oldest past ``web_results_kept`` results or
        ``web_results_max_bytes`` bytes; False (not kept) when it alone is over the budget."""
        budget = self.settings.web_results_max_bytes
        if len(payload) > budget:
            return False
        with self.lock:
            self.results[result_id] = payload
            self.results_bytes += len(payload)
            while (
                len(self.results) > max(self.settings.web_results_kept, 1)
                or self.results_bytes > budget
            ):
                _, old = self.results.popitem(last=False)
                self.results_bytes -= len(old)
        return True

    def result(self, result_id: str) -> bytes | None:
        with self.lock:
            return self.results.get(result_id)

    @contextmanager
    def store(self) -> Iterator[Any]:
        """The article store, open for one request or job."""
        from retold.store import open_store

        store = open_store(self.db, self.settings)
        try:
            yield store
        finally:
            store.close()


def state_of(request: Request) -> WebState:
    """The app's ``WebState`` (set by ``create_app``)."""
    return request.app.state.retold
