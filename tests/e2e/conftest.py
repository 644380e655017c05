"""Live servers with real commits: uvicorn in a thread on the session's scratch database, and
`callqa serve` as a process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app.api.app import create_app
from app.db.embedded import stop_embedded
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CALLQA = Path(sys.executable).parent / "callqa"


def follow_job(
    client: Any, location: str, until: Callable[[dict[str, Any]], bool], timeout_s: float = 120
) -> Any:
    """`GET location` (a job) until `until(job)` holds or `timeout_s` has passed; the last
    answer (a slow machine takes long, a passing spec seconds)."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(location).json()
        if until(job) or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def job_ended(job: dict[str, Any]) -> bool:
    return job["status"] not in ("queued", "running")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def unused_port() -> int:
    """A TCP port nothing listens on right now."""
    return free_port()


@pytest.fixture(scope="session")
def live_server(database_url: str) -> Iterator[str]:
    """Base URL of a server whose requests commit for real (use unique ids per test)."""
    app = create_app(Settings(database_url=database_url))
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{config.port}"
    server.should_exit = True
    thread.join(timeout=10)


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll /healthz until 200; fail with the server's log if it exits or takes 120 s (a first
    start initialises a cluster, and the machine may be busy)."""
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


@contextmanager
def callqa_serve(
    env: dict[str, str], port: int, log: Path, *, wait: bool = True
) -> Iterator[subprocess.Popen[bytes]]:
    """`callqa serve --port PORT` with `env` as its whole environment, output in `log`;
    terminated (SIGTERM) on exit."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(CALLQA), "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        if wait:
            wait_until_healthy(f"http://127.0.0.1:{port}", process, log)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def embedded_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This environment without CALLQA_DATABASE_URL (so `serve` runs the embedded server)."""
    env = {k: v for k, v in os.environ.items() if k != "CALLQA_DATABASE_URL"}
    return {**env, "CALLQA_DATA_DIR": str(data_dir), **extra}


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder that does not exist yet; its embedded server is stopped afterwards.

    Not under pytest's tmp_path: the embedded server runs as another user when tests run as
    root, and any pytest starting meanwhile makes /tmp/pytest-of-root private again.
    """
    parent = Path(tempfile.mkdtemp(prefix="callqa-test-data-"))
    folder = parent / "data"
    yield folder
    stop_embedded(folder)  # the embedded server outlives callqa by design
    shutil.rmtree(parent, ignore_errors=True)
