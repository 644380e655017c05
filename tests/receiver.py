"""A real webhook receiver on loopback for specs: it records every POST (headers and raw body)
and answers the statuses it was told to, in order, then 200; and a sender that posts nothing
(`Recorder`), for specs that run the worker's delivering in process."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One POST as the receiver got it."""

    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Where deliveries land (`url`); `fail(500, 503)` answers the next two with those."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, *statuses: int) -> None:
        with self.lock:
            self.answers.extend(statuses)

    def take(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            status = self.answers.pop(0) if self.answers else 200
            self.received.append(Received(headers, body, status))
            return status

    def wait_for(
        self, done: Callable[[list[Received]], bool], timeout_s: float = 60
    ) -> list[Received]:
        """The requests received once `done(requests)` holds; fails after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self.lock:
                got = list(self.received)
            if done(got):
                return got
            assert time.monotonic() < deadline, f"receiver got only {[r.json for r in got]}"
            time.sleep(0.05)

    def delivered(self) -> list[Received]:
        """The requests it answered 2xx."""
        with self.lock:
            return [r for r in self.received if r.answered < 300]


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 until the block ends."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.take({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/callqa"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


class Recorder:
    """A sender that posts nothing: it keeps each body and answers with the next status."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.posted: list[tuple[dict[str, str], bytes]] = []

    def post(self, url: str, headers: dict[str, str], body: bytes) -> tuple[int, str | None]:
        self.posted.append((headers, body))
        status = self.statuses.pop(0) if self.statuses else 204
        return status, None if status < 300 else f"HTTP {status}"
