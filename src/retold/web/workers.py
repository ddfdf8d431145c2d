"""Where the web app computes audits. An audit is ~100 ms of CPU-bound Python (spaCy,
numpy): threads would only fight over the GIL, so with ``web_compare_processes`` > 0 audits
run in that many worker processes (started with the server, each loads the models once),
and requests wait their turn without holding a server thread. With 0 they run in the
server process, one at a time (tests, small machines).

Workers never outlive the server: shutdown terminates them (``shutdown(wait=False)`` alone
leaves busy ones running, and uvicorn ends a SIGTERM'd process at once after its lifespan
shutdown), and each worker watches its parent and exits when it dies (SIGKILL, OOM kill).
Results come back as JSON bytes, measured and serialised off the event loop."""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor

from retold.settings import Settings
from retold.types import Article

_SETTINGS: Settings | None = None
PARENT_POLL_S = 1.0  # backs up the parent's pipe sentinel (a subreaper may adopt us)


def _watch_parent(parent_pid: int) -> None:
    """Exit this worker as soon as the server process is gone."""
    parent = multiprocessing.parent_process()
    sentinel = parent.sentinel if parent is not None else None
    while True:
        if sentinel is not None:
            # readable (EOF) once the parent's end of the pipe closes, i.e. when it dies
            if multiprocessing.connection.wait([sentinel], timeout=PARENT_POLL_S):
                break
        else:
            time.sleep(PARENT_POLL_S)
        if os.getppid() != parent_pid:
            break
    os._exit(0)  # nothing to flush: a half-done audit is worthless without its requester


def _init_worker(settings: Settings, parent_pid: int) -> None:
    global _SETTINGS
    _SETTINGS = settings
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True
    ).start()
    from retold.analysis.embed import get_encoder
    from retold.analysis.nlp import get_nlp

    get_nlp(settings.spacy_model)  # load now, not during the first request
    get_encoder(settings.embedding_model)


def _ready() -> int:
    return os.getpid()


def audit_dict(src: Article, ret: Article, judge: str, settings: Settings | None = None) -> dict:
    """The audit of ``ret`` against ``src`` as the JSON-contract dict."""
    from retold.audit.compare import compare
    from retold.report.jsonout import audit_to_dict

    st = settings or _SETTINGS or Settings()
    return audit_to_dict(compare(src, ret, settings=st, judge=judge))


def audit_json(src: Article, ret: Article, judge: str, settings: Settings | None = None) -> bytes:
    """``audit_dict`` serialised as the API sends it (compact UTF-8 JSON): its length is
    what the result cache counts, and bytes cross the process boundary cheaper than dicts."""
    data = audit_dict(src, ret, judge, settings)
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


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
                initargs=(settings, os.getpid()),
            )

    def start(self) -> list[Future[int]]:
        """Start every worker now (the pool would start them on demand): models load
        while the server already answers, not during the first requests."""
        if self._pool is None:
            return []
        return [self._pool.submit(_ready) for _ in range(self.processes)]

    def pids(self) -> list[int]:
        pool = self._pool
        procs = getattr(pool, "_processes", None) or {}
        return [p.pid for p in list(procs.values()) if p.pid is not None]

    async def audit(self, src: Article, ret: Article, judge: str) -> bytes:
        if self._pool is not None:
            return await asyncio.wrap_future(self._pool.submit(audit_json, src, ret, judge))
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(self._audit_here, src, ret, judge)

    def _audit_here(self, src: Article, ret: Article, judge: str) -> bytes:
        with self._lock:
            return audit_json(src, ret, judge, self.settings)

    def shutdown(self) -> None:
        """Stop the workers, busy or not: SIGTERM, then SIGKILL after web_worker_stop_s."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # ProcessPoolExecutor has no public handle on its processes before Python 3.14
        # (terminate_workers); _processes is the pid -> Process map it keeps
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            p.terminate()  # a no-op for one that already exited
        # wait on each exit sentinel rather than join(): the pool's manager thread reaps
        # the workers too, and two threads calling waitpid on one child race
        pending = {p.sentinel: p for p in procs}
        deadline = time.monotonic() + max(self.settings.web_worker_stop_s, 0.0)
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for ready in multiprocessing.connection.wait(list(pending), timeout=left):
                pending.pop(ready)  # type: ignore[call-overload]
        for p in pending.values():
            p.kill()
        # let the pool's manager thread notice and release its queues (bounded: a feeder
        # thread stuck on a full pipe must not hold up the exit), so their semaphores are
        # unlinked here rather than reported as leaked by the resource tracker
        manager = getattr(pool, "_executor_manager_thread", None)
        if manager is not None:
            manager.join(timeout=2.0)
        if manager is None or not manager.is_alive():
            pool.shutdown(wait=True)
        del pool
        gc.collect()
