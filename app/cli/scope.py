"""The database a CLI command works on: the same resolution as the API (CALLQA_DATABASE_URL,
else the embedded PostgreSQL) and the same `session_scope`, so a command's unit of work commits
or rolls back exactly like a request's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from app.db import migrate
from app.db.embedded import resolve_database_url
from app.db.session import Database
from app.services.checklists import store_builtins
from app.services.errors import CallqaError
from app.settings import get_settings

err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def cli_database(*, upgrade: bool = False) -> Iterator[Database]:
    """A single-connection Database; `upgrade` first migrates it to head, keeps the day
    roll-ups in CALLQA_TIMEZONE and stores the built-in checklists (as `serve` does)."""
    database = Database.from_url(resolve_database_url(get_settings()), pool_size=1, max_overflow=0)
    try:
        if upgrade:
            migrate.upgrade(database.engine)
            migrate.use_day_zone(database.engine, get_settings().timezone)
            with database.session_scope() as session:
                store_builtins(session)
        yield database
    finally:
        database.dispose()


def fail(error: CallqaError) -> typer.Exit:
    """Print an error of the service family; exit 2 for bad input, 1 when the database is down."""
    err.print(f"[red]callqa: {error.detail}[/red]")
    for field in error.errors:
        where = field.get("parameter") or field.get("pointer") or ""
        if "line" in field:
            where = f"line {field['line']}" + (f" ({where})" if where else "")
        err.print(f"  {where}: {field.get('reason', '')}")
    return typer.Exit(2 if error.status < 500 else 1)
