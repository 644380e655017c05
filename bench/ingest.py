"""Ingest throughput, latency and memory of the HTTP service against a live server.

What it measures
----------------
* Calls: 1,500-word Russian realty phone calls in plain text, built by `bench/engine.py`'s
  `build_call` from a pool of `--texts` seeds (different exchanges per seed), each sent with
  a unique external_id per run (a random run id), one of 50 managers in 5 teams, and a
  start time spread over 30 days.
* Batch ingest: `--batch-calls` calls in `POST /v1/calls/batch` requests of `--batch-size`,
  sent by `--batch-clients` concurrent connections; calls/s = calls stored / wall time.
* Single ingest: `--single-calls` calls, one `POST /v1/calls` each, over 50 keep-alive
  connections. Closed loop (each client sends its next call when the last one is answered:
  the saturated worst case), then open loop (`--rate` calls/s in total, Poisson arrivals,
  like 50 platforms posting as their calls end). p50/p95/p99 per phase.
* Server memory: RSS and peak RSS (VmHWM) of every uvicorn process after the run.
* The load generator is a minimal asyncio HTTP/1.1 client with pre-encoded bodies, so it
  takes as little of the machine's CPU as possible; it still shares the cores with the
  server and PostgreSQL, and the figures say how many cores there are.

Targets (printed, never asserted): batch >= 300 calls/s, single p95 <= 50 ms at 50 clients,
RSS <= 250 MB per worker.

Run it
------
    uv run python bench/ingest.py                      # starts `callqa serve` on a fresh
                                                       # embedded PostgreSQL, 2 workers
    uv run python bench/ingest.py --workers 1
    uv run python bench/ingest.py --url http://127.0.0.1:8000 --server-pid PID
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/ingest.py` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

from bench.engine import build_call  # noqa: E402

CLIENTS = 50


class Connection:
    """One keep-alive HTTP/1.1 connection; just enough protocol for this benchmark."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head)
        self.writer.write(body)
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def make_calls(n: int, texts: list[str], run_id: str, first: int = 0) -> list[dict[str, Any]]:
    """n distinct calls with unique external ids for this run."""
    rng = random.Random(first)
    calls = []
    for i in range(first, first + n):
        manager = rng.randrange(50)
        calls.append(
            {
                "external_id": f"bench-{run_id}-{i}",
                "source": "bench",
                "manager_id": f"bench-m{manager:02d}",
                "team_id": f"bench-t{manager % 5}",
                "started_at": f"2026-06-{1 + rng.randrange(30):02d}T"
                f"{8 + rng.randrange(11):02d}:{rng.randrange(60):02d}:00+03:00",
                "duration_s": float(300 + rng.randrange(600)),
                "transcript": texts[i % len(texts)],
            }
        )
    return calls


def encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


async def batch_phase(host: str, port: int, batches: list[bytes], clients: int) -> list[int]:
    """Send the batches over `clients` connections; item statuses of every answer."""
    queue = list(reversed(batches))
    statuses: list[int] = []

    async def worker() -> None:
        conn = Connection(host, port)
        while queue:
            status, body = await conn.post("/v1/calls/batch", queue.pop())
            if status != 207:
                raise RuntimeError(f"batch answered {status}: {body[:300]!r}")
            statuses.extend(item["status"] for item in json.loads(body)["items"])
        conn.close()

    await asyncio.gather(*(worker() for _ in range(clients)))
    return statuses


async def single_phase(
    host: str, port: int, bodies: list[bytes], rate: float | None
) -> tuple[list[float], float, dict[int, int]]:
    """POST each body once over 50 connections; latencies (ms), wall time, status counts."""
    conns = [Connection(host, port) for _ in range(CLIENTS)]
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for conn in conns:
        idle.put_nowait(conn)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def send(body: bytes) -> None:
        conn = await idle.get()
        start = time.perf_counter()
        status, _ = await conn.post("/v1/calls", body)
        latencies.append((time.perf_counter() - start) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        idle.put_nowait(conn)

    began = time.perf_counter()
    if rate is None:  # closed loop: 50 clients, each sends again as soon as it is answered
        pending = list(reversed(bodies))

        async def client() -> None:
            while pending:
                await send(pending.pop())

        await asyncio.gather(*(client() for _ in range(CLIENTS)))
    else:  # open loop: Poisson arrivals at `rate`, whatever the answers' speed
        rng = random.Random(7)
        tasks = []
        for body in bodies:
            tasks.append(asyncio.create_task(send(body)))
            await asyncio.sleep(rng.expovariate(rate))
        await asyncio.gather(*tasks)
    wall = time.perf_counter() - began
    for conn in conns:
        conn.close()
    return latencies, wall, statuses


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def server_memory(pid: int) -> list[tuple[int, str, float, float]]:
    """(pid, role, RSS MB, peak RSS MB) of the server and its worker processes."""
    out = []
    main = psutil.Process(pid)
    for proc in [main, *main.children(recursive=True)]:
        status = Path(f"/proc/{proc.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = int(fields["VmRSS"].split()[0]) / 1024
        hwm = int(fields["VmHWM"].split()[0]) / 1024
        cmd = " ".join(proc.cmdline())
        role = "supervisor" if proc.pid == pid and main.children() else "worker"
        if "resource_tracker" in cmd or "semaphore_tracker" in cmd:
            role = "helper"
        out.append((proc.pid, role, rss, hwm))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(workers: int) -> Iterator[tuple[str, int]]:
    """`callqa serve` on a fresh embedded PostgreSQL (or CALLQA_DATABASE_URL when set)."""
    data_dir = Path(tempfile.mkdtemp(prefix="callqa-bench-"))
    port = free_port()
    env = {**os.environ, "CALLQA_DATA_DIR": str(data_dir), "CALLQA_LOG_LEVEL": "warning"}
    cmd = [str(Path(sys.executable).parent / "callqa"), "serve", "--port", str(port)]
    cmd += ["--workers", str(workers), "--no-access-log"]
    log = (data_dir / "serve.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((data_dir / "serve.log").read_text())
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0 * workers)  # let every worker finish importing
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        lines = (data_dir / "serve.log").read_text().splitlines()
        if problems := [ln for ln in lines if any(w in ln for w in ("Traceback", "ERROR", "died"))]:
            print("\nserver log problems:\n  " + "\n  ".join(problems[:20]))
        if not os.environ.get("CALLQA_DATABASE_URL"):
            from app.db.embedded import stop_embedded

            stop_embedded(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args: argparse.Namespace, url: str, pid: int | None) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    print(f"machine: {os.cpu_count()} cores; server {url}, workers {args.workers or '?'}")
    texts = [build_call(1500, seed)[0] for seed in range(args.texts)]
    words = statistics.mean(len(t.split()) for t in texts)
    print(
        f"input: {args.texts} distinct calls of ~{words:.0f} tokens (1,500 spoken words), "
        f"{statistics.mean(len(t.encode()) for t in texts) / 1024:.1f} KB each"
    )
    run_id = uuid.uuid4().hex[:8]

    warm = [encode(c) for c in make_calls(2 * CLIENTS, texts, run_id, first=10**7)]
    asyncio.run(single_phase(host, port, warm, None))  # warm caches and connection pools

    calls = make_calls(args.batch_calls, texts, run_id)
    batches = [
        encode({"calls": calls[i : i + args.batch_size]})
        for i in range(0, len(calls), args.batch_size)
    ]
    began = time.perf_counter()
    statuses = asyncio.run(batch_phase(host, port, batches, args.batch_clients))
    wall = time.perf_counter() - began
    stored = statuses.count(201)
    print(
        f"\nbatch ingest: {stored} calls stored of {len(calls)} in {len(batches)} batches of "
        f"{args.batch_size} ({args.batch_clients} clients, "
        f"{len(batches[0]) / 2**20:.1f} MB each): {wall:.1f} s, {stored / wall:.0f} calls/s "
        f"(target >= 300)"
    )

    singles = make_calls(args.single_calls, texts, run_id, first=len(calls))
    for label, rate in (
        ("closed loop, 50 clients", None),
        (f"open loop {args.rate:g}/s", args.rate),
    ):
        bodies = [encode(c) for c in singles]
        latencies, wall, codes = asyncio.run(single_phase(host, port, bodies, rate))
        print(
            f"\nsingle ingest, {label}: {len(bodies)} calls in {wall:.1f} s "
            f"({len(bodies) / wall:.0f} calls/s), statuses {codes}"
        )
        print(
            f"  latency ms: p50 {percentile(latencies, 50):.1f}  "
            f"p95 {percentile(latencies, 95):.1f}  p99 {percentile(latencies, 99):.1f}  "
            f"max {max(latencies):.1f}  (target p95 <= 50)"
        )
        singles = make_calls(args.single_calls, texts, run_id, first=len(calls) + 10**6)

    if pid is not None:
        print("\nserver memory (target <= 250 MB per worker):")
        for proc_pid, role, rss, hwm in server_memory(pid):
            print(f"  pid {proc_pid} {role:10s} RSS {rss:6.1f} MB  peak {hwm:6.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server; default: start `callqa serve`")
    parser.add_argument("--server-pid", type=int, help="pid of --url's server, for RSS")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--texts", type=int, default=200, help="distinct call texts")
    parser.add_argument("--batch-calls", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--batch-clients", type=int, default=2)
    parser.add_argument("--single-calls", type=int, default=1500)
    parser.add_argument("--rate", type=float, default=50.0, help="open-loop calls/s")
    args = parser.parse_args()
    if args.url:
        run(args, args.url, args.server_pid)
        return
    with served(args.workers) as (url, pid):
        run(args, url, pid)


if __name__ == "__main__":
    main()
