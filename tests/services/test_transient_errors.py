"""Which database errors are worth retrying, judged on errors PostgreSQL (and the pool) really
raise: busy (lock or statement timeout, deadlock, serialization failure, no pooled connection)
and away (a killed connection, a server that does not answer) are; refused work is not.

The errors come through `make_engine`'s engines, as requests and job workers meet them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, Engine, make_url, text
from sqlalchemy.exc import DBAPIError

from app.db.session import (
    Timeouts,
    is_connection_lost,
    is_transient,
    is_worth_retrying,
    make_engine,
)
from app.services.errors import NotFound
from tests.e2e.conftest import free_port

SHORT = Timeouts(lock_ms=200, statement_ms=300, idle_in_transaction_ms=60_000)


@pytest.fixture(scope="module")
def database(make_scratch_database: Callable[..., Any]) -> Iterator[str]:
    """A database of its own with one table of two rows to lock (no migrations needed)."""
    with make_scratch_database(f"transient_{time.monotonic_ns()}", migrated=False) as url:
        with psycopg.connect(_plain(url), autocommit=True) as conn:
            conn.execute("CREATE TABLE probe (id int PRIMARY KEY, n int NOT NULL)")
            conn.execute("INSERT INTO probe VALUES (1, 0), (2, 0)")
        yield url


@pytest.fixture
def engine(database: str) -> Iterator[Engine]:
    engine = make_engine(database, pool_size=2, max_overflow=0, pool_timeout_s=0.2, timeouts=SHORT)
    yield engine
    engine.dispose()


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _raised(work: Callable[[], object]) -> BaseException:
    with pytest.raises(Exception) as raised:
        work()
    return raised.value


def _sqlstate(exc: BaseException) -> str | None:
    assert isinstance(exc, DBAPIError), exc
    return getattr(exc.orig, "sqlstate", None)


def _classes(exc: BaseException) -> tuple[bool, bool, bool]:
    return is_transient(exc), is_connection_lost(exc), is_worth_retrying(exc)


BUSY = (True, False, True)
AWAY = (False, True, True)
REFUSED = (False, False, False)


def test_a_lock_timeout_is_busy(database: str, engine: Engine) -> None:
    with psycopg.connect(_plain(database)) as holder:
        holder.execute("SELECT * FROM probe WHERE id = 1 FOR UPDATE")
        with engine.connect() as conn:
            exc = _raised(lambda: conn.execute(text("SELECT * FROM probe WHERE id = 1 FOR UPDATE")))

    assert _sqlstate(exc) == "55P03"
    assert _classes(exc) == BUSY


def test_a_statement_timeout_is_busy(engine: Engine) -> None:
    with engine.connect() as conn:
        exc = _raised(lambda: conn.execute(text("SELECT pg_sleep(5)")))

    assert _sqlstate(exc) == "57014"
    assert _classes(exc) == BUSY


def test_a_serialization_failure_is_busy(database: str, engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        conn.execute(text("SELECT n FROM probe WHERE id = 2")).scalar()
        with psycopg.connect(_plain(database), autocommit=True) as other:
            other.execute("UPDATE probe SET n = n + 1 WHERE id = 2")
        exc = _raised(lambda: conn.execute(text("UPDATE probe SET n = n + 1 WHERE id = 2")))

    assert _sqlstate(exc) == "40001"
    assert _classes(exc) == BUSY


def test_a_deadlock_is_busy(database: str) -> None:
    # Lock waits longer than the deadlock check (1 s by default), so the deadlock is what ends
    # one of the two transactions.
    patient = Timeouts(lock_ms=20_000, statement_ms=30_000, idle_in_transaction_ms=60_000)
    engine = make_engine(database, pool_size=2, max_overflow=0, timeouts=patient)
    both_locked = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def lock(first: int, second: int) -> None:
        try:
            with engine.begin() as conn:
                conn.execute(text("SELECT * FROM probe WHERE id = :id FOR UPDATE"), {"id": first})
                both_locked.wait()
                conn.execute(text("SELECT * FROM probe WHERE id = :id FOR UPDATE"), {"id": second})
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=lock, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    engine.dispose()

    assert [_sqlstate(e) for e in errors] == ["40P01"]
    assert _classes(errors[0]) == BUSY


def test_no_pooled_connection_in_time_is_busy(engine: Engine) -> None:
    with engine.connect(), engine.connect():  # the whole pool
        exc = _raised(engine.connect)

    assert _classes(exc) == BUSY


def _pid(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_the_server_ended_is_away(database: str, engine: Engine) -> None:
    with engine.connect() as conn:
        pid = _pid(conn)
        with psycopg.connect(_plain(database), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        exc = _raised(lambda: conn.execute(text("SELECT 1")))

    assert isinstance(exc, DBAPIError) and exc.connection_invalidated
    assert _classes(exc) == AWAY


def test_a_server_that_does_not_answer_is_away(database: str) -> None:
    nowhere = make_url(database).set(host="127.0.0.1", port=free_port())
    engine = make_engine(nowhere.render_as_string(hide_password=False), timeouts=SHORT)
    try:
        exc = _raised(engine.connect)
    finally:
        engine.dispose()

    assert _sqlstate(exc) is None
    assert _classes(exc) == AWAY


@pytest.mark.parametrize(
    ("statement", "sqlstate"),
    [
        ("INSERT INTO probe VALUES (1, 0)", "23505"),  # unique violation
        ("SELECT 1 / 0", "22012"),  # division by zero
        ("SELECT * FROM no_such_table", "42P01"),  # a programming error
    ],
)
def test_refused_work_is_not_worth_retrying(engine: Engine, statement: str, sqlstate: str) -> None:
    with engine.connect() as conn:
        exc = _raised(lambda: conn.execute(text(statement)))

    assert _sqlstate(exc) == sqlstate
    assert _classes(exc) == REFUSED


def test_errors_of_callqa_itself_are_not_worth_retrying() -> None:
    assert _classes(NotFound("no such checklist version")) == REFUSED
