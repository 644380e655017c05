"""`callqa serve`: resolve the database, migrate it to head, run uvicorn."""

from __future__ import annotations

import contextlib
import ctypes
import logging.config
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.cli.db import shown_url
from app.cli.main import app, examples
from app.db import migrate
from app.db.embedded import keep_running, pgdata_dir, start_embedded
from app.db.session import make_engine, use_tenant
from app.logs import logging_config
from app.metrics import MULTIPROC_ENV
from app.services import access
from app.services.checklists import store_builtins
from app.services.mode import is_loopback
from app.settings import get_settings
from app.tenancy import LOCAL

_err = Console(stderr=True)
# uvicorn's supervisor kills a worker that does not answer its ping in time, and the ping is
# answered only once the new process has imported callqa: its default 5 s is too short on a
# busy 2-core machine, where that kill-and-respawn repeats. A hung worker waits longer too.
_WORKER_PING_TIMEOUT_S = 60
_M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h
_PR_SET_PDEATHSIG = 1  # prctl option, from linux/prctl.h


def _limit_malloc_arenas(arenas: int) -> None:
    """Apply MALLOC_ARENA_MAX to this process too (workers read it from the environment)."""
    with contextlib.suppress(OSError):  # not glibc (macOS, musl): nothing to tune
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, arenas)


def _die_with_parent() -> None:
    """In a job worker before it starts: end with `serve`. uvicorn re-raises SIGTERM once it has
    shut down, so serve's own clean-up may never run; Linux then signals the child itself."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: serve's clean-up only
        ctypes.CDLL("libc.so.6").prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _share_metrics(workers: int) -> Path | None:
    """Workers sum their metrics in PROMETHEUS_MULTIPROC_DIR, which must start without values
    (an earlier run's would be added to this one's): the metric files (*.db) of the folder set
    are removed; with several workers and none set, a new temporary folder is made (returned,
    to be removed at the end)."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for left in Path(given).glob("*.db"):
            left.unlink(missing_ok=True)
        return None
    if workers == 1:
        return None
    folder = Path(tempfile.mkdtemp(prefix="callqa-metrics-"))
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def _check_access(host: str, keys_exist: bool, auth_off: bool) -> None:
    """Refuse to serve a non-loopback address with no key (nobody could be told apart)."""
    if auth_off:
        _err.print("[yellow]CALLQA_AUTH=off: every request is answered without a key[/yellow]")
    elif not keys_exist and not is_loopback(host):
        _err.print(
            f"[red]callqa: refusing to listen on {host} with no API key: anyone could read the "
            "calls. Create one first: callqa keys create --scope admin "
            "(or set CALLQA_AUTH=off on a trusted network).[/red]",
            soft_wrap=True,
        )
        raise typer.Exit(1)
    elif not keys_exist:
        _err.print("local mode: no API key yet, loopback clients are answered without one")


@app.command(
    epilog=examples(
        "callqa serve --port 8000",
        "callqa keys create --scope admin && callqa serve --host 0.0.0.0",
    )
)
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (one JSON line: id, route, status, ms).")
    ] = True,
    timeout_graceful_shutdown: Annotated[
        int,
        typer.Option(min=1, help="Seconds in-flight requests get after SIGTERM before the exit."),
    ] = 10,
    job_workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="`callqa worker` processes to start beside the API (0: run them elsewhere; "
            "default CALLQA_JOB_WORKERS, else one per core).",
        ),
    ] = None,
) -> None:
    """Run the HTTP API; without CALLQA_DATABASE_URL, on an embedded PostgreSQL that it starts
    again if it dies, and that keeps running after serve exits (`callqa db stop`)."""
    settings = get_settings()
    log_config = logging_config(settings.log_level)
    logging.config.dictConfig(log_config)
    if settings.database_url:
        url = settings.database_url
        _err.print(f"database: {shown_url(url)}", soft_wrap=True)
    else:
        # Started once here, never per worker: workers get its URL through the environment.
        url = start_embedded(settings.data_dir)
        where = pgdata_dir(settings.data_dir)
        _err.print(f"embedded PostgreSQL: data lives in {where}", soft_wrap=True)
    # Migrations as the tables' owner; requests and jobs as the app role (row-level security).
    engine = make_engine(settings.migration_database_url or url, pool_size=1, max_overflow=0)
    try:
        migrate.upgrade(engine)
        if migrate.use_day_zone(engine, settings.timezone):
            _err.print(f"day roll-ups rebuilt in {settings.timezone}")
        with Session(engine) as session, session.begin():
            use_tenant(session, LOCAL)  # the built-ins are the default organisation's
            stored = store_builtins(session)
        _err.print(f"built-in checklists: {stored} new version(s) stored")
        with engine.connect() as conn:
            revision = migrate.current_revision(conn)
        with Session(engine) as session:
            keys_exist = access.any_key(session)
    except OperationalError as exc:
        _err.print(f"[red]callqa: cannot reach the database: {exc.orig}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    _err.print(f"migrations applied: schema at revision {revision}")
    _check_access(host, keys_exist, settings.auth == "off")
    os.environ["CALLQA_HOST"] = host
    os.environ["CALLQA_DATABASE_URL"] = url
    os.environ["CALLQA_LOG_REQUESTS"] = str(access_log).lower()
    os.environ["CALLQA_BIND_HOST"] = host  # local mode (app.services.mode) reads it
    made = _share_metrics(workers)
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
    # Background jobs (rescoring) never run in a request worker: child processes of their own,
    # one per core unless told (a rescoring's parts spread over them; each is niced).
    if job_workers is None:
        job_workers = settings.job_workers
    if job_workers is None:
        job_workers = os.cpu_count() or 1
    job_processes = [
        subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], preexec_fn=_die_with_parent)
        for _ in range(job_workers)
    ]
    try:
        uvicorn.run(
            "app.api.app:create_app",
            factory=True,
            http="app.api.protocol:GuardedHttpProtocol",
            host=host,
            port=port,
            workers=workers,
            log_config=log_config,
            log_level=settings.log_level,
            access_log=False,  # the app logs each request itself (app.api.observe)
            timeout_graceful_shutdown=timeout_graceful_shutdown,
            timeout_worker_healthcheck=_WORKER_PING_TIMEOUT_S,
        )
    finally:
        stop_watching.set()
        for process in job_processes:
            process.terminate()
        for process in job_processes:
            try:
                process.wait(timeout=timeout_graceful_shutdown)
            except subprocess.TimeoutExpired:
                process.kill()
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
