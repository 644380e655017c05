"""Ingest throughput, latency, CPU and memory of the HTTP service, against a live server.

Input: 1,500-word Russian realty phone calls (plain text, `bench/engine.py`'s `build_call`,
`--texts` different seeds), unique external ids per run, 50 managers in 5 teams, start times
spread over 30 days. Phases:
* batch: `--batch-calls` calls in `POST /v1/calls/batch` requests of `--batch-size`, over
  `--batch-clients` connections; calls/s = calls stored / wall time;
* single, closed loop: `--single-calls` `POST /v1/calls` from 50 keep-alive clients, each
  sending its next call when answered (the saturated worst case); p50/p95/p99;
* single, open loop: the same 50 clients at each of `--rates` calls/s in all (Poisson
  arrivals, like platforms posting as calls end); p50/p95/p99 per rate;
* per phase, CPU ms per call of the callqa processes and of PostgreSQL; at the end, RSS and
  peak RSS (VmHWM) of every uvicorn process.
The load generator (a minimal asyncio HTTP/1.1 client, bodies encoded beforehand) shares the
cores with the server and PostgreSQL; the core count and load average are printed.
Targets (printed, never asserted): batch >= 300 calls/s, single p95 <= 50 ms at 50 clients,
RSS <= 250 MB per worker.

    uv run python bench/ingest.py               # `callqa serve --workers 2`, fresh embedded DB
    uv run python bench/ingest.py --workers 1
    uv run python bench/ingest.py --url http://127.0.0.1:8000 --server-pid PID

`--webhooks` measures instead what webhooks cost batch ingest, as ratios of one run:
batches with no webhook against batches with one webhook taking every call event (its outbox
rows and queued deliveries) while /metrics is scraped every second (target: <= 10% slower); and
the latter while a `callqa worker` delivers the events to a receiver on loopback (target: <= 20%
slower). `--rounds` rounds (6) of the three phases of `--batch-calls` (1,000) each, in orders
that alternate (none-outbox-delivering, then delivering-outbox-none), so a drift of the
machine's load or of the tables' size favours no phase; the verdict is the median of the rounds'
own ratios, each round printed, with the CPU per call of each phase (API, PostgreSQL, worker).

    uv run python bench/ingest.py --webhooks
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
        return await self.request("POST", path, body)

    async def request(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head)
        self.writer.write(body)
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            close |= name.strip().lower() == "connection" and value.strip().lower() == "close"
        body = await self.reader.readexactly(length)
        if close:  # as an HTTP client does: the next request opens a new connection
            self.close()
            self.writer = None
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def make_calls(n: int, texts: list[str], run_id: str, first: int = 0) -> list[dict[str, Any]]:
    """n distinct calls with unique external ids for this run."""
    rng = random.Random(first)
    calls = []
    for i in range(first, first + n):
        m, day, hour, minute = (rng.randrange(k) for k in (50, 30, 11, 60))
        started = f"2026-06-{1 + day:02d}T{8 + hour:02d}:{minute:02d}:00+03:00"
        calls.append(
            dict(
                external_id=f"bench-{run_id}-{i}",
                source="bench",
                started_at=started,
                manager_id=f"bench-m{m:02d}",
                team_id=f"bench-t{m % 5}",
                duration_s=300.0 + i % 600,
                transcript=texts[i % len(texts)],
            )
        )
    return calls


def encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


async def batch_phase(host: str, port: int, batches: list[bytes], clients: int) -> list[int]:
    """Send the batches over `clients` connections; item statuses of every answer."""
    queue = list(reversed(batches))
    statuses: list[int] = []

    async def worker(n: int) -> None:
        # Clients that connect in the same instant all land on one worker process (its event
        # loop accepts every pending connection at once); platforms connect at their own times.
        await asyncio.sleep(0.2 * n)
        conn = Connection(host, port)
        while queue:
            status, body = await conn.post("/v1/calls/batch", queue.pop())
            if status != 207:
                raise RuntimeError(f"batch answered {status}: {body[:300]!r}")
            statuses.extend(item["status"] for item in json.loads(body)["items"])
        conn.close()

    await asyncio.gather(*(worker(n) for n in range(clients)))
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

    async def send(body: bytes, arrival: float | None = None) -> None:
        """One POST; its latency from `arrival` (its scheduled time in the open loop, so
        waiting for a free connection counts), else from when a connection was free."""
        conn = await idle.get()
        start = time.perf_counter() if arrival is None else arrival
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
        # On a schedule of absolute times: sleeping the gaps one after another ran late by
        # each wake-up's delay, and offered ~135 calls/s for 150.
        rng = random.Random(7)
        tasks = []
        arrival = began
        for body in bodies:
            tasks.append(asyncio.create_task(send(body, arrival)))
            arrival += rng.expovariate(rate)
            await asyncio.sleep(max(0.0, arrival - time.perf_counter()))
        await asyncio.gather(*tasks)
    wall = time.perf_counter() - began
    for conn in conns:
        conn.close()
    return latencies, wall, statuses


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def server_memory(pid: int) -> list[tuple[int, float, float]]:
    """(pid, RSS MB, peak RSS MB) of the server and its workers (from /proc)."""
    out = []
    for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        lines = Path(f"/proc/{proc.pid}/status").read_text().splitlines()
        kb = {
            k: int(v.split()[0])
            for k, _, v in (ln.partition(":") for ln in lines)
            if k in ("VmRSS", "VmHWM")
        }
        out.append((proc.pid, kb["VmRSS"] / 1024, kb["VmHWM"] / 1024))
    return out


def cpu_seconds(pid: int | None) -> tuple[float, float]:
    """CPU seconds used so far by (the server's processes, every PostgreSQL process). A
    backend that has exited counts in its postmaster's children times, so the sums never go
    back when the pool closes a connection."""
    procs = [] if pid is None else [psutil.Process(pid), *psutil.Process(pid).children(True)]
    procs_pg = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]
    totals = []
    for group in (procs, procs_pg):
        total = 0.0
        for proc in group:
            with contextlib.suppress(psutil.Error):
                total += sum(proc.cpu_times()[:4])  # user, system, reaped children's
        totals.append(total)
    return totals[0], totals[1]


def worker_cpu(pid: int | None) -> dict[int, float]:
    """CPU seconds used so far by each process of the server (its supervisor and workers)."""
    if pid is None:
        return {}
    out = {}
    for proc in [psutil.Process(pid), *psutil.Process(pid).children(True)]:
        with contextlib.suppress(psutil.Error):
            out[proc.pid] = sum(proc.cpu_times()[:2])
    return out


def cpu_note(
    before: tuple[float, float], pid: int | None, calls: int, per_process: dict[int, float]
) -> str:
    """CPU ms per call since `before`: callqa's processes, and PostgreSQL (every server's);
    and each busy server process's share of callqa's CPU since `per_process`, which shows
    when the clients' connections all landed on one worker."""
    app, pg = ((a - b) * 1000 / calls for a, b in zip(cpu_seconds(pid), before, strict=True))
    used = {p: s - per_process.get(p, 0.0) for p, s in worker_cpu(pid).items()}
    total = sum(used.values()) or 1.0
    shares = ", ".join(f"{p}:{s / total:.0%}" for p, s in used.items())
    return f"  CPU per call: callqa {app:.1f} ms, postgres {pg:.1f} ms; shares by process: {shares}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(workers: int, job_workers: int = 1) -> Iterator[tuple[str, int]]:
    """`callqa serve` on a fresh embedded PostgreSQL (or CALLQA_DATABASE_URL when set)."""
    data_dir = Path(tempfile.mkdtemp(prefix="callqa-bench-"))
    port = free_port()
    env = {**os.environ, "CALLQA_DATA_DIR": str(data_dir), "CALLQA_LOG_LEVEL": "warning"}
    cmd = [str(Path(sys.executable).parent / "callqa"), "serve", "--port", str(port)]
    cmd += ["--workers", str(workers), "--no-access-log", "--job-workers", str(job_workers)]
    log = (data_dir / "serve.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300  # a loaded machine starts workers slowly
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((data_dir / "serve.log").read_text())
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0 * workers)  # let every worker finish importing
        os.environ["CALLQA_DATA_DIR"] = str(data_dir)  # for a `callqa worker` started later
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        for line in (data_dir / "serve.log").read_text().splitlines():
            if "Error" in line or "died" in line:  # a worker restarted or an exception
                print(f"server log: {line}")
        if not os.environ.get("CALLQA_DATABASE_URL"):
            from app.db.embedded import stop_embedded

            stop_embedded(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args: argparse.Namespace, url: str, pid: int | None) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; "
        f"server {url}, workers {args.workers}"
    )
    built = [build_call(1500, seed) for seed in range(args.texts)]
    texts = [text for text, _, _ in built]
    print(
        f"input: {args.texts} distinct calls of {statistics.mean(w for _, w, _ in built):.0f} "
        f"spoken words, {statistics.mean(len(t.encode()) for t in texts) / 1024:.1f} KB each"
    )
    run_id = uuid.uuid4().hex[:8]

    warm = [encode(c) for c in make_calls(2 * CLIENTS, texts, run_id, first=10**7)]
    asyncio.run(single_phase(host, port, warm, None))  # warm caches and connection pools

    calls = make_calls(args.batch_calls, texts, run_id)
    batches = [
        encode({"calls": calls[i : i + args.batch_size]})
        for i in range(0, len(calls), args.batch_size)
    ]
    began, cpu, per_process = time.perf_counter(), cpu_seconds(pid), worker_cpu(pid)
    statuses = asyncio.run(batch_phase(host, port, batches, args.batch_clients))
    wall = time.perf_counter() - began
    stored = statuses.count(201)
    print(
        f"\nbatch ingest: {stored} of {len(calls)} calls stored, {len(batches)} batches of "
        f"{args.batch_size} ({len(batches[0]) / 2**20:.1f} MB) from {args.batch_clients} "
        f"clients in {wall:.1f} s: {stored / wall:.0f} calls/s (target >= 300)"
    )
    print(cpu_note(cpu, pid, len(calls), per_process))

    phases: list[tuple[str, float | None]] = [("closed loop, 50 clients", None)]
    phases += [(f"open loop, 50 clients, {rate:g} calls/s offered", rate) for rate in args.rates]
    for phase, (label, rate) in enumerate(phases, start=1):
        singles = make_calls(args.single_calls, texts, run_id, first=phase * 10**6)  # all new
        bodies, cpu, per_process = [encode(c) for c in singles], cpu_seconds(pid), worker_cpu(pid)
        lat, wall, codes = asyncio.run(single_phase(host, port, bodies, rate))
        print(
            f"\nsingle ingest, {label}: {len(bodies)} calls in {wall:.1f} s "
            f"({len(bodies) / wall:.0f} calls/s), statuses {codes}"
        )
        print(
            f"  latency ms: p50 {percentile(lat, 50):.1f}  p95 {percentile(lat, 95):.1f}  "
            f"p99 {percentile(lat, 99):.1f}  max {max(lat):.1f}  (target p95 <= 50)"
        )
        print(cpu_note(cpu, pid, len(bodies), per_process))
        if rate is None:
            # Little's law: 50 clients always waiting means mean latency = 50 / throughput.
            print(
                f"  closed-loop bound: mean latency = 50 clients / {len(bodies) / wall:.0f} "
                f"calls/s = {50 / (len(bodies) / wall) * 1000:.0f} ms; a p95 of 50 ms needs "
                "over 1,000 calls/s"
            )

    print(f"\nload average {os.getloadavg()[0]:.2f} at end (other work on the machine skews it)")
    if pid is not None:
        print(
            "\nserver memory (target <= 250 MB per worker; the first is uvicorn's supervisor "
            "when workers > 1):"
        )
        for proc_pid, rss, hwm in server_memory(pid):
            print(f"  pid {proc_pid}: RSS {rss:6.1f} MB  peak {hwm:6.1f} MB")


def _receive(port: Any, got: Any) -> None:
    """The receiver process: answers every POST with 204 at once, counting them in `got`."""

    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as a platform's receiver answers: HTTP/1.0 would make each delivery a
        # new connection and a new thread here.
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with got.get_lock():
                got.value += 1
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port.value = server.server_address[1]
    server.serve_forever()


@contextmanager
def receiver() -> Iterator[tuple[str, Any, psutil.Process]]:
    """A webhook receiver on loopback in a process of its own (a deployed receiver runs on the
    platform's machines, not in callqa's): its URL, its received count (`.value`), its process
    (for its CPU time, printed apart)."""
    context = multiprocessing.get_context("spawn")
    port, got = context.Value("i", 0), context.Value("q", 0)
    process = context.Process(target=_receive, args=(port, got), daemon=True)
    process.start()
    deadline = time.monotonic() + 60
    while port.value == 0:
        if not process.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the receiver did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port.value}/hook", got, psutil.Process(process.pid)
    finally:
        process.terminate()
        process.join(timeout=10)


async def scraping(host: str, port: int, stop: asyncio.Event) -> int:
    """GET /metrics every second until `stop`, as a (very eager) Prometheus; scrapes made."""
    scrapes = 0
    while not stop.is_set():
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET /metrics HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        await reader.read()
        writer.close()
        scrapes += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
    return scrapes


def timed_batches(
    host: str, port: int, calls: list[dict[str, Any]], args: argparse.Namespace
) -> tuple[float, int]:
    """Calls stored per second by a batch phase (with /metrics scraped meanwhile), scrapes."""
    batches = [
        encode({"calls": calls[i : i + args.batch_size]})
        for i in range(0, len(calls), args.batch_size)
    ]

    async def phase() -> tuple[list[int], int]:
        stop = asyncio.Event()
        scraper = asyncio.create_task(scraping(host, port, stop))
        statuses = await batch_phase(host, port, batches, args.batch_clients)
        stop.set()
        return statuses, await scraper

    began = time.perf_counter()
    statuses, scrapes = asyncio.run(phase())
    return statuses.count(201) / (time.perf_counter() - began), scrapes


def database() -> tuple[str, int | None]:
    """The URL of the database `served` uses, and its postmaster's pid (None: an external
    server, whose every process is then counted as PostgreSQL's CPU)."""
    if os.environ.get("CALLQA_DATABASE_URL"):
        return os.environ["CALLQA_DATABASE_URL"], None
    from app.db.embedded import embedded_pid, embedded_url

    data_dir = Path(os.environ["CALLQA_DATA_DIR"])
    url = embedded_url(data_dir)
    assert url is not None, "the embedded server is not running"
    return url.replace("postgresql+psycopg://", "postgresql://"), embedded_pid(data_dir)


def postgres_cpu(postmaster: int | None) -> float:
    """CPU seconds used so far by the bench's PostgreSQL: its postmaster and backends, with
    the backends that have exited (its reaped children's times). Other servers on the machine
    (other people's tests) are left out; with an external server, every postgres process."""
    if postmaster is None:
        return cpu_seconds(None)[1]
    total = 0.0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(postmaster)
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += sum(proc.cpu_times()[:4])
    return total


def process_cpu(proc: psutil.Process | None) -> float:
    """CPU seconds used so far by a process and its children (0 once it is gone)."""
    if proc is None:
        return 0.0
    total = 0.0
    with contextlib.suppress(psutil.Error):
        for each in [proc, *proc.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += sum(each.cpu_times()[:4])
    return total


def webhook_cost(args: argparse.Namespace, url: str, server_pid: int) -> None:
    """Batch throughput without webhooks, with them (outbox, queue, metrics), and with
    deliveries running in steady state, in rounds of one run whose order alternates (ABC, CBA:
    a drift of the machine's load, or the tables' growth, favours no phase); judged on the
    median of the rounds' own ratios, every round printed. Also the CPU per delivery of the
    worker, of PostgreSQL and of the receiver, on backlogs sent alone."""
    import psycopg

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    texts = [text for text, _, _ in (build_call(1500, seed) for seed in range(args.texts))]
    run_id, first = uuid.uuid4().hex[:8], 0
    db_url, postmaster = database()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    if postmaster is None:
        print("  (external PostgreSQL: its CPU counts every postgres process of the machine)")

    def calls() -> list[dict[str, Any]]:
        nonlocal first
        first += args.batch_calls
        return make_calls(args.batch_calls, texts, run_id, first=first)

    asyncio.run(single_phase(host, port, [encode(c) for c in calls()][:100], None))  # warm-up
    kinds = ("none", "outbox", "delivering")
    rates: dict[str, list[float]] = {k: [] for k in kinds}
    cpu_per_call: dict[str, list[float]] = {k: [] for k in kinds}  # API + postgres + worker
    per_delivery: list[tuple[float, float, float]] = []  # worker, postgres, receiver CPU ms
    loads = [os.getloadavg()[0]]

    def send(method: str, path: str, body: dict[str, Any]) -> Any:
        """One request on a connection of its own (each asyncio.run is a new event loop)."""
        status, answer = asyncio.run(Connection(host, port).request(method, path, encode(body)))
        assert status < 300, answer
        return json.loads(answer)

    def pause(hook: int, active: bool) -> None:
        send("PATCH", f"/v1/webhooks/{hook}", {"active": active})

    def backlog(conn: psycopg.Connection[Any]) -> int:
        """Deliveries written and not yet sent (pending, or failed once and retrying)."""
        row = conn.execute(
            "SELECT count(*) FROM webhook_delivery WHERE status IN ('pending', 'retrying')"
        ).fetchone()
        return int(row[0]) if row else 0

    def drain(conn: psycopg.Connection[Any], limit_s: float) -> float:
        """Wait until the backlog is sent (or `limit_s`); seconds waited."""
        began = time.monotonic()
        while backlog(conn) and time.monotonic() - began < limit_s:
            time.sleep(0.2)
        return time.monotonic() - began

    with (
        receiver() as (hook_url, got, receiver_proc),
        psycopg.connect(db_url, autocommit=True) as conn,
    ):
        events = ["call.scored", "call.red", "violation.found"]
        hook = send("POST", "/v1/webhooks", {"url": hook_url, "events": events})["id"]
        worker: subprocess.Popen[bytes] | None = None

        def shares() -> tuple[float, float, float, float]:
            """CPU seconds so far of the API, PostgreSQL, the worker, the receiver."""
            return (
                cpu_seconds(server_pid)[0],
                postgres_cpu(postmaster),
                process_cpu(None if worker is None else psutil.Process(worker.pid)),
                process_cpu(receiver_proc),
            )

        def start_worker() -> None:
            """A `callqa worker`; the backlog the outbox rounds left is sent first, alone,
            for the CPU per delivery (counted once deliveries flow, not while the worker
            imports and starts)."""
            nonlocal worker
            queued = backlog(conn)
            worker = subprocess.Popen(
                [str(Path(sys.executable).parent / "callqa"), "worker"],
                env={**os.environ, "CALLQA_LOG_LEVEL": "warning"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if not queued:
                time.sleep(3)  # started: the delivering round measures no start-up
                return
            started, deadline = got.value, time.monotonic() + 120
            while got.value < started + 10 and time.monotonic() < deadline:
                time.sleep(0.05)
            cpu = shares()
            before, began = got.value, time.monotonic()
            drain(conn, 600)
            drained, drain_s = got.value - before, time.monotonic() - began
            used = shares()
            worker_ms, pg_ms, receiver_ms = (
                (used[i] - cpu[i]) * 1000 / max(drained, 1) for i in (2, 1, 3)
            )
            per_delivery.append((worker_ms, pg_ms, receiver_ms))
            print(
                f"  backlog of the outbox rounds: {queued} deliveries; {drained} of them sent "
                f"alone in {drain_s:.1f} s ({drained / drain_s:.0f}/s); CPU per delivery: "
                f"worker {per_delivery[-1][0]:.2f} ms, postgres {per_delivery[-1][1]:.2f} ms, "
                f"receiver {per_delivery[-1][2]:.2f} ms; load average {os.getloadavg()[0]:.2f}"
            )

        def stop_worker() -> None:
            nonlocal worker
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=60)
                worker = None

        def phase(kind: str) -> str:
            """One batch phase of `kind`; its line of figures."""
            if kind == "delivering" and worker is None:
                start_worker()
            if kind != "delivering":
                stop_worker()
                pause(hook, kind == "outbox")  # "none": no events
            before, cpu = got.value, shares()
            rates[kind].append(timed_batches(host, port, calls(), args)[0])
            used = [b - a for a, b in zip(cpu, shares(), strict=True)]
            cpu_per_call[kind].append(sum(used[:3]) * 1000 / args.batch_calls)
            api_ms, pg_ms, worker_ms = (u * 1000 / args.batch_calls for u in used[:3])
            note = (
                f"{kind} {rates[kind][-1]:.0f} calls/s, CPU {cpu_per_call[kind][-1]:.1f} ms/call "
                f"(API {api_ms:.1f}, postgres {pg_ms:.1f}, worker {worker_ms:.1f})"
            )
            if kind != "delivering":
                return note
            # Steady state: the backlog was sent, so the round delivers its own events as
            # they are written, as a deployment does.
            delivered, left = got.value - before, backlog(conn)
            lag = drain(conn, 600)
            still = backlog(conn)
            return note + (
                f" ({delivered} deliveries received, backlog {left} at its end, sent {lag:.1f} s "
                "later" + (f", NOT: {still} left after 600 s" if still else "") + "; CPU s: API "
                f"{used[0]:.1f}, postgres {used[1]:.1f}, worker {used[2]:.1f}, receiver "
                f"{used[3]:.1f}, a process of its own, not counted)"
            )

        for n in range(args.rounds):
            order = kinds if n % 2 == 0 else tuple(reversed(kinds))
            notes = [phase(kind) for kind in order]
            print(f"round {n + 1} ({order[0][0]}{order[1][0]}{order[2][0]}): " + "; ".join(notes))
            loads.append(os.getloadavg()[0])
            print(f"  load average {loads[-1]:.2f}")
        if backlog(conn):  # the last outbox round's events: their CPU per delivery too
            start_worker()
        stop_worker()

    print(
        f"\nbatch calls/s over {args.rounds} rounds of {args.batch_calls} calls (median, "
        "min-max): "
        + ", ".join(
            f"{k} {statistics.median(v):.0f} ({min(v):.0f}-{max(v):.0f})" for k, v in rates.items()
        )
    )
    for key, target in (("outbox", 0.10), ("delivering", 0.20)):
        costs = [1 - r / n for r, n in zip(rates[key], rates["none"], strict=True)]
        cost = statistics.median(costs)
        verdict = "PASS" if cost <= target else "MISS"
        print(
            f"  cost of {key}: median of the rounds' {cost:.1%} (target <= {target:.0%}): "
            f"{verdict}; rounds: {', '.join(f'{c:.1%}' for c in costs)}; of the means "
            f"{1 - statistics.mean(rates[key]) / statistics.mean(rates['none']):.1%}"
        )
    none_ms = statistics.median(cpu_per_call["none"])
    print(
        "CPU per call stored (API + postgres + worker, median): "
        + ", ".join(f"{k} {statistics.median(v):.1f} ms" for k, v in cpu_per_call.items())
        + "; the cost if the cores were all ingest's (1 - none's CPU / the phase's): "
        + ", ".join(
            f"{k} {1 - none_ms / statistics.median(cpu_per_call[k]):.1%}" for k in kinds[1:]
        )
        + " (steadier than calls/s when other work shares the machine)"
    )
    if per_delivery:
        worker_ms, pg_ms, receiver_ms = (
            statistics.median(c) for c in zip(*per_delivery, strict=True)
        )
        print(
            f"CPU per delivery (backlogs sent alone, median of {len(per_delivery)}): worker "
            f"{worker_ms:.2f} ms, postgres {pg_ms:.2f} ms, receiver {receiver_ms:.2f} ms"
        )
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    if max(loads) > (os.cpu_count() or 1):
        print(
            f"  (load average up to {max(loads):.1f} on {os.cpu_count()} cores: other work "
            "shares the cores, and a phase with more processes of its own (the worker) gets "
            "a larger share of them; its calls/s ratios say little, its CPU per call more)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server; default: start `callqa serve`")
    parser.add_argument("--server-pid", type=int, help="pid of --url's server, for CPU and RSS")
    for flag, default in (
        ("--workers", 2),
        ("--texts", 200),
        ("--batch-calls", 0),  # 0: 3,000, or 1,000 per phase with --webhooks
        ("--batch-size", 250),
        ("--batch-clients", 2),
        ("--single-calls", 1500),
    ):
        parser.add_argument(flag, type=int, default=default)
    parser.add_argument(
        "--rates",
        type=lambda text: [float(r) for r in text.split(",")],
        default=[50.0, 100.0, 150.0],
        help="open-loop rates in calls/s, comma-separated",
    )
    parser.add_argument("--webhooks", action="store_true", help="measure what webhooks cost")
    parser.add_argument(
        "--rounds", type=int, default=6, help="--webhooks rounds (their order alternates)"
    )
    args = parser.parse_args()
    args.batch_calls = args.batch_calls or (1000 if args.webhooks else 3000)
    if args.webhooks:
        with served(args.workers, job_workers=0) as (url, pid):
            webhook_cost(args, url, pid)
        return
    if args.url:
        run(args, args.url, args.server_pid)
        return
    with served(args.workers) as (url, pid):
        run(args, url, pid)


if __name__ == "__main__":
    main()
