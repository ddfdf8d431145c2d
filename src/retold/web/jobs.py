"""Background jobs for the web app: long work (ingesting URLs and datasets) runs in a small
thread pool while the request returns at once; the job's state and progress are polled.

Jobs live in memory (a restart forgets them; the articles they stored stay stored). The
registry keeps the newest ``kept`` finished jobs and drops older ones.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from retold.errors import RetoldError

JobState = Literal["queued", "running", "done", "failed"]
# a job function gets a callback to report progress (any JSON-able dict) and returns a result
JobFn = Callable[[Callable[[dict[str, Any]], None]], dict[str, Any]]


@dataclass
class Job:
    id: str
    kind: str
    state: JobState = "queued"
    progress: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None

    def to_dict(self) -> dict[str, Any]:
        end = self.finished or time.time()
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "progress": dict(self.progress),
            "result": self.result,
            "error": self.error,
            "seconds": round(end - self.started, 3) if self.started else 0.0,
        }


class JobRegistry:
    def __init__(self, workers: int = 1, kept: int = 200) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._kept = max(kept, 1)

    def submit(self, kind: str, fn: JobFn) -> Job:
        job = Job(id=secrets.token_hex(8), kind=kind)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job, fn)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _run(self, job: Job, fn: JobFn) -> None:
        job.state, job.started = "running", time.time()

        def progress(update: dict[str, Any]) -> None:
            job.progress = dict(update)

        try:
            job.result = fn(progress)
            job.state = "done"
        except RetoldError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # a job must end in a state, never vanish
            job.error, job.state = f"internal error: {type(exc).__name__}: {exc}", "failed"
        finally:
            job.finished = time.time()

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.state in ("done", "failed")]
        for key in finished[: max(len(finished) - self._kept, 0)]:
            del self._jobs[key]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
