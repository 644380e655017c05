"""`callqa db upgrade|downgrade|current`: Alembic's command API on the configured database."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine, make_url

from app.cli.main import app, examples
from app.db import migrate
from app.db.embedded import resolve_database_url
from app.db.session import make_engine
from app.settings import get_settings

db_app = typer.Typer(
    help="Migrate the database schema (Alembic).",
    no_args_is_help=True,
    epilog=examples("callqa db current", "callqa db upgrade", "callqa db downgrade -1"),
)
app.add_typer(db_app, name="db")
_err = Console(stderr=True)


def shown_url(url: str) -> str:
    """A database URL safe to print (password hidden)."""
    return make_url(url).render_as_string(hide_password=True)


def _engine_for_cli() -> Engine:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.INFO)  # "Running upgrade ... -> ..."
    url = resolve_database_url(get_settings())
    _err.print(f"database: {shown_url(url)}", soft_wrap=True)
    return make_engine(url, pool_size=1, max_overflow=0)


@db_app.command(
    "upgrade",
    epilog=examples(
        "callqa db upgrade",
        "CALLQA_DATABASE_URL=postgresql://db/callqa callqa db upgrade",
    ),
)
def upgrade_command(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: head); at head, keep the day roll-ups in
    CALLQA_TIMEZONE."""
    engine = _engine_for_cli()
    migrate.upgrade(engine, revision)
    if revision == "head" and migrate.use_day_zone(engine, get_settings().timezone):
        _err.print(f"day roll-ups rebuilt in {get_settings().timezone}")
    with engine.connect() as conn:
        _err.print(f"at revision {migrate.current_revision(conn)}")
    engine.dispose()


@db_app.command("downgrade", epilog=examples("callqa db downgrade -1", "callqa db downgrade base"))
def downgrade_command(
    revision: Annotated[str, typer.Argument(help="Target revision: -1, an id, or base.")] = "-1",
) -> None:
    """Revert migrations down to REVISION (`base` drops every table)."""
    engine = _engine_for_cli()
    migrate.downgrade(engine, revision)
    with engine.connect() as conn:
        _err.print(f"at revision {migrate.current_revision(conn) or 'base'}")
    engine.dispose()


@db_app.command("current", epilog=examples("callqa db current"))
def current_command() -> None:
    """Print the database's revision and the code's head."""
    engine = _engine_for_cli()
    with engine.connect() as conn:
        current = migrate.current_revision(conn)
    engine.dispose()
    head = migrate.head_revision()
    state = "up to date" if current == head else "behind: run `callqa db upgrade`"
    print(f"{current or 'base'} (head {head}, {state})")
