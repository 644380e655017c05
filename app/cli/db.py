"""`callqa db upgrade|downgrade|current`: Alembic's command API on the configured database;
`callqa db status|stop`: the embedded PostgreSQL, which outlives `callqa serve` by design."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine, make_url

from app.cli import scope
from app.cli.main import app, examples
from app.db import migrate
from app.db.embedded import (
    embedded_pid,
    embedded_url,
    pgdata_dir,
    resolve_database_url,
    stop_embedded,
)
from app.db.session import make_engine
from app.services import reporting
from app.services.errors import CallqaError
from app.settings import get_settings

db_app = typer.Typer(
    help="Migrate the database schema (Alembic); see or stop the embedded PostgreSQL.",
    no_args_is_help=True,
    epilog=examples(
        "callqa db current",
        "callqa db upgrade",
        "callqa db status",
        "callqa db stop",
    ),
)
app.add_typer(db_app, name="db")
_err = Console(stderr=True)
EXIT_STOPPED = 3  # as `pg_ctl status`: the server is not running


def shown_url(url: str) -> str:
    """A database URL safe to print (password hidden)."""
    return make_url(url).render_as_string(hide_password=True)


def _engine_for_cli() -> Engine:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.INFO)  # "Running upgrade ... -> ..."
    settings = get_settings()
    url = settings.migration_database_url or resolve_database_url(settings)
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


def _embedded_only(command: str) -> None:
    """`status` and `stop` concern the embedded server; a configured one is not ours to run."""
    url = get_settings().database_url
    if url:
        _err.print(
            f"callqa db {command}: CALLQA_DATABASE_URL is set ({shown_url(url)}); callqa does "
            "not run that server, so there is no embedded one to report on or stop",
            soft_wrap=True,
        )
        raise typer.Exit(2)


@db_app.command("status", epilog=examples("callqa db status", "callqa db status || callqa serve"))
def status_command() -> None:
    """Say whether the embedded PostgreSQL runs, its data folder and URL; exit 0 if it runs,
    3 if stopped."""
    _embedded_only("status")
    data_dir = get_settings().data_dir
    url = embedded_url(data_dir)
    print(f"data folder: {pgdata_dir(data_dir)}")
    if url is None:
        print("embedded PostgreSQL: stopped (`callqa serve` starts it)")
        raise typer.Exit(EXIT_STOPPED)
    print(f"embedded PostgreSQL: running (pid {embedded_pid(data_dir)})")
    print(f"url: {url}")


@db_app.command(
    "grant-reporting",
    epilog=examples(
        "callqa db grant-reporting grafana",
        "callqa db grant-reporting metabase --org acme",
    ),
)
def grant_reporting_command(
    role: Annotated[str, typer.Argument(help="An existing database role (CREATE ROLE first).")],
    org: Annotated[
        str | None, typer.Option("--org", help="The organisation whose rows the role sees.")
    ] = None,
) -> None:
    """Let a read-only role read the `reporting` views (Grafana, Metabase, Superset), and only
    the columns under them: no transcripts."""
    try:
        with scope.cli_database(upgrade=True) as database, database.session_scope() as session:
            reporting.grant_reporting(session, role, org)
    except CallqaError as exc:
        raise scope.fail(exc) from None
    _err.print(f"{role} may read the reporting views" + (f" of {org}" if org else ""))


@db_app.command("stop", epilog=examples("callqa db stop"))
def stop_command() -> None:
    """Stop the embedded PostgreSQL (stop `callqa serve` first: it starts the server again)."""
    _embedded_only("stop")
    data_dir = get_settings().data_dir
    if stop_embedded(data_dir):
        print(f"embedded PostgreSQL stopped (data folder {pgdata_dir(data_dir)})")
    else:
        print("embedded PostgreSQL was not running")
