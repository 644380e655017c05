"""Engine, sessions and the one transaction scope the API and the CLI both use.

Services flush and never commit; `Database.session_scope()` commits once at the end of the unit
of work, or rolls back if anything raised.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def json_text(value: Any) -> str:
    """jsonb parameters via orjson: a score and its utterances serialise ~10x faster than json."""
    return orjson.dumps(value).decode()


def _without_jit(dbapi_connection: Any, _record: Any) -> None:
    """Turn PostgreSQL's JIT off for callqa's connections: its queries are short, and JIT
    compiling a plan the planner guesses to be costly took ~100 ms per statement (a batch
    ingest's roll-up upserts) where running it takes a few."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    dbapi_connection.autocommit = autocommit


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    """An engine that survives a database restart (pre-ping) and fails fast when it is down."""
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=10,
        json_serializer=json_text,
        json_deserializer=orjson.loads,
        connect_args={"connect_timeout": 5, "application_name": "callqa"},
    )
    event.listen(engine, "connect", _without_jit)
    return engine


class Database:
    """One engine and its session factory; the app and the CLI each own one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, **engine_kwargs: Any) -> Database:
        """Build from a SQLAlchemy URL."""
        return cls(make_engine(url, **engine_kwargs))

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any exception."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
