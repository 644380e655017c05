"""A live uvicorn server (in a thread) on the session's scratch database, with real commits."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from app.api.app import create_app
from app.settings import Settings


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
