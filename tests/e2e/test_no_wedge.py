"""Overlapping batches, retries and single calls never wedge a real `callqa serve` process.

The production hang: identical batches and single retries of their ids at once held every
request thread in a row-lock wait on a batch transaction that itself waited for a thread to
commit. Here the same load runs against `callqa serve` as a separate process; every request
must finish in bounded time, every call be stored once, the roll-ups equal a recount, and
`/readyz` answer afterwards. A 503 (locks or a connection not had in time) is allowed, and is
retried as a platform would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.db.session import make_engine
from tests.e2e.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
CALLQA = Path(sys.executable).parent / "callqa"
GRACE_S = 5
REQUEST_TIMEOUT_S = 60


class Served:
    """A `callqa serve` process on a scratch database."""

    def __init__(self, database_url: str, log_path: Path, workers: int) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        env = dict(os.environ, CALLQA_DATABASE_URL=database_url, CALLQA_LOG_LEVEL="warning")
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [
                str(CALLQA),
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--timeout-graceful-shutdown",
                str(GRACE_S),
                "--no-access-log",
            ],
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its uvicorn and job workers die with it (killpg)
        )
        try:
            self._wait_ready(deadline=time.monotonic() + 180)  # a loaded 2-core machine
        except BaseException:
            self.stop()  # never leave a server behind a failed start
            raise

    def _wait_ready(self, deadline: float) -> None:
        while True:
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, self.log_path.read_text()
            time.sleep(0.2)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)
        self._log.close()


@pytest.fixture
def serve(
    make_scratch_database: Callable[..., Any], tmp_path: Path
) -> Iterator[Callable[[int], Served]]:
    """`serve(workers)` starts `callqa serve` on a database of its own."""
    started: list[Served] = []
    with make_scratch_database(f"wedge_{time.monotonic_ns()}") as url:

        def start(workers: int) -> Served:
            served = Served(url, tmp_path / f"serve{len(started)}.log", workers)
            started.append(served)
            return served

        yield start
        for served in started:
            served.stop()


def _post_until_stored(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    """POST, retrying 503s (after Retry-After) and batch items answered 503, like a platform."""
    for _ in range(30):
        response = client.post(path, json=body)
        if response.status_code == 503:
            assert response.headers["content-type"].startswith("application/problem+json")
            time.sleep(float(response.headers["retry-after"]) / 5)
            continue
        if path.endswith("/batch") and response.status_code == 207:
            retry = [i["index"] for i in response.json()["items"] if i["status"] == 503]
            if retry:
                body = {"calls": [body["calls"][i] for i in retry]}
                time.sleep(0.2)
                continue
        return response
    raise AssertionError(f"{path} still 503 after 30 tries")


def _overlapping_load(
    base_url: str, make_call: Callable[..., dict[str, Any]], manager: str
) -> tuple[list[dict[str, Any]], list[httpx.Response | httpx.TransportError]]:
    """6 identical 200-call batches, 16 single retries of their ids and 10 new single calls
    for the same manager, all released at once. Returns (every distinct call, answers or the
    transport errors of requests the server never answered)."""
    batch = [make_call(manager_id=manager) for _ in range(200)]
    singles = [make_call(manager_id=manager) for _ in range(10)]
    jobs: list[tuple[str, dict[str, Any]]] = [("/v1/calls/batch", {"calls": batch})] * 6
    jobs += [("/v1/calls", batch[i]) for i in range(0, 200, 13)]
    jobs += [("/v1/calls", call) for call in singles]
    answers: list[httpx.Response | httpx.TransportError] = []
    lock = threading.Lock()
    gate = threading.Barrier(len(jobs))

    def run(path: str, body: dict[str, Any]) -> None:
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as client:
            gate.wait()
            try:
                answer: httpx.Response | httpx.TransportError = _post_until_stored(
                    client, path, body
                )
            except httpx.TransportError as exc:
                answer = exc
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=run, args=job, daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 3 * REQUEST_TIMEOUT_S
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "requests still hanging: the server wedged"
    return batch + singles, answers


# Each call once: the roll-ups' latest-score series.
LATEST = "checklist_version = '' AND"
_RECOUNT = text(
    f"""
SELECT
    (SELECT count(*) FROM call WHERE manager_id = :m) AS calls,
    (SELECT count(DISTINCT external_id) FROM call WHERE manager_id = :m) AS distinct_ids,
    (SELECT coalesce(sum(calls), 0) FROM manager_rollup WHERE {LATEST} manager_id = :m)
        AS slot_calls,
    (SELECT coalesce(sum(calls), 0) FROM manager_rollup_day WHERE {LATEST} manager_id = :m)
        AS day_calls,
    (SELECT coalesce(sum(calls), 0) FROM version_rollup_day WHERE manager_id = :m)
        AS version_day_calls,
    (SELECT coalesce(sum(calls), 0) FROM version_rollup_month WHERE manager_id = :m)
        AS version_month_calls,
    (SELECT coalesce(sum(total), 0) FROM call WHERE manager_id = :m) AS total,
    (SELECT coalesce(sum(total_sum), 0) FROM manager_rollup WHERE {LATEST} manager_id = :m)
        AS slot_total,
    (SELECT count(*) FROM call_violation v JOIN call c ON c.id = v.call_id
     WHERE c.manager_id = :m) AS violations,
    (SELECT coalesce(sum(violations), 0) FROM manager_rollup WHERE {LATEST} manager_id = :m)
        AS slot_violations,
    (SELECT coalesce(sum(said), 0) FROM violation_rollup_day WHERE {LATEST} manager_id = :m)
        AS hits_day,
    (SELECT coalesce(sum(said), 0) FROM violation_rollup_month WHERE {LATEST} manager_id = :m)
        AS hits_month
"""
)


def _assert_stored_once_and_rolled_up(database_url: str, manager: str, expected: int) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        got = conn.execute(_RECOUNT, {"m": manager}).one()._asdict()
    engine.dispose()
    assert got["calls"] == got["distinct_ids"] == expected
    assert got["slot_calls"] == got["day_calls"] == expected
    assert got["version_day_calls"] == got["version_month_calls"] == expected
    assert got["slot_total"] == pytest.approx(float(got["total"]))
    assert got["slot_violations"] == got["hits_day"] == got["hits_month"] == got["violations"]


@pytest.mark.parametrize("workers", [1, 2])
def test_overlapping_batches_retries_and_single_calls_all_finish_and_store_each_call_once(
    serve: Callable[[int], Served], make_call: Callable[..., dict[str, Any]], workers: int
) -> None:
    served = serve(workers)
    manager = f"m-wedge-{workers}"

    calls, answered = _overlapping_load(served.base_url, make_call, manager)

    answers = [a for a in answered if isinstance(a, httpx.Response)]
    assert len(answers) == len(answered), "every request is answered"
    assert {r.status_code for r in answers} <= {200, 201, 207}, [
        (r.status_code, r.text[:300]) for r in answers if r.status_code not in (200, 201, 207)
    ]
    batches = [r.json() for r in answers if r.status_code == 207]
    assert all(b["failed"] == 0 for b in batches)
    _assert_stored_once_and_rolled_up(served.database_url, manager, expected=len(calls))
    assert httpx.get(f"{served.base_url}/readyz", timeout=2).status_code == 200


def test_sigterm_under_overlapping_load_ends_within_the_graceful_timeout(
    serve: Callable[[int], Served], make_call: Callable[..., dict[str, Any]]
) -> None:
    served = serve(1)
    load = threading.Thread(
        target=_overlapping_load,
        args=(served.base_url, make_call, "m-wedge-term"),
        daemon=True,  # its requests fail once the server is gone; only the exit is asserted
    )
    load.start()
    time.sleep(1.5)  # the batches are in flight

    children = subprocess.run(
        ["pgrep", "-P", str(served.process.pid)], capture_output=True, text=True, check=False
    ).stdout.split()  # its job worker
    sent = time.monotonic()
    served.process.send_signal(signal.SIGTERM)
    served.process.wait(timeout=GRACE_S + 15)
    stopped = time.monotonic() - sent
    deadline = time.monotonic() + 15  # the job worker's own graceful exit
    while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)

    assert stopped < GRACE_S + 10
    assert children, "serve starts a job worker"
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()], (
        "no worker outlives serve"
    )
