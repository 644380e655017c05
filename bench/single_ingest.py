"""Single-call ingest in process: wall time, callqa CPU and PostgreSQL backend CPU per call.

Ingests `--calls` single 1,500-word calls (30 distinct texts, 20 managers, one transaction
each, as the app role where row-level security exists) into a scratch database of the server in
CALLQA_DATABASE_URL, and reads the backend's CPU from /proc, so the server must run on this
machine. Without HTTP, workers or a load generator, it isolates the service and storage path:
run it in two checkouts in the same minutes to see what a change costs.

    export CALLQA_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test
    uv run python bench/single_ingest.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from app.db.session import APP_ROLE, Database  # noqa: E402
from app.services import ingest  # noqa: E402
from app.services.schemas import CallIn  # noqa: E402
from bench.engine import build_call  # noqa: E402
from tests.conftest import scratch_database  # noqa: E402

START = datetime(2026, 11, 1, tzinfo=UTC)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process on this machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    texts = [build_call(1500, seed)[0] for seed in range(30)]
    server = os.environ["CALLQA_DATABASE_URL"]
    with scratch_database(server, f"bench_single_{os.getpid()}") as url:
        db = Database.from_url(url, pool_size=1, max_overflow=0, role=APP_ROLE)

        def one(i: int, tag: str) -> None:
            call = CallIn(
                external_id=f"{tag}-{i}",
                manager_id=f"m{i % 20}",
                team_id=f"t{i % 4}",
                started_at=START + timedelta(minutes=37 * i),
                transcript=texts[i % 30],
            )
            with db.session_scope() as session:
                ingest.ingest_call(session, call)

        for i in range(30):
            one(i, "warm")
        with db.session_scope() as session:
            backend = int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        pg, cpu, wall = cpu_s(backend), time.process_time(), time.perf_counter()
        for i in range(args.calls):
            one(i, "run")
        n = args.calls
        print(
            f"{n} single calls: wall {1000 * (time.perf_counter() - wall) / n:.2f} ms/call, "
            f"callqa CPU {1000 * (time.process_time() - cpu) / n:.2f} ms, "
            f"PostgreSQL CPU {1000 * (cpu_s(backend) - pg) / n:.2f} ms; "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        db.dispose()


if __name__ == "__main__":
    main()
