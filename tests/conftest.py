"""Fixtures for tests against a real PostgreSQL with the real migrations.

The server is CALLQA_DATABASE_URL's when set, else an embedded pgserver in a temporary folder.
Each test session creates its own scratch database on it (`callqa_test_<pid>`), migrates it
with Alembic to head and drops it at the end; each test runs inside an outer transaction that
is rolled back, and the app's session dependency is overridden to that same session, so an
HTTP test and its database assertions see one world. Engine tests request none of this.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from fastapi import FastAPI
from psycopg import sql
from sqlalchemy import Connection, Engine, make_url
from sqlalchemy.orm import Session

from app.api.app import create_app
from app.api.deps import Transactions, get_transactions
from app.db import migrate
from app.db.embedded import start_scratch_server, with_database
from app.db.session import SessionScope, make_engine, use_tenant
from app.services.checklists import store_builtins
from app.settings import Settings, normalise_database_url
from app.tenancy import LOCAL, Tenant

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

MANAGER_LINES = (
    "Менеджер: Добрый день, агентство «Квартал», меня зовут Анна. "
    "Предупреждаю, звонок записывается.",
    "Клиент: Здравствуйте, я по объявлению о квартире.",
    "Менеджер: Какой район вы рассматриваете?",
    "Клиент: Центр или рядом с парком.",
    "Менеджер: Сколько комнат вам нужно и какой бюджет?",
    "Клиент: Две комнаты, до восьми миллионов.",
    "Менеджер: Почему решили сменить место жительства?",
    "Клиент: Семья растёт.",
    "Менеджер: Как вы видите свою будущую квартиру?",
    "Клиент: Светлую, с балконом.",
    "Менеджер: Я не знаю, есть ли там парковка. Вы должны сами уточнить.",
    "Клиент: Хорошо.",
    "Менеджер: Давайте запишу вас на экскурсию в субботу?",
    "Клиент: Давайте.",
)
_serial = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    """Starlette suggests `httpx2` for its TestClient; httpx is still what it runs on here.

    Test clients are loopback peers, like the README's curl, so specs written for local mode
    (no key yet) hold; tests of access control send keys or set another peer."""
    config.addinivalue_line("filterwarnings", "ignore:.*httpx2.*")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    defaults = list(TestClient.__init__.__defaults__ or ())
    defaults[-1] = ("127.0.0.1", 50000)
    TestClient.__init__.__defaults__ = tuple(defaults)


def transcript_text(extra_lines: int = 0) -> str:
    """A short realty call in plain text with manager questions and two forbidden phrases."""
    lines = list(MANAGER_LINES)
    lines += [f"Менеджер: На каком этаже хотите жить, вариант {i}?" for i in range(extra_lines)]
    return "\n".join(lines)


def call_payload(**overrides: Any) -> dict[str, Any]:
    """A valid POST /v1/calls body with a unique external_id."""
    n = next(_serial)
    body: dict[str, Any] = {
        "external_id": f"call-{os.getpid()}-{n}",
        "manager_id": "m-anna",
        "team_id": "t-north",
        "started_at": "2026-03-02T23:30:00+03:00",
        "duration_s": 312.5,
        "transcript": transcript_text(),
        "metadata": {"line": "+7 495 000-00-00"},
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_call() -> Callable[..., dict[str, Any]]:
    """Factory of valid call bodies: `make_call(manager_id="m2")`."""
    return call_payload


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Admin URL (psycopg form) of the server; scratch databases are created on it."""
    configured = os.environ.get("CALLQA_DATABASE_URL")
    if configured:
        url = make_url(normalise_database_url(configured)).set(drivername="postgresql")
        yield url.render_as_string(hide_password=False)
        return
    folder = Path(tempfile.mkdtemp(prefix="callqa-test-pg-"))
    uri, stop = start_scratch_server(folder / "pgdata")
    yield uri
    stop()
    shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch_database(server_url: str, name: str, *, migrated: bool = True) -> Iterator[str]:
    """A new database on the test server (migrated to head), dropped afterwards."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = normalise_database_url(with_database(server_url, name))
    if migrated:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        migrate.upgrade(engine)
        with Session(engine) as session, session.begin():
            store_builtins(session)  # as `callqa serve` does
        engine.dispose()
    try:
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def make_scratch_database(pg_server: str) -> Callable[..., Any]:
    """`with make_scratch_database("name") as url:` for a test that needs its own database."""

    def make(suffix: str, *, migrated: bool = True) -> Any:
        return scratch_database(pg_server, f"callqa_test_{os.getpid()}_{suffix}", migrated=migrated)

    return make


@pytest.fixture(scope="session")
def database_url(pg_server: str) -> Iterator[str]:
    """The session's scratch database, migrated to head with the real Alembic migrations."""
    with scratch_database(pg_server, f"callqa_test_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session whose commits become savepoints of the outer transaction."""
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield session
    session.close()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, max_body_mb=10, timezone="UTC")


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def session_scope(session: Session) -> SessionScope:
    """A unit-of-work scope on the test's session: its commit is a savepoint."""

    @contextmanager
    def scope() -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    return scope


@pytest.fixture
def client(app: FastAPI, session_scope: SessionScope) -> Iterator[TestClient]:
    """An in-process client whose requests use the test's session (commit = savepoint)."""
    from fastapi.testclient import TestClient

    app.dependency_overrides[get_transactions] = lambda: Transactions(session_scope)
    app.state.auth.clear()  # keys of another test's (rolled back) session are gone
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.dependency_overrides.clear()
    app.state.auth.clear()


@pytest.fixture
def english(client: TestClient) -> Iterator[TestClient]:
    """The client asking for English (Accept-Language: en), for specs that quote callqa's
    English words; Russian is the default."""
    client.headers["Accept-Language"] = "en"
    yield client
    client.headers.pop("Accept-Language", None)


class _SessionDatabase:
    """A Database look-alike whose unit of work is a savepoint of the test's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @contextmanager
    def session_scope(self, tenant: Tenant = LOCAL) -> Iterator[Session]:
        with self.session.begin_nested():
            use_tenant(self.session, tenant)
            try:
                yield self.session
            finally:
                use_tenant(self.session, LOCAL)


@pytest.fixture
def cli_on_test_session(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI commands run their units of work on the test's session (savepoints)."""
    from app.cli import scope

    @contextmanager
    def database(*, upgrade: bool = False) -> Iterator[Any]:
        yield _SessionDatabase(session)

    monkeypatch.setattr(scope, "cli_database", database)
