"""`retold serve` never leaves its audit workers behind: SIGTERM (what systemd, docker and
kill send) stops them and the multiprocessing resource tracker, busy or idle, and a server
that dies without a word (SIGKILL, the OOM killer) takes them with it. Before the fix a
SIGTERM'd server's workers (~340 MB each) lived on with ppid 1.

The helpers here (a real server on a free 127.0.0.1 port, /proc readings) are shared with
tests/test_web_soak.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest

from tests.test_web_api import RETELLING, SOURCE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)"),
]
GONE_WITHIN_S = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state is [0], ppid [1])."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children(pid: int) -> dict[int, str]:
    """pid -> command line of every process whose parent is ``pid`` (any thread)."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and int(fields[1]) == pid:
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as fh:
                        out[int(entry)] = fh.read().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    pass
    return out


def alive(pid: int, start_time: str) -> bool:
    """Still running: not gone, not a zombie, and not another process that got its pid."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z" and fields[19] == start_time


def start_time(pid: int) -> str:
    fields = _stat(pid)
    assert fields is not None, pid
    return fields[19]


def rss_mb(pid: int) -> float:
    """Resident memory now (VmRSS), 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@contextmanager
def serve(
    tmp_path: Path, processes: int, *args: str, **toml: object
) -> Iterator[tuple[subprocess.Popen, str]]:
    """`retold serve` in a subprocess on a free loopback port; yields it and its base URL
    once /api/health answers. Stopped (and reaped) on exit whatever the test did."""
    config = tmp_path / "serve.toml"
    lines = [f"compare_processes = {processes}", "worker_stop_s = 5.0"]
    lines += [f"{k.removeprefix('web_')} = {v!r}" for k, v in toml.items()]
    config.write_text("[web]\n" + "\n".join(lines) + "\n")
    port = free_port()
    env = dict(os.environ, RETOLD_CONFIG=str(config))
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "retold", "serve", "--port", str(port), "--db",
         str(tmp_path / "serve.db"), *args],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "server did not answer /api/health"
            time.sleep(0.1)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        log.close()


def wait_for_workers(pid: int, workers: int) -> dict[int, str]:
    """The server's children once ``workers`` audit workers and the tracker are up."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        kids = children(pid)
        spawned = [c for c in kids.values() if "spawn_main" in c]
        if len(spawned) >= workers and any("resource_tracker" in c for c in kids.values()):
            return kids
        time.sleep(0.2)
    raise AssertionError(f"workers did not start: {children(pid)}")


def busy(base: str, n: int) -> list[threading.Thread]:
    """``n`` compare requests in flight (their outcome does not matter here)."""
    text = " ".join([SOURCE] * 60)  # ~2,500 words: an audit of a few seconds

    def one() -> None:
        with suppress(httpx.HTTPError):
            httpx.post(
                base + "/api/compare",
                json={"source": {"text": text}, "retelling": {"text": RETELLING * 40}},
                timeout=60,
            )

    threads = [threading.Thread(target=one, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def assert_all_gone(kids: dict[int, str], starts: dict[int, str], within: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < within:
        left = {pid: cmd for pid, cmd in kids.items() if alive(pid, starts[pid])}
        if not left:
            return time.monotonic() - t0
        time.sleep(0.1)
    left = {pid: kids[pid][:80] for pid in kids if alive(pid, starts[pid])}
    for pid in left:  # do not leave them running on the machine
        os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"still running {within:.0f} s after the server went: {left}")


@pytest.mark.parametrize("in_flight", [0, 4], ids=["idle", "busy"])
def test_sigterm_stops_workers_and_resource_tracker(tmp_path: Path, in_flight: int) -> None:
    with serve(tmp_path, 2, "--allowed-host", "retold.test") as (proc, base):
        port = base.rsplit(":", 1)[1]
        for host, status in (("retold.test", 200), ("127.0.0.1.evil.example", 403), ("", 400)):
            r = httpx.get(base + "/api/health", headers={"Host": f"{host}:{port}" if host else ""})
            assert r.status_code == status, (host, r.text)
        kids = wait_for_workers(proc.pid, 2)
        starts = {pid: start_time(pid) for pid in kids}
        threads = busy(base, in_flight)
        if in_flight:
            time.sleep(1.5)  # the workers are mid-audit
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=GONE_WITHIN_S + 10)
        server_s = time.monotonic() - t0
        children_s = assert_all_gone(kids, starts, GONE_WITHIN_S)
        for t in threads:
            t.join(timeout=30)
    print(f"SIGTERM ({in_flight} in flight): server {server_s:.1f} s, children +{children_s:.1f} s")
    assert server_s < GONE_WITHIN_S


def test_sigkill_of_the_server_ends_its_workers(tmp_path: Path) -> None:
    with serve(tmp_path, processes=2) as (proc, base):
        kids = wait_for_workers(proc.pid, 2)
        starts = {pid: start_time(pid) for pid in kids}
        threads = busy(base, 2)
        time.sleep(1.5)
        proc.kill()  # no lifespan shutdown, no atexit: the workers must notice on their own
        proc.wait(timeout=10)
        took = assert_all_gone(kids, starts, 10.0)
        for t in threads:
            t.join(timeout=30)
    print(f"SIGKILL: children gone {took:.1f} s after the server")
