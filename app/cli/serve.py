"""`callqa serve`: resolve the database, migrate it to head, run uvicorn."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from app.cli.db import shown_url
from app.cli.main import app
from app.db import migrate
from app.db.embedded import pgdata_dir, start_embedded
from app.db.session import make_engine
from app.settings import get_settings

_err = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
) -> None:
    """Run the HTTP API; without CALLQA_DATABASE_URL, on an embedded PostgreSQL."""
    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s: %(message)s")
    if settings.database_url:
        url = settings.database_url
        _err.print(f"database: {shown_url(url)}")
    else:
        # Started once here, never per worker: workers get its URL through the environment.
        url = start_embedded(settings.data_dir)
        _err.print(f"embedded PostgreSQL: data lives in {pgdata_dir(settings.data_dir)}")
    engine = make_engine(url, pool_size=1, max_overflow=0)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        _err.print(f"migrations applied: schema at revision {migrate.current_revision(conn)}")
    engine.dispose()
    os.environ["CALLQA_DATABASE_URL"] = url
    get_settings.cache_clear()
    uvicorn.run(
        "app.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        access_log=access_log,
    )
