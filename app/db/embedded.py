"""The embedded PostgreSQL (from the `pgserver` package) for runs without CALLQA_DATABASE_URL.

A new user gets a working service with no server to install: PostgreSQL starts in
`data_dir/pgdata`, listens on a Unix socket only, and keeps running after callqa exits
(`cleanup_mode=None`), so the next start reuses it instantly and data survives restarts;
`callqa db stop` stops it. Processes starting it at once take turns on a file lock in
`data_dir`, so a new cluster is initialised, and its database created, once; `callqa serve`
starts it again when its postmaster dies (`keep_running`).
"""

from __future__ import annotations

import logging
import os
import platform
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import fasteners
import psycopg
from psycopg import sql

from app.settings import Settings, normalise_database_url

if TYPE_CHECKING:
    from pgserver.utils import PostmasterInfo

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "callqa"


def pgdata_dir(data_dir: Path) -> Path:
    """Where the embedded server keeps its cluster."""
    return data_dir / "pgdata"


def _pgserver() -> ModuleType:
    """Import pgserver lazily: it touches the runtime dir, and only the embedded path needs it."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); /tmp is fine.
        warnings.simplefilter("ignore")
        import pgserver
    return pgserver


def _start_lock(data_dir: Path) -> fasteners.InterProcessLock:
    """Held while a process initialises or starts the server of `data_dir` (pgserver races
    on a new folder: both create it, both create the database)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return fasteners.InterProcessLock(data_dir / "embedded.lock")


def _server_uri(pgdata: Path, *, cleanup_mode: str | None) -> str:
    server = _pgserver().get_server(pgdata, cleanup_mode=cleanup_mode)
    return str(server.get_uri())


def _running_postmaster(pgdata: Path) -> PostmasterInfo | None:
    """pgserver's view of postmaster.pid when that postmaster is alive, else None."""
    read = _pgserver().utils.PostmasterInfo.read_from_pgdata
    try:
        info: PostmasterInfo | None = read(pgdata)
        # A killed postmaster nobody reaped is a zombie, which psutil counts as running.
        alive = info is not None and info.process is not None and info.process.status() != "zombie"
    except Exception:  # a pid file half-written, a process that just ended (psutil.Error)
        return None
    return info if alive else None


def embedded_url(data_dir: Path) -> str | None:
    """The libpq URI (for psql) of the callqa database when the embedded server of `data_dir`
    runs, else None."""
    info = _running_postmaster(pgdata_dir(data_dir))
    return None if info is None else str(info.get_uri(database=EMBEDDED_DATABASE))


def embedded_pid(data_dir: Path) -> int | None:
    """The postmaster's process id when the embedded server of `data_dir` runs."""
    info = _running_postmaster(pgdata_dir(data_dir))
    return None if info is None else info.pid


def ensure_database(admin_uri: str, name: str) -> None:
    """Create database `name` on the server behind `admin_uri` if it does not exist."""
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def with_database(uri: str, name: str) -> str:
    """The same server URI pointing at another database (pgserver URIs end in `/postgres?...`)."""
    head, sep, query = uri.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}{sep}{query}"


def start_embedded(data_dir: Path, *, cleanup_mode: str | None = None) -> str:
    """Start (or attach to) the embedded server and return a SQLAlchemy URL of its callqa DB."""
    pgdata = pgdata_dir(data_dir)
    with _start_lock(data_dir):
        admin_uri = _server_uri(pgdata, cleanup_mode=cleanup_mode)
        ensure_database(admin_uri, EMBEDDED_DATABASE)
    log.debug("embedded PostgreSQL running, data in %s", pgdata)
    return normalise_database_url(with_database(admin_uri, EMBEDDED_DATABASE))


def start_scratch_server(pgdata: Path) -> tuple[str, Callable[[], None]]:
    """A throwaway server (tests): its URI, and the function that stops and deletes it."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = _pgserver().get_server(pgdata, cleanup_mode="delete")
    return str(server.get_uri()), server.cleanup


def stop_embedded(data_dir: Path) -> bool:
    """Stop the embedded server of `data_dir` (tests and `callqa db stop`); False if it was
    not running."""
    pgdata = pgdata_dir(data_dir)
    if not pgdata.exists():
        return False  # nothing to stop, and no folder to create for the lock
    with _start_lock(data_dir):
        if _running_postmaster(pgdata) is None:
            return False
        user = "pgserver" if platform.system() != "Windows" and os.geteuid() == 0 else None
        _pgserver().pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True


def restart_if_stopped(data_dir: Path) -> bool:
    """Start the embedded server of `data_dir` again if its postmaster is gone; True if so.

    A new pgserver handle, not `get_server`: that one caches the handle of the dead server.
    """
    pgdata = pgdata_dir(data_dir)
    with _start_lock(data_dir):
        if _running_postmaster(pgdata) is not None:
            return False
        _pgserver().PostgresServer(pgdata, cleanup_mode=None)
    return True


def keep_running(data_dir: Path, stop: threading.Event, *, every_s: float = 1.0) -> None:
    """Until `stop` is set, start the embedded server again whenever its postmaster is gone
    (killed, crashed): `callqa serve` runs this in a thread; its workers' pools reconnect.
    Committed data survives: PostgreSQL replays its WAL on the way up."""
    while not stop.wait(every_s):
        try:
            if restart_if_stopped(data_dir):
                log.warning("the embedded PostgreSQL had stopped; started it again")
        except Exception:  # a watchdog must outlive a failed attempt (old backends still exiting)
            log.warning("the embedded PostgreSQL is down; starting it failed", exc_info=True)


def resolve_database_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's (started on demand)."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.data_dir)
