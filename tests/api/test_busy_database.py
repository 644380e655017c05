"""A busy or frozen database: 503 with Retry-After in bounded time, never a hang; the retry
stores the call once; /healthz and /readyz tell the truth.

These run the app on real commits (no test session): a second connection holds a roll-up row
the way a concurrent ingest would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from app.api.app import create_app
from app.db import migrate
from app.db.embedded import start_scratch_server
from app.db.session import make_engine
from app.settings import Settings, normalise_database_url


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def rollup_row_locked(url: str, manager_id: str) -> Iterator[None]:
    """Hold the manager's roll-up rows locked, as a concurrent writer would, until exit."""
    with psycopg.connect(_plain(url)) as conn:
        locked = conn.execute(
            "SELECT 1 FROM manager_rollup WHERE manager_id = %s FOR UPDATE", (manager_id,)
        ).fetchall()
        assert locked, "store one call of the manager first"
        yield
        conn.rollback()


def _count(url: str, sql: str, *params: Any) -> int:
    with psycopg.connect(_plain(url)) as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def database(make_scratch_database: Callable[..., Any]) -> Iterator[str]:
    with make_scratch_database(f"busy_{time.monotonic_ns()}") as url:
        yield url


def _client(url: str, **settings: Any) -> TestClient:
    app = create_app(Settings(database_url=url, **settings))
    return TestClient(app, raise_server_exceptions=False)


def test_a_call_that_cannot_get_its_locks_in_time_answers_503_and_its_retry_is_stored_once(
    database: str, make_call: Any
) -> None:
    with _client(database, db_lock_timeout_ms=300) as client:
        assert client.post("/v1/calls", json=make_call(manager_id="m-hot")).status_code == 201
        call = make_call(manager_id="m-hot")  # the same slot: its roll-up row is the same

        with rollup_row_locked(database, "m-hot"):
            began = time.monotonic()
            busy = client.post("/v1/calls", json=call)
            waited = time.monotonic() - began

        retried = client.post("/v1/calls", json=call)

    assert busy.status_code == 503
    assert busy.headers["content-type"] == "application/problem+json"
    assert int(busy.headers["retry-after"]) > 0
    assert "повторите" in busy.json()["detail"]  # retry, in Russian (the default)
    assert waited < 5
    assert retried.status_code == 201
    stored = "SELECT count(*) FROM call WHERE external_id = %s"
    assert _count(database, stored, call["external_id"]) == 1
    rolled_up = (
        "SELECT sum(calls) FROM manager_rollup WHERE checklist_version = '' AND manager_id = %s"
    )
    assert _count(database, rolled_up, "m-hot") == 2


def test_batch_items_that_miss_their_locks_are_503_inside_the_207_and_the_others_are_stored(
    database: str, make_call: Any
) -> None:
    free = [make_call(manager_id="m-free", external_id=f"a-{i:02}") for i in range(50)]
    hot = [make_call(manager_id="m-hot", external_id=f"b-{i:02}") for i in range(5)]
    with _client(database, db_lock_timeout_ms=300) as client:
        assert client.post("/v1/calls", json=make_call(manager_id="m-hot")).status_code == 201

        with rollup_row_locked(database, "m-hot"):
            answer = client.post("/v1/calls/batch", json={"calls": hot + free})
        retry = [item["index"] for item in answer.json()["items"] if item["status"] == 503]
        again = client.post("/v1/calls/batch", json={"calls": [(hot + free)[i] for i in retry]})

    assert answer.status_code == 207
    statuses = [item["status"] for item in answer.json()["items"]]
    assert statuses == [503] * 5 + [201] * 50  # the free calls went in a chunk of their own
    assert answer.json()["items"][0]["title"] == "Service unavailable"
    assert [item["status"] for item in again.json()["items"]] == [201] * 5
    assert _count(database, "SELECT count(*) FROM call WHERE manager_id = 'm-hot'") == 6
    assert (
        _count(database, "SELECT sum(calls) FROM manager_rollup WHERE checklist_version = ''") == 56
    )


def test_a_request_that_gets_no_pooled_connection_in_time_answers_503(
    database: str, make_call: Any
) -> None:
    settings = {
        "db_pool_size": 1,
        "db_max_overflow": 0,
        "db_pool_timeout_s": 0.3,
        "db_lock_timeout_ms": 3000,
    }
    with _client(database, **settings) as client:
        assert client.post("/v1/calls", json=make_call(manager_id="m-hot")).status_code == 201
        waiting: list[httpx.Response] = []

        with rollup_row_locked(database, "m-hot"):
            holder = threading.Thread(
                target=lambda: waiting.append(
                    client.post("/v1/calls", json=make_call(manager_id="m-hot"))
                )
            )
            holder.start()  # takes the only connection, then waits on the lock
            time.sleep(0.5)
            starved = client.get("/v1/managers")
        holder.join(timeout=10)

    assert starved.status_code == 503
    assert "retry-after" in starved.headers
    assert [r.status_code for r in waiting] == [201]


def test_healthz_fails_while_requests_wait_and_no_thread_finishes_and_recovers_after(
    database: str, make_call: Any
) -> None:
    settings = {"worker_threads": 1, "liveness_stall_s": 1, "db_lock_timeout_ms": 20_000}
    with _client(database, **settings) as client:
        assert client.post("/v1/calls", json=make_call(manager_id="m-hot")).status_code == 201
        assert client.get("/healthz").status_code == 200
        done: list[int] = []

        def post() -> None:
            done.append(client.post("/v1/calls", json=make_call(manager_id="m-hot")).status_code)

        with rollup_row_locked(database, "m-hot"):
            # One call holds the only thread in a lock wait, a second waits for the thread.
            workers = [threading.Thread(target=post) for _ in range(2)]
            for worker in workers:
                worker.start()
            deadline = time.monotonic() + 15
            stalled = client.get("/healthz")
            while stalled.status_code == 200 and time.monotonic() < deadline:
                time.sleep(0.2)
                stalled = client.get("/healthz")
        for worker in workers:
            worker.join(timeout=15)
        recovered = client.get("/healthz")

    assert stalled.status_code == 503
    assert "no thread-pool task finished" in stalled.json()["detail"]
    assert sorted(done) == [201, 201]
    assert recovered.status_code == 200


def test_healthz_stays_up_while_the_worker_is_merely_busy(database: str, make_call: Any) -> None:
    settings = {"worker_threads": 1, "liveness_stall_s": 1}
    with _client(database, **settings) as client:
        batch = {"calls": [make_call(manager_id="m-busy") for _ in range(300)]}
        answers: list[int] = []
        sender = threading.Thread(
            target=lambda: answers.extend(
                client.post("/v1/calls/batch", json=batch).status_code for _ in range(2)
            )
        )
        sender.start()
        probes = []
        while sender.is_alive():
            probes.append(client.get("/healthz").status_code)
            time.sleep(0.2)

    assert answers == [207, 207]
    assert set(probes) == {200}


def _postgres_pids(pgdata: Path) -> list[int]:
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(
        ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
    ).stdout.split()
    return [postmaster, *map(int, children)]


def test_readyz_answers_503_within_two_seconds_while_postgresql_is_frozen() -> None:
    pgdata = Path(tempfile.mkdtemp(prefix="callqa-frozen-")) / "pgdata"
    uri, stop = start_scratch_server(pgdata)
    try:
        url = normalise_database_url(uri)
        engine = make_engine(url, pool_size=1, max_overflow=0)
        migrate.upgrade(engine)
        engine.dispose()
        with _client(url) as client:
            ready_before = client.get("/readyz")
            pids = _postgres_pids(pgdata)
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            try:
                timings = []
                for _ in range(3):
                    began = time.monotonic()
                    frozen = client.get("/readyz")
                    timings.append(time.monotonic() - began)
                    assert frozen.status_code == 503
            finally:
                for pid in pids:
                    os.kill(pid, signal.SIGCONT)
            deadline = time.monotonic() + 10
            after = client.get("/readyz")
            while after.status_code != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
                after = client.get("/readyz")
    finally:
        stop()

    assert ready_before.status_code == 200
    assert max(timings) < 2
    assert "не ответила" in frozen.json()["detail"]  # did not answer, in Russian
    assert after.status_code == 200
