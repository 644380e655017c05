"""Alembic's command API, wrapped for `callqa serve`, `callqa db ...`, `/readyz` and tests; and
keeping the day roll-ups in the configured zone, which goes with migrating at startup."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from app.db import calls as call_queries
from app.db import reporting
from app.engine.resources import DATA_DIR

# Two `callqa serve` starting at once both migrate: they take turns on this transaction-level
# advisory lock, so the second finds the schema at head (or the day zone set) and does nothing.
_MIGRATION_LOCK = int.from_bytes(b"callqa-m", "big") >> 1  # any fixed bigint


def alembic_config(connection: Connection | None = None, *, url: str | None = None) -> Config:
    """An Alembic config for this project, bound to a connection or URL when given."""
    cfg = Config(str(DATA_DIR / "alembic.ini"))  # script_location: migrations/ beside it
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _take_turns(conn: Connection | Session) -> None:
    """Wait for any other callqa process migrating this database (held until commit); see
    every organisation's rows meanwhile (row-level security lets the owner, not the app role,
    do so in a transaction with `callqa.maintenance` on)."""
    conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
    conn.execute(select(func.set_config("callqa.maintenance", "on", True)))


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind `engine` up to `revision`."""
    with engine.begin() as conn:
        _take_turns(conn)
        command.upgrade(alembic_config(conn), revision)
        if revision == "head":  # roles granted the reporting views before get what was added
            reporting.refresh_grants(conn)


def use_day_zone(engine: Engine, zone: str) -> bool:
    """Keep the day roll-ups of a database at head in `zone` (CALLQA_TIMEZONE): rebuilt from
    the slots, and their phrase hits from the stored hits, when they are in another one (~18 s
    a million calls, ~5 s of it the phrase hits); True if rebuilt."""
    with Session(engine) as session, session.begin():
        _take_turns(session)
        return call_queries.set_day_zone(session, zone)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database behind `engine` down to `revision` (`base` drops everything)."""
    with engine.begin() as conn:
        _take_turns(conn)
        command.downgrade(alembic_config(conn), revision)


def head_revision() -> str | None:
    """The newest revision in migrations/versions."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the connected database is at, or None before the first migration."""
    return MigrationContext.configure(connection).get_current_revision()
