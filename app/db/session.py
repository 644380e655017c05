"""Engine, sessions and the one transaction scope the API and the CLI both use.

Services flush and never commit; `Database.session_scope()` commits once at the end of the unit
of work, or rolls back if anything raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from app.metrics import DB_POOL_IN_USE
from app.tenancy import DEFAULT_ORGANISATION, LOCAL, Tenant

APP_ROLE = "callqa_app"
"""The role requests and jobs run as: neither owner nor BYPASSRLS, so row-level security
holds for them (migration 2026-12-03-0805 creates it)."""

# Transaction-local: a pooled connection never carries one request's organisation to the next.
_SET_ORGANISATION = "SELECT set_config('callqa.organisation_id', %s, true)"


def _set_organisation(connection: Connection, organisation_id: str) -> None:
    """Set the organisation in `connection`'s transaction, on the driver's connection: without
    SQLAlchemy's statement machinery, which was a third of this call's CPU (every transaction
    makes it)."""
    driver = connection.connection.driver_connection
    assert driver is not None  # a connection in a transaction has its driver's connection
    driver.execute(_SET_ORGANISATION, (organisation_id,))


def use_tenant(session: Session, tenant: Tenant) -> None:
    """Let row-level security show `session`'s transactions only `tenant`'s organisation: set
    now if a transaction is open, and at the start of each later one (`_on_begin`)."""
    session.info["organisation_id"] = tenant.organisation_id
    if session.in_transaction():
        _set_organisation(session.connection(), tenant.organisation_id)


def _on_begin(session: Session, _: SessionTransaction, connection: Connection) -> None:
    _set_organisation(connection, session.info.get("organisation_id", DEFAULT_ORGANISATION))


def json_text(value: Any) -> str:
    """jsonb parameters via orjson: a score and its utterances serialise ~10x faster than json."""
    return orjson.dumps(value).decode()


SessionScope = Callable[[], AbstractContextManager[Session]]
"""What opens one unit of work: `with scope() as session:` commits on success, rolls back on
any exception (`Database.session_scope`)."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Server-side limits on what one request's transaction may wait for, in milliseconds.

    Without them a transaction left waiting (on a lock, or idle while its holder waited for a
    thread) waited forever, and so did every request queued behind it; with them the waiter
    gets an error the API answers as 503 with Retry-After, and the holder is cut loose.
    """

    lock_ms: int
    statement_ms: int
    idle_in_transaction_ms: int


# PostgreSQL's SQLSTATEs for "not now, try again": lock_timeout, statement_timeout (or a
# cancel); and class 40, transaction rollback (deadlock detected, serialization failure).
_TRANSIENT_SQLSTATES = frozenset({"55P03", "57014"})
_TRANSIENT_CLASSES = ("40",)
# The server went away or is not taking connections yet: admin or crash shutdown, cannot
# connect now (starting up); and class 08, connection exceptions.
_CONNECTION_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
_CONNECTION_CLASSES = ("08",)


def _sqlstate(exc: DBAPIError) -> str | None:
    state = getattr(exc.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` means the database was too busy in time (retry), not that it refused the
    data or is down: a lock or statement timeout, a deadlock or serialization failure, or no
    pooled connection free. The API answers these 503 "busy"; a batch answers its chunk's
    items 503 and goes on."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        state = _sqlstate(exc)
        return state is not None and (
            state in _TRANSIENT_SQLSTATES or state.startswith(_TRANSIENT_CLASSES)
        )
    return False


def is_connection_lost(exc: BaseException) -> bool:
    """Whether `exc` means the connection to the database failed or was lost (PostgreSQL
    restarting or shut down, the network): SQLAlchemy invalidated the connection, the server
    said so (57P01-03, class 08), or the driver itself failed to connect or to talk (an
    OperationalError without a SQLSTATE: psycopg raises those only for the connection)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = _sqlstate(exc)
    if state is None:
        return isinstance(exc, OperationalError)
    return state in _CONNECTION_SQLSTATES or state.startswith(_CONNECTION_CLASSES)


def is_worth_retrying(exc: BaseException) -> bool:
    """Whether the same unit of work may well succeed if run again later: the database was
    busy (`is_transient`) or away (`is_connection_lost`). For work that is safe to repeat and
    can wait (a rescoring part); a request is answered at once instead."""
    return is_transient(exc) or is_connection_lost(exc)


def _options(timeouts: Timeouts | None, role: str | None) -> str:
    """Session settings sent with the connection request (no extra round trip).

    JIT is off: callqa's queries are short, and JIT compiling a plan the planner guesses to be
    costly took ~100 ms per statement (a batch ingest's roll-up upserts) where running it
    takes a few.
    """
    settings = {"jit": "off"}
    if role:  # as SET ROLE, at connect (no extra round trip)
        settings["role"] = role
    if timeouts is not None:
        settings["lock_timeout"] = str(timeouts.lock_ms)
        settings["statement_timeout"] = str(timeouts.statement_ms)
        settings["idle_in_transaction_session_timeout"] = str(timeouts.idle_in_transaction_ms)
    return " ".join(f"-c {name}={value}" for name, value in settings.items())


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 20,
    pool_timeout_s: float = 10,
    timeouts: Timeouts | None = None,
    role: str | None = None,
) -> Engine:
    """An engine that survives a database restart (pre-ping) and fails fast when it is down.

    `timeouts` are for request and job connections; migrations and the CLI run without them,
    since a migration may legitimately run for minutes. `role` (requests and jobs: APP_ROLE)
    is the role the connections act as; migrations and the CLI act as the login's own.
    """
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout_s,
        hide_parameters=True,  # a logged database error must not carry a transcript
        json_serializer=json_text,
        json_deserializer=orjson.loads,
        connect_args={
            "connect_timeout": 5,
            "application_name": "callqa",
            "options": _options(timeouts, role),
        },
    )


class Database:
    """One engine and its session factory; the app and the CLI each own one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)
        event.listen(self.sessionmaker, "after_begin", _on_begin)

    @classmethod
    def from_url(cls, url: str, **engine_kwargs: Any) -> Database:
        """Build from a SQLAlchemy URL."""
        return cls(make_engine(url, **engine_kwargs))

    @contextmanager
    def session_scope(self, tenant: Tenant = LOCAL) -> Iterator[Session]:
        """A session of `tenant`'s organisation whose transaction commits on success and rolls
        back on any exception."""
        session = self.sessionmaker()
        use_tenant(session, tenant)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def count_connections_in_use(self) -> None:
        """Keep the pool's checked-out connections in the metrics (the API's database)."""
        event.listen(self.engine, "checkout", lambda *_: DB_POOL_IN_USE.inc())
        event.listen(self.engine, "checkin", lambda *_: DB_POOL_IN_USE.dec())

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
