"""Where the web app computes audits. An audit is ~100 ms of CPU-bound Python (spaCy,
numpy): threads would only fight over the GIL, so with ``web_compare_processes`` > 0 audits
run in that many worker processes (each loads the models once, at start), and requests
wait their turn without holding a server thread. With 0 they run in the server process,
one at a time (tests, small machines)."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from retold.model import Article
from retold.settings import Settings

_SETTINGS: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _SETTINGS
    _SETTINGS = settings
    from retold.analyze.embed import get_encoder
    from retold.analyze.nlp import get_nlp

    get_nlp(settings.spacy_model)  # load now, not during the first request
    get_encoder(settings.embedding_model)


def audit_dict(src: Article, ret: Article, judge: str, settings: Settings | None = None) -> dict:
    """The audit of ``ret`` against ``src`` as the JSON-contract dict."""
    from retold.audit.compare import compare
    from retold.report.jsonout import audit_to_dict

    st = settings or _SETTINGS or Settings()
    return audit_to_dict(compare(src, ret, settings=st, judge=judge))


class ComparePool:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.processes = max(settings.web_compare_processes, 0)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        if self.processes:
            # spawn, not fork: the server has threads, and a forked copy of a lock held by
            # one of them would never be released in the child
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(settings,),
            )

    async def audit(self, src: Article, ret: Article, judge: str) -> dict[str, Any]:
        if self._pool is not None:
            return await asyncio.wrap_future(self._pool.submit(audit_dict, src, ret, judge))
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(self._audit_here, src, ret, judge)

    def _audit_here(self, src: Article, ret: Article, judge: str) -> dict[str, Any]:
        with self._lock:
            return audit_dict(src, ret, judge, self.settings)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
