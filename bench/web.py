"""Benchmark `retold serve`: a bounded load test of the compare API on 127.0.0.1.

Starts the server in a subprocess, then ``--clients`` concurrent clients post ~600-word
source/retelling pairs to ``/api/compare`` for ``--seconds``. Every request carries a unique
sentence in both texts, so nothing is answered from the analysis cache. Prints one JSON
object: requests/s, p50/p95/max latency, errors (must be zero), the peak RSS of the server
and of its audit workers, how long SIGTERM took and how many children outlived it (0).

    .venv/bin/python bench/web.py [--clients 50] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import httpx
from demo_pairs import demo_pairs


def _peak_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            kids = [int(p) for p in fh.read().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def _memory(pid: int) -> dict[str, float]:
    """Peak RSS of the server and of its audit worker processes (read before it stops)."""
    workers = [_peak_rss_mb(p) for p in _children(pid)]
    server = _peak_rss_mb(pid)
    return {
        "server_peak_rss_mb": server,
        "worker_peak_rss_mb": workers,
        "total_peak_rss_mb": round(server + sum(workers), 1),
    }


async def _load(base: str, clients: int, seconds: float, pairs: list[tuple[str, str]]) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def worker(w: int) -> None:
            nonlocal counter
            while time.monotonic() < deadline:
                counter += 1
                src, ret = pairs[counter % len(pairs)]
                tag = f"\n\nRequest {counter} from client {w} was logged by the desk."
                payload = {"source": {"text": src + tag}, "retelling": {"text": ret + tag}}
                t = time.perf_counter()
                try:
                    r = await client.post("/api/compare", json=payload)
                    if r.status_code != 200:
                        errors[f"HTTP {r.status_code}"] = errors.get(f"HTTP {r.status_code}", 0) + 1
                        continue
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    continue
                latencies.append((time.perf_counter() - t) * 1000)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(clients)))
        wall = time.perf_counter() - t0
    lat = sorted(latencies)
    return {
        "requests": len(lat),
        "wall_s": round(wall, 1),
        "requests_per_s": round(len(lat) / wall, 2),
        "latency_ms": {
            "p50": round(statistics.median(lat), 1) if lat else None,
            "p95": round(lat[int(0.95 * (len(lat) - 1))], 1) if lat else None,
            "max": round(lat[-1], 1) if lat else None,
        },
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--words", type=int, default=600)
    args = ap.parse_args()

    (_, source), retellings = demo_pairs(args.words)
    pairs = [(source, text) for _, text in retellings]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, RETOLD_CONFIG=os.devnull)
    server = subprocess.Popen(
        [sys.executable, "-m", "retold", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    result: dict = {}
    try:
        t0 = time.perf_counter()
        while True:
            try:
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.perf_counter() - t0 > 60:
                sys.exit(f"bench/web.py: server did not start: {server.stderr.read().decode()}")
            time.sleep(0.1)
        # warm-up: the first compare loads spaCy and the embeddings
        httpx.post(
            base + "/api/compare",
            json={"source": {"text": pairs[0][0]}, "retelling": {"text": pairs[0][1]}},
            timeout=120,
        )
        startup_s = time.perf_counter() - t0
        result.update(asyncio.run(_load(base, args.clients, args.seconds, pairs)))
        result.update(_memory(server.pid))
        result.update(
            {
                "clients": args.clients,
                "seconds": args.seconds,
                "words_per_article": args.words,
                "server_startup_and_warmup_s": round(startup_s, 1),
                "cpus": os.cpu_count(),
            }
        )
    finally:
        kids = _children(server.pid)
        t_stop = time.perf_counter()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        result["shutdown_s"] = round(time.perf_counter() - t_stop, 2)
        time.sleep(1.0)
        # audit workers and the resource tracker must end with the server (SIGTERM)
        result["children_left_after_stop"] = sum(_running(k) for k in kids)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
