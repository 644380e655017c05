"""`callqa serve`: resolve the database, migrate it to head, run uvicorn."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import threading
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from sqlalchemy.exc import OperationalError

from app.cli.db import shown_url
from app.cli.main import app
from app.db import migrate
from app.db.embedded import keep_running, pgdata_dir, start_embedded
from app.db.session import make_engine
from app.settings import get_settings

_err = Console(stderr=True)
_M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h
# uvicorn's supervisor kills a worker that does not answer its ping in time, and the ping is
# answered only once the new process has imported callqa: its default 5 s is too short on a
# busy 2-core machine, where that kill-and-respawn repeats. A hung worker waits longer too.
_WORKER_PING_TIMEOUT_S = 60


def _limit_malloc_arenas(arenas: int) -> None:
    """Apply MALLOC_ARENA_MAX to this process too (workers read it from the environment)."""
    with contextlib.suppress(OSError):  # not glibc (macOS, musl): nothing to tune
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, arenas)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
) -> None:
    """Run the HTTP API; without CALLQA_DATABASE_URL, on an embedded PostgreSQL that it starts
    again if it dies, and that keeps running after serve exits (`callqa db stop`)."""
    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s: %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # its INFO is a debugging trace
    if settings.database_url:
        url = settings.database_url
        _err.print(f"database: {shown_url(url)}", soft_wrap=True)
    else:
        # Started once here, never per worker: workers get its URL through the environment.
        url = start_embedded(settings.data_dir)
        where = pgdata_dir(settings.data_dir)
        _err.print(f"embedded PostgreSQL: data lives in {where}", soft_wrap=True)
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        migrate.upgrade(engine)
        if migrate.use_day_zone(engine, settings.timezone):
            _err.print(f"day roll-ups rebuilt in {settings.timezone}")
        with engine.connect() as conn:
            revision = migrate.current_revision(conn)
    except OperationalError as exc:
        _err.print(f"[red]callqa: cannot reach the database: {exc.orig}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    _err.print(f"migrations applied: schema at revision {revision}")
    os.environ["CALLQA_DATABASE_URL"] = url
    # glibc gives each thread its own malloc arena; with request threads handling 20 KB
    # transcripts that fragments memory and doubles RSS. Two arenas keep a worker small.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    _limit_malloc_arenas(int(os.environ["MALLOC_ARENA_MAX"]))
    get_settings.cache_clear()
    stop_watching = threading.Event()
    if not settings.database_url:
        watchdog = threading.Thread(
            target=keep_running, args=(settings.data_dir, stop_watching), daemon=True
        )
        watchdog.start()
    try:
        uvicorn.run(
            "app.api.app:create_app",
            factory=True,
            http="app.api.protocol:GuardedHttpProtocol",
            host=host,
            port=port,
            workers=workers,
            timeout_worker_healthcheck=_WORKER_PING_TIMEOUT_S,
            log_level=settings.log_level,
            access_log=access_log,
        )
    finally:
        stop_watching.set()
