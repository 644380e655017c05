"""The embedded PostgreSQL's life: two `callqa serve` started at once on a new data folder both
come up on one cluster and one schema; `callqa serve` starts a killed postmaster again with
nothing lost; `callqa db status|stop` report and stop it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from app.db.embedded import embedded_pid, pgdata_dir, start_embedded
from tests.e2e.conftest import (
    CALLQA,
    ROOT,
    callqa_serve,
    embedded_env,
    free_port,
    wait_until_healthy,
)


def _db(command: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CALLQA), "db", command],
        env=embedded_env(data_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_two_serves_started_at_once_on_a_new_data_folder_both_come_up(
    data_dir: Path, tmp_path: Path, make_call: Any
) -> None:
    ports = [free_port(), free_port()]
    logs = {port: tmp_path / f"serve-{port}.log" for port in ports}
    with ExitStack() as stack:
        processes = {
            port: stack.enter_context(
                callqa_serve(embedded_env(data_dir), port, logs[port], wait=False)
            )
            for port in ports
        }
        for port, process in processes.items():
            wait_until_healthy(f"http://127.0.0.1:{port}", process, logs[port])
        answers = [
            httpx.post(f"http://127.0.0.1:{port}/v1/calls", json=make_call(), timeout=30)
            for port in ports
        ]
        listed = httpx.get(f"http://127.0.0.1:{ports[0]}/v1/calls", timeout=30).json()

    assert [a.status_code for a in answers] == [201, 201]
    assert {c["external_id"] for c in listed["items"]} >= {a.json()["external_id"] for a in answers}
    assert (pgdata_dir(data_dir) / "PG_VERSION").exists()


def test_serve_starts_a_killed_embedded_postgresql_again_with_nothing_lost(
    data_dir: Path, tmp_path: Path, make_call: Any
) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with (
        callqa_serve(embedded_env(data_dir), port, tmp_path / "serve.log"),
        httpx.Client(base_url=base_url, timeout=10) as client,
    ):
        stored = client.post("/v1/calls", json=make_call())
        killed = embedded_pid(data_dir)
        assert killed is not None
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            # Until its backends notice, a request may still be served by the killed server.
            again = None
            if embedded_pid(data_dir) not in (None, killed):
                again = client.post("/v1/calls", json=make_call())
            if again is not None and again.status_code == 201:
                break
            assert time.monotonic() < deadline, "not serving 30 s after the kill"
            time.sleep(0.5)
        earlier = client.get(stored.headers["location"])

    assert stored.status_code == 201
    assert earlier.status_code == 200, (tmp_path / "serve.log").read_text()[-6000:]
    assert earlier.json()["external_id"] == stored.json()["external_id"]
    assert embedded_pid(data_dir) not in (None, killed)


def test_db_status_and_stop_report_and_stop_the_embedded_server(data_dir: Path) -> None:
    before = _db("status", data_dir)
    start_embedded(data_dir)
    running = _db("status", data_dir)
    stopped = _db("stop", data_dir)
    after = _db("status", data_dir)
    stopped_again = _db("stop", data_dir)

    assert before.returncode == 3, before.stderr
    assert "stopped" in before.stdout
    assert str(pgdata_dir(data_dir)) in before.stdout
    assert running.returncode == 0, running.stderr
    assert "running" in running.stdout
    assert f"/callqa?host={pgdata_dir(data_dir)}" in running.stdout
    assert (stopped.returncode, after.returncode) == (0, 3), stopped.stderr[-3000:]
    assert "stopped" in stopped.stdout
    assert stopped_again.returncode == 0
    assert "was not running" in stopped_again.stdout


def test_db_status_refuses_when_a_database_url_is_configured(tmp_path: Path) -> None:
    env = {**embedded_env(tmp_path), "CALLQA_DATABASE_URL": "postgresql://db.example/callqa"}
    done = subprocess.run(
        [str(CALLQA), "db", "status"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "CALLQA_DATABASE_URL is set" in done.stderr
