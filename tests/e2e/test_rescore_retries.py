"""A rescoring part that meets a transient database error is retried by the queue with
doubling waits, and its job stays running meanwhile; the job fails only when the error is not
transient or the retries run out. A retried part counts no call twice.

The worker is the real one (`app.worker.build`, procrastinate's worker loop) in a thread of
this process, with a short lock timeout and tiny retry waits; another connection holds a call
`FOR UPDATE`, as a concurrent rescoring or erasure would.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from app.api.app import create_app
from app.db.session import Timeouts
from app.services import jobs
from app.settings import Settings
from app.worker import build
from tests.e2e.conftest import follow_job, job_ended

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 120  # the machine may be slow; each test takes seconds when it passes
# The worker's own limits, but a lock is given up after 300 ms rather than 10 s.
QUICK_LOCKS = Timeouts(lock_ms=300, statement_ms=60_000, idle_in_transaction_ms=60_000)


@pytest.fixture(scope="module")
def database(make_scratch_database: Callable[..., Any]) -> Iterator[str]:
    """One database for the module: each test rescores the calls of a manager of its own."""
    with make_scratch_database(f"retries_{time.monotonic_ns()}") as url:
        yield url


@pytest.fixture(scope="module")
def client(database: str) -> Iterator[TestClient]:
    """The app on real commits (the worker's connections must see what it stores)."""
    with TestClient(create_app(Settings(database_url=database))) as client:
        yield client


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def worker(
    database: str,
    *,
    retry_first_s: float,
    retry_for_s: float,
    timeouts: Timeouts = QUICK_LOCKS,
) -> Iterator[None]:
    """The job worker's rescoring queue, worked in a thread until exit."""
    settings = Settings(
        database_url=database, job_retry_first_s=retry_first_s, job_retry_for_s=retry_for_s
    )
    queue = build(database, settings, timeouts=timeouts)

    async def work() -> None:
        async with queue.open_async():
            await queue.run_worker_async(
                queues=[jobs.RESCORE],
                concurrency=1,
                install_signal_handlers=False,
                fetch_job_polling_interval=0.1,  # a retry falls due between notifications
                delete_jobs="never",  # the test reads the parts' attempts
            )

    loop = asyncio.new_event_loop()
    task = loop.create_task(work())

    def run() -> None:
        try:
            loop.run_until_complete(task)
        except asyncio.CancelledError:
            pass
        finally:
            loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=30)
        assert not thread.is_alive(), "the worker did not stop"


@contextmanager
def call_locked(database: str, call_id: int) -> Iterator[None]:
    """Hold the call's row `FOR UPDATE` from another connection until exit."""
    with psycopg.connect(_plain(database)) as conn:
        conn.execute("SELECT 1 FROM call WHERE id = %s FOR UPDATE", (call_id,))
        yield
        conn.rollback()


def _store(client: TestClient, make_call: Any, manager_id: str, n: int) -> list[int]:
    calls = [make_call(manager_id=manager_id) for _ in range(n)]
    ids: list[int] = []
    for start in range(0, n, 250):
        answer = client.post("/v1/calls/batch", json={"calls": calls[start : start + 250]})
        assert answer.status_code == 207, answer.text
        ids += [item["id"] for item in answer.json()["items"]]
    return ids


def _rescore(client: TestClient, checklist: str, manager_id: str) -> str:
    answer = client.post("/v1/rescore", json={"checklist": checklist, "manager_id": manager_id})
    assert answer.status_code == 202, answer.text
    return str(answer.headers["location"])


def _parts(database: str, job_id: int) -> list[tuple[str, int]]:
    """(status, attempts) of the job's parts on the queue; attempts counts their ended runs."""
    with psycopg.connect(_plain(database)) as conn:
        rows = conn.execute(
            "SELECT status, attempts FROM procrastinate_jobs "
            "WHERE task_name = %s AND (args->>'job_id')::bigint = %s ORDER BY id",
            (jobs.RESCORE_TASK, job_id),
        ).fetchall()
    return [(str(status), int(attempts)) for status, attempts in rows]


def _wait_for_runs(database: str, job_id: int, runs: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while not any(attempts >= runs for _, attempts in _parts(database, job_id)):
        assert time.monotonic() < deadline, _parts(database, job_id)
        time.sleep(0.05)


def _scores_under(database: str, key: str, ids: list[int]) -> tuple[int, int]:
    """Scores under `key` of the calls, and how many calls they are."""
    with psycopg.connect(_plain(database)) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT call_id) FROM call_score "
            "WHERE checklist_key = %s AND call_id = ANY(%s)",
            (key, ids),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_a_part_that_meets_a_lock_timeout_is_retried_and_the_job_succeeds_counting_each_call_once(
    client: TestClient, database: str, make_call: Any
) -> None:
    ids = _store(client, make_call, "m-locked", jobs.CHUNK + 1)  # the last call: a chunk of its own

    with worker(database, retry_first_s=0.2, retry_for_s=60):
        with call_locked(database, max(ids)):
            location = _rescore(client, "spin_classic", "m-locked")
            job_id = int(location.rsplit("/", 1)[1])
            _wait_for_runs(database, job_id, 2)  # failed twice, so retried twice
            waiting = client.get(location).json()
        job = follow_job(client, location, job_ended)

    assert (waiting["status"], waiting["done"], waiting["error"]) == ("running", jobs.CHUNK, None)
    assert (job["status"], job["total"], job["done"], job["skipped"]) == (
        "succeeded",
        len(ids),
        len(ids),
        0,
    )
    assert _scores_under(database, "spin_classic", ids) == (len(ids), len(ids))
    [(status, attempts)] = _parts(database, job_id)
    assert status == "succeeded" and attempts >= 3


def _waiting_for_a_lock(database: str) -> int:
    """The pid of the worker's connection once it waits for a lock."""
    deadline = time.monotonic() + WAIT_S
    with psycopg.connect(_plain(database), autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'callqa' AND wait_event_type = 'Lock'"
            ).fetchone()
            if row is not None:
                return int(row[0])
            assert time.monotonic() < deadline, "the worker never waited for the lock"
            time.sleep(0.05)


def test_a_part_whose_connection_is_dropped_is_retried_and_the_job_succeeds(
    client: TestClient, database: str, make_call: Any
) -> None:
    ids = _store(client, make_call, "m-dropped", 2)
    patient = Timeouts(lock_ms=60_000, statement_ms=60_000, idle_in_transaction_ms=60_000)

    with worker(database, retry_first_s=0.2, retry_for_s=60, timeouts=patient):
        with call_locked(database, ids[0]):
            location = _rescore(client, "spin_classic", "m-dropped")
            pid = _waiting_for_a_lock(database)
            with psycopg.connect(_plain(database), autocommit=True) as admin:
                # As a restart of PostgreSQL or a failover ends the worker's connections.
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            _wait_for_runs(database, int(location.rsplit("/", 1)[1]), 1)
            waiting = client.get(location).json()
        job = follow_job(client, location, job_ended)

    assert (waiting["status"], waiting["done"], waiting["error"]) == ("running", 0, None)
    assert (job["status"], job["done"]) == ("succeeded", 2)
    assert _scores_under(database, "spin_classic", ids) == (2, 2)
    assert _parts(database, job["job_id"]) == [("succeeded", 2)]


def test_a_part_whose_retries_run_out_fails_the_job_with_the_database_error(
    client: TestClient, database: str, make_call: Any
) -> None:
    ids = _store(client, make_call, "m-stuck", 1)

    waits = {"retry_first_s": 0.125, "retry_for_s": 0.375}  # 0.125 and 0.25: two retries
    with worker(database, **waits), call_locked(database, ids[0]):
        location = _rescore(client, "spin_classic", "m-stuck")
        job = follow_job(client, location, job_ended)

    assert (job["status"], job["done"]) == ("failed", 0)
    assert job["error"].startswith("OperationalError: (psycopg.errors.LockNotAvailable)")
    assert _parts(database, job["job_id"]) == [("failed", 3)]  # the first run, two retries
    assert _scores_under(database, "spin_classic", ids) == (0, 0)


def test_a_part_that_fails_for_another_reason_fails_the_job_at_once(
    client: TestClient, database: str, make_call: Any
) -> None:
    _store(client, make_call, "m-gone", 2)
    document = (ROOT / "checklists" / "spin_classic.yaml").read_text(encoding="utf-8")
    pushed = client.post(
        "/v1/checklists",
        content=document.replace("    points: 15\n", "    points: 40\n", 1).encode(),
        headers={"Content-Type": "application/yaml"},
    ).json()["version"]
    location = _rescore(client, "spin_classic", "m-gone")  # under the version just pushed
    # Nothing uses the version yet, so it may go while the job waits for a worker.
    deleted = client.delete(f"/v1/checklists/spin_classic/versions/{pushed}")

    with worker(database, retry_first_s=0.2, retry_for_s=60):
        job = follow_job(client, location, job_ended)

    assert deleted.status_code == 204, deleted.text
    assert job["status"] == "failed"
    assert job["error"].startswith("NotFound: ") and pushed in job["error"]
    assert _parts(database, job["job_id"]) == [("failed", 1)]  # not retried
