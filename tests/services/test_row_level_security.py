"""Row-level security backs every organisation filter: as the role requests and jobs run as,
a query that forgets its filter still sees only the organisation of its transaction."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import make_url, text
from sqlalchemy.exc import ProgrammingError

from app.db import audit, migrate
from app.db.embedded import with_database
from app.db.session import APP_ROLE, Database
from app.services import checklists, erasure, ingest, webhooks
from app.services.checklists import store_builtins
from app.services.schemas import CallIn
from app.settings import Settings, normalise_database_url
from app.tenancy import Tenant
from tests.conftest import call_payload

ACME, GLOBEX = Tenant("acme"), Tenant("globex")
LOCAL_MODE, HOOK = Settings(bind_host="127.0.0.1"), "http://127.0.0.1:9/hook"
TENANT_TABLES = ("call", "call_question", "call_violation", "call_score", "manager_rollup")
TENANT_TABLES += ("manager_rollup_day", "violation_rollup_day", "violation_rollup_month")
TENANT_TABLES += ("version_rollup_day", "version_rollup_month")
TENANT_TABLES += ("audit_log", "webhook", "webhook_delivery")
PRIVATE_CHECKLIST = """\
key: private_intake
title: Приём (только локальный режим)
extends: realty_phone
"""


@pytest.fixture(scope="module")
def databases(make_scratch_database: Any) -> Iterator[tuple[Database, Database]]:
    """(owner, app role) on a database holding a webhook and a call (so its webhook events) of
    each of two organisations, made as the app role."""
    with make_scratch_database("rls") as url:
        owner = Database.from_url(url, pool_size=1, max_overflow=0)
        app = Database.from_url(url, pool_size=1, max_overflow=0, role=APP_ROLE)
        for tenant in (ACME, GLOBEX):
            body = CallIn.model_validate(call_payload(manager_id=f"m-{tenant.organisation_id}"))
            with app.session_scope(tenant) as session:
                webhooks.create_webhook(session, LOCAL_MODE, HOOK, ["call.scored"], tenant=tenant)
            with app.session_scope(tenant) as session:
                done = ingest.ingest_call(session, body, tenant=tenant)
                audit.record(session, tenant, "call.read", done.id)
        yield owner, app
        owner.dispose()
        app.dispose()


def _organisations(db: Database, tenant: Tenant, table: str) -> set[str]:
    with db.session_scope(tenant) as session:
        return set(session.scalars(text(f"SELECT DISTINCT organisation_id FROM {table}")))


def test_a_query_without_the_filter_sees_only_its_organisation_as_the_app_role(
    databases: tuple[Database, Database],
) -> None:
    owner, app = databases
    for table in TENANT_TABLES:
        assert _organisations(app, ACME, table) == {"acme"}, table
        assert _organisations(app, GLOBEX, table) == {"globex"}, table
    # The owner here is a superuser, which RLS never applies to: it sees both.
    assert _organisations(owner, ACME, "call") == {"acme", "globex"}


def test_a_transaction_without_an_organisation_sees_no_tenant_row(
    databases: tuple[Database, Database],
) -> None:
    _, app = databases
    with app.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM call")).scalar_one() == 0
        assert conn.execute(text("SELECT current_user")).scalar_one() == APP_ROLE


def test_the_app_role_cannot_write_a_row_of_another_organisation(
    databases: tuple[Database, Database],
) -> None:
    _, app = databases
    insert = "INSERT INTO call_tombstone (organisation_id, source, external_id) VALUES "
    with (
        pytest.raises(ProgrammingError, match="row-level security"),
        app.session_scope(ACME) as session,
    ):
        session.execute(text(insert + "('globex', 'default', 'x')"))


def test_erasing_as_the_app_role_leaves_the_other_organisation_untouched(
    databases: tuple[Database, Database],
) -> None:
    owner, app = databases
    with app.session_scope(ACME) as session:
        call_id = session.execute(text("SELECT id FROM call")).scalar_one()
        erasure.erase_call(session, call_id, tenant=ACME)
    assert _organisations(owner, ACME, "call") == {"globex"}
    assert _organisations(owner, ACME, "manager_rollup") == {"globex"}
    assert _organisations(owner, ACME, "call_tombstone") == {"acme"}


def test_an_owner_that_is_not_a_superuser_migrates_and_rebuilds_every_organisation_but_reads_none(
    pg_server: str,
) -> None:
    owner_role, name = f"callqa_test_owner_{os.getpid()}", f"callqa_test_{os.getpid()}_owned"
    admin = psycopg.connect(pg_server, autocommit=True)
    for statement in (
        "DROP DATABASE IF EXISTS {db} WITH (FORCE)",
        "DROP ROLE IF EXISTS {role}",
        "CREATE ROLE {role} LOGIN",
        f"GRANT {APP_ROLE} TO {{role}}",
        "CREATE DATABASE {db} OWNER {role}",
    ):
        admin.execute(
            sql.SQL(statement).format(db=sql.Identifier(name), role=sql.Identifier(owner_role))
        )
    url = make_url(normalise_database_url(with_database(pg_server, name))).set(username=owner_role)
    owner = Database.from_url(url.render_as_string(hide_password=False), pool_size=1)
    app = Database.from_url(url.render_as_string(hide_password=False), pool_size=1, role=APP_ROLE)
    try:
        migrate.upgrade(owner.engine)
        with owner.session_scope() as session:
            store_builtins(session)
        for tenant in (ACME, GLOBEX):
            body = CallIn.model_validate(call_payload(manager_id=f"m-{tenant.organisation_id}"))
            with app.session_scope(tenant) as session:
                done = ingest.ingest_call(session, body, tenant=tenant)
                audit.record(session, tenant, "call.read", done.id)
        assert migrate.use_day_zone(owner.engine, "Europe/Moscow")
        assert _organisations(app, ACME, "manager_rollup_day") == {"acme"}
        assert _organisations(app, GLOBEX, "manager_rollup_day") == {"globex"}
        assert _organisations(owner, Tenant("nobody"), "call") == set()  # no maintenance: none
        migrate.downgrade(owner.engine, "base")
    finally:
        owner.dispose()
        app.dispose()
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(owner_role)))
        admin.close()


def test_of_the_default_organisation_only_the_built_in_checklists_are_read_by_others(
    databases: tuple[Database, Database],
) -> None:
    _, app = databases
    local = Tenant()  # local mode: the organisation 'default'
    with app.session_scope(local) as session:
        store_builtins(session)
        checklists.push(session, PRIVATE_CHECKLIST.encode(), "yaml", tenant=local)
        checklists.assign(session, None, "private_intake", None, tenant=local)

    seen = "SELECT DISTINCT key FROM checklist_version WHERE organisation_id = 'default'"
    with app.session_scope(GLOBEX) as session:
        keys = set(session.scalars(text(seen)))
        assignments = session.scalar(text("SELECT count(*) FROM checklist_assignment"))
    with app.session_scope(local) as session:
        own = set(session.scalars(text(seen)))

    assert "realty_phone" in keys
    assert "private_intake" not in keys
    assert assignments == 0
    assert "private_intake" in own
