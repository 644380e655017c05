"""Is this worker still able to serve? What /healthz (liveness) answers.

Busy is not dead: a worker whose threads are all working, or whose queue is long, is alive as
long as work keeps finishing. It is dead when, for `stall_s`, work waited for a thread and none
finished (every thread stuck), the event loop did not get to run, or every unit of work failed
to get a
database connection from the pool (a wedged pool that only a restart clears; an unreachable
database is not counted: that is /readyz's business, and restarting callqa would not help).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import anyio

from app.metrics import THREADPOOL_PENDING

HEARTBEAT_S = 1.0
T = TypeVar("T")


class Liveness:
    """Progress counters of one worker, read by /healthz; updated from the event loop and
    from worker threads."""

    def __init__(self, stall_s: float) -> None:
        self.stall_s = stall_s
        now = time.monotonic()
        self.waiting = 0  # tasks that asked for a thread and have not got one yet
        self.last_finished = now
        self.last_heartbeat = now
        self.pool_failing_since: float | None = None
        self._lock = threading.Lock()

    @contextmanager
    def task(self, work: Callable[[], T]) -> Iterator[Callable[[], T]]:
        """Count one piece of thread-pool work as waiting until a thread runs the returned
        callable; its end is progress."""
        started = False

        def run() -> T:
            nonlocal started
            with self._lock:
                started = True
                self.waiting -= 1
                THREADPOOL_PENDING.dec()
            return work()

        with self._lock:
            if self.waiting == 0:
                # Nothing was waiting: the clock of "no progress" starts now.
                self.last_finished = time.monotonic()
            self.waiting += 1
            THREADPOOL_PENDING.inc()
        try:
            yield run
        finally:
            with self._lock:
                if not started:  # cancelled before a thread took it
                    self.waiting -= 1
                    THREADPOOL_PENDING.dec()
                self.last_finished = time.monotonic()

    def pool_checkout_failed(self) -> None:
        """A unit of work got no pooled connection in time."""
        if self.pool_failing_since is None:
            self.pool_failing_since = time.monotonic()

    def pool_checkout_worked(self) -> None:
        """A unit of work got a connection: the pool is not wedged."""
        self.pool_failing_since = None

    async def heartbeat(self) -> None:
        """Tick while the event loop runs; a stale tick means the loop was blocked."""
        while True:
            self.last_heartbeat = time.monotonic()
            await anyio.sleep(HEARTBEAT_S)

    def problems(self) -> list[str]:
        """Why this worker cannot serve; empty while it can."""
        now = time.monotonic()
        found = []
        if self.waiting and now - self.last_finished > self.stall_s:
            found.append(
                f"{self.waiting} request(s) waited for a thread and no thread-pool task finished "
                f"for {now - self.last_finished:.0f} s"
            )
        if now - self.last_heartbeat > self.stall_s + HEARTBEAT_S:
            found.append(f"the event loop was blocked for {now - self.last_heartbeat:.0f} s")
        failing = self.pool_failing_since
        if failing is not None and now - failing > self.stall_s:
            found.append(f"no database connection could be had for {now - failing:.0f} s")
        return found
