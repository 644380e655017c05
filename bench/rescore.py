"""Rescoring throughput and CPU per call with the real job worker, and ingest latency beside it.

What it measures
----------------
* Data: `--texts` (500) distinct 1,500-word realty calls (`bench/engine.py`'s `build_call`)
  ingested through the real ingest path (scores, questions, violations, roll-ups), then copied
  by INSERT ... SELECT into `--calls` (200,000) stored calls in all, each with its score row
  under the version it was ingested with. The copies share transcripts, but nothing memoises by
  content: every call is scored again from its text. The copies' roll-ups are not seeded
  (rescoring upserts into whatever rows exist; its cost does not depend on them).
* Rescoring: a new version of `realty_phone` (the greeting weighs more) is pushed and a job
  rescoring every call under it is started (`jobs.start_rescore`, as POST /v1/rescore), run by
  `--workers` (2) `callqa worker` processes. Printed: calls/s, CPU ms per call of the worker
  processes and of the PostgreSQL backends serving them (utime + stime from /proc, backends
  found in pg_stat_activity while the job runs), the projected time for 1,000,000 calls.
* Ingest beside it: `--ingest-rate` (50) calls/s offered open-loop (Poisson arrivals) through
  `ingest.ingest_call` in this process (scoring + storing, no HTTP) while the job runs:
  p50/p95/max ms from the arrival time, so queueing counts.
* Afterwards the version's scores, roll-up series, the calls ingested meanwhile and the version
  itself are removed, and the old version is the latest again, so the bench can run again.
  (The latest-score series of the roll-ups keeps the removed version's differences: bench data.)
* `--profile N`: instead, cProfile of `rescoring.rescore_calls` over N stored calls in this
  process (rolled back), top functions by own time: where the CPU of a rescore goes.

Targets (printed, never asserted): >= 350 calls/s, <= 3 ms CPU per call (callqa + PostgreSQL),
1,000,000 calls in <= 48 min, ingest p95 <= 100 ms at 50 calls/s offered. The machine may be
shared: the load average is printed with every figure.

    uv run python bench/rescore.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    uv run python bench/rescore.py --calls 20000 --texts 500        # a quicker run
    uv run python bench/rescore.py --profile 2000
Without --database-url an embedded PostgreSQL in --data-dir is used. Seeding is reused when the
database holds `--calls` calls already.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import os
import pstats
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/rescore.py` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

from app.db import checklists as checklists_db  # noqa: E402
from app.db import migrate  # noqa: E402
from app.db.embedded import start_embedded  # noqa: E402
from app.db.session import Database  # noqa: E402
from app.engine import get_checklist  # noqa: E402
from app.services import checklists, ingest, jobs, rescoring  # noqa: E402
from app.services.checklists import ChecklistFinder  # noqa: E402
from app.services.schemas import CallIn, ScoreIn  # noqa: E402
from app.tenancy import DEFAULT_ORGANISATION  # noqa: E402
from bench.engine import build_call  # noqa: E402

print = functools.partial(print, flush=True)  # the figures survive a killed run
CALLQA = Path(sys.executable).parent / "callqa"
KEY = "realty_phone"
FIRST_DAY = datetime(2026, 1, 1, 9, tzinfo=UTC)
CALL_COLUMNS = (
    "manager_id, manager_name, team_id, started_at_offset_min, duration_s, format, transcript,"
    " content_hash, utterances, metadata, checklist_key, checklist_version, total, grade, score"
)
# Copies of the templates (source 'bench'), spread over a year, each with its ingest score row.
COPY_CALLS = f"""
INSERT INTO call (source, external_id, started_at, {CALL_COLUMNS})
SELECT 'bench', 'copy-' || i, CAST(:first AS timestamptz) + i * interval '150 seconds',
    {", ".join(f"t.{c.strip()}" for c in CALL_COLUMNS.split(","))}
FROM generate_series(1, :copies) AS i
JOIN (
    SELECT row_number() OVER (ORDER BY id) - 1 AS n, * FROM call WHERE source = 'bench-template'
) AS t ON t.n = i % :texts
"""
COPY_SCORES = """
INSERT INTO call_score (call_id, checklist_key, checklist_version, total, grade)
SELECT id, checklist_key, checklist_version, total, grade FROM call WHERE source = 'bench'
"""
WIPE = (
    "TRUNCATE call, call_score, call_question, call_violation, manager_rollup,"
    " manager_rollup_day, version_rollup_day, version_rollup_month, violation_rollup_day,"
    " violation_rollup_month, job CASCADE"
)
ROLLUPS = ("manager_rollup", "manager_rollup_day", "violation_rollup_day", "violation_rollup_month")


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _call(n: int, transcript: str, source: str, version: str | None = None) -> CallIn:
    return CallIn.model_validate(
        {
            "source": source,
            "external_id": f"{source}-{n}",
            "manager_id": f"m{n % 50:02d}",
            "team_id": f"t{n % 5}",
            "started_at": (FIRST_DAY + timedelta(minutes=7 * n)).isoformat(),
            "transcript": transcript,
            "checklist": KEY,
            "checklist_version": version,
        }
    )


def _seed(db: Database, calls: int, texts: int, words: int) -> None:
    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM call")).scalar_one()
    if stored == calls:
        print(f"reusing the {calls:,} stored calls")
        return
    t = time.perf_counter()
    with db.session_scope() as session:
        session.execute(text(WIPE))
        checklists.store_builtins(session)
    templates = [_call(seed, build_call(words, seed)[0], "bench-template") for seed in range(texts)]
    ingest.ingest_many(db.session_scope, templates)
    print(f"  {texts} distinct calls scored and ingested in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    params = {"first": FIRST_DAY, "copies": calls - texts, "texts": texts}
    with db.session_scope() as session:
        session.execute(text(COPY_CALLS), params)
        session.execute(text(COPY_SCORES))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"  {calls - texts:,} copies stored in {time.perf_counter() - t:.1f} s")


def _new_version(db: Database) -> tuple[str, str]:
    """(old, new): the latest version of the checklist, and a stricter one pushed over it."""
    old = get_checklist(KEY)
    source = (ROOT / "checklists" / f"{KEY}.yaml").read_text(encoding="utf-8")
    stricter = source.replace("    points: 10\n", "    points: 25\n", 1)
    with db.session_scope() as session:
        pushed, _ = checklists.push(session, stricter.encode(), "yaml")
    return old.version, str(pushed["version"])


def _remove(db: Database, old: str, new: str) -> None:
    """Take the pushed version and everything stored under it out again."""
    with db.session_scope() as session:
        session.execute(text("DELETE FROM call WHERE source = 'bench-ingest'"))
        session.execute(text("DELETE FROM call_score WHERE checklist_version = :v"), {"v": new})
        for table in ROLLUPS:
            session.execute(text(f"DELETE FROM {table} WHERE checklist_version = :v"), {"v": new})
        checklists_db.delete_version(session, DEFAULT_ORGANISATION, KEY, new)
        checklists_db.make_latest(session, DEFAULT_ORGANISATION, KEY, old)


def _cpu(pid: int) -> float:
    """utime + stime of a process in seconds (0 once it is gone)."""
    try:
        return float(sum(psutil.Process(pid).cpu_times()[:2]))
    except psutil.Error:
        return 0.0


class Backends:
    """CPU of the PostgreSQL backends of the database seen while the job runs, but those of
    this process's connections (the ingest beside the job, the polling): told by client port."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def poll(self) -> None:
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT pid, client_port FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
            ours = {c.laddr.port for c in psutil.Process().net_connections(kind="tcp")}
            for pid, port in rows:
                if port not in ours:
                    cpu = _cpu(pid)
                    self.first.setdefault(pid, cpu)
                    self.last[pid] = max(cpu, self.last.get(pid, 0.0))

    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.first)


class Ingest(threading.Thread):
    """Calls offered at `rate` per second (Poisson), each stored through the ingest service."""

    def __init__(self, db: Database, rate: float, old: str) -> None:
        super().__init__(daemon=True)
        self.db, self.rate, self.old = db, rate, old
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.backlog = 0
        self.texts = [build_call(1500, 10_000 + s)[0] for s in range(20)]

    def _one(self, n: int, due: float) -> None:
        call = _call(n, self.texts[n % len(self.texts)], "bench-ingest", self.old)
        with self.db.session_scope() as session:
            ingest.ingest_call(session, call)
        self.latencies.append((time.perf_counter() - due) * 1000)

    def run(self) -> None:
        rng, n, due = random.Random(3), 0, time.perf_counter()
        pool = ThreadPoolExecutor(8)
        while not self.stop.is_set():
            due += rng.expovariate(self.rate)
            time.sleep(max(0.0, due - time.perf_counter()))
            pool.submit(self._one, n, due)
            n += 1
        self.backlog = n - len(self.latencies)
        # Calls still waiting when the job ends are dropped, not waited for (on an
        # overloaded machine that backlog kept the bench running for minutes).
        pool.shutdown(cancel_futures=True)


def _registered(db: Database) -> int:
    """Workers registered with the queue (procrastinate's table of live workers)."""
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one())


def _wait_ready(db: Database, before: int, processes: int) -> None:
    """Wait until every worker process has registered its queue workers (two each: the
    rescoring one and the webhooks one), so their start-up (imports: ~2.6 s of CPU each
    without bytecode files, as in a checkout) stays out of the CPU per rescored call."""
    deadline = time.monotonic() + 120
    while _registered(db) < before + 2 * processes and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)  # their first polls of the queue


def _rescore(db: Database, url: str, args: argparse.Namespace) -> None:
    old, new = _new_version(db)
    env = dict(os.environ, CALLQA_DATABASE_URL=url)
    registered = _registered(db)
    workers = [
        subprocess.Popen([str(CALLQA), "worker", "--concurrency", "1"], env=env, cwd=ROOT)
        for _ in range(args.workers)
    ]
    try:
        _wait_ready(db, registered, len(workers))
        ingesting = Ingest(db, args.ingest_rate, old) if args.ingest_rate else None
        backends = Backends(db)
        backends.poll()
        worker_start = {w.pid: _cpu(w.pid) for w in workers}
        worker_cpu = dict(worker_start)
        load_before = _load()
        started = time.perf_counter()
        with db.session_scope() as session:
            job = jobs.start_rescore(session, jobs.RescoreRequest(KEY, new))
        if ingesting:
            ingesting.start()
        while True:
            time.sleep(0.5)
            backends.poll()
            worker_cpu = {w.pid: max(worker_cpu[w.pid], _cpu(w.pid)) for w in workers}
            with db.session_scope() as session:
                state = jobs.get_job(session, job["job_id"])
            if state["status"] not in ("queued", "running"):
                break
        wall = time.perf_counter() - started
        if ingesting:
            ingesting.stop.set()
            ingesting.join()
        callqa_s = sum(worker_cpu.values()) - sum(worker_start.values())
        _report(state, wall, callqa_s, backends.seconds(), ingesting, load_before)
        shares = [(worker_cpu[w.pid] - worker_start[w.pid]) / (callqa_s or 1) for w in workers]
        print("  CPU share per worker process: " + ", ".join(f"{s:.0%}" for s in shares))
        print(f"  the job in parts of at most {jobs.PART_SIZE} calls")
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
        _remove(db, old, new)


def _report(
    state: dict[str, Any],
    wall: float,
    callqa_s: float,
    postgres_s: float,
    ingesting: Ingest | None,
    load_before: str,
) -> None:
    done = int(state["done"])
    rate = done / wall if wall else 0.0
    print(f"job {state['status']}: {done:,} of {state['total']:,} calls rescored in {wall:.1f} s")
    print(f"  {rate:,.0f} calls/s (target >= 350)")
    if done:
        per_call = (callqa_s + postgres_s) * 1000 / done
        print(
            f"  CPU per call: callqa {callqa_s * 1000 / done:.2f} ms, PostgreSQL"
            f" {postgres_s * 1000 / done:.2f} ms, together {per_call:.2f} ms (target <= 3)"
        )
        print(f"  1,000,000 calls projected in {1e6 / rate / 60:.1f} min (target <= 48)")
    if ingesting and ingesting.latencies:
        lat = sorted(ingesting.latencies)
        p95 = lat[max(0, round(0.95 * len(lat)) - 1)]
        print(
            f"  ingest at {ingesting.rate:.0f} calls/s offered: {len(lat):,} stored, p50"
            f" {statistics.median(lat):.1f} ms, p95 {p95:.1f} ms, max {lat[-1]:.1f} ms"
            f" (target p95 <= 100); {ingesting.backlog} still waiting at the end"
        )
    print(f"  load average before {load_before}, after {_load()}; {os.cpu_count()} cores")


def _profile(db: Database, n: int) -> None:
    """cProfile of rescoring n stored calls under a new version, rolled back."""
    old, new = _new_version(db)
    try:
        with db.engine.connect() as conn:
            outer = conn.begin()
            session = Session(bind=conn)
            ids = list(
                conn.execute(text("SELECT id FROM call ORDER BY id LIMIT :n"), {"n": n}).scalars()
            )
            wanted = ScoreIn(transcript=".", checklist=KEY, checklist_version=new)
            rules = ChecklistFinder(session).for_request(wanted)
            profiler = cProfile.Profile()
            t = time.perf_counter()
            profiler.enable()
            for start in range(0, len(ids), jobs.CHUNK):
                rescoring.rescore_calls(session, ids[start : start + jobs.CHUNK], rules)
            profiler.disable()
            wall = time.perf_counter() - t
            outer.rollback()
        print(f"{len(ids):,} calls rescored in one process in {wall:.1f} s (load {_load()})")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
    finally:
        _remove(db, old, new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/callqa-bench-rescore"))
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--texts", type=int, default=500)
    parser.add_argument("--words", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ingest-rate", type=float, default=50.0)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()

    url = args.database_url or start_embedded(args.data_dir)
    db = Database.from_url(url, pool_size=10, max_overflow=0)
    migrate.upgrade(db.engine)
    print(f"seeding {args.calls:,} calls from {args.texts} distinct {args.words}-word calls ...")
    _seed(db, args.calls, args.texts, args.words)
    print(f"load average {_load()}; {os.cpu_count()} cores")
    if args.profile:
        _profile(db, args.profile)
    else:
        _rescore(db, url, args)
    db.dispose()


if __name__ == "__main__":
    main()
