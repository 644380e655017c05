"""Database down: 503 problem+json with Retry-After, /readyz fails, recovery needs no restart."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy import make_url

from app.api.app import create_app
from app.settings import Settings


def _accept_connections(pg_server: str, database: str, accept: bool) -> None:
    """Refuse (or allow) new connections to `database` and cut the open ones, like an outage."""
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(database), sql.Literal(accept)
            )
        )
        if not accept:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database,),
            )


def test_ingest_answers_503_while_the_database_is_down_and_recovers_after(
    pg_server: str, make_scratch_database: Any, make_call: Any
) -> None:
    with make_scratch_database("outage") as url:
        database = make_url(url).database
        assert database is not None
        app = create_app(Settings(database_url=url))
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.post("/v1/calls", json=make_call()).status_code == 201

            _accept_connections(pg_server, database, False)
            try:
                down = client.post("/v1/calls", json=make_call())
                assert down.status_code == 503
                assert down.headers["content-type"] == "application/problem+json"
                assert int(down.headers["retry-after"]) > 0
                assert client.get("/readyz").status_code == 503
                assert client.get("/healthz").status_code == 200
            finally:
                _accept_connections(pg_server, database, True)

            assert client.post("/v1/calls", json=make_call()).status_code == 201
            assert client.get("/readyz").status_code == 200


def test_readyz_fails_while_the_schema_is_behind_the_code(make_scratch_database: Any) -> None:
    with make_scratch_database("unmigrated", migrated=False) as url:
        app = create_app(Settings(database_url=url))
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/readyz")

    assert response.status_code == 503
    assert "callqa db upgrade" in response.json()["detail"]
