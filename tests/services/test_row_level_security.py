"""Row-level security backs every organisation filter: as the role requests and jobs run as,
a query that forgets its filter still sees only the organisation of its transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from app.db.session import APP_ROLE, Database
from app.services import erasure, ingest
from app.services.schemas import CallIn
from app.tenancy import Tenant
from tests.conftest import call_payload

ACME, GLOBEX = Tenant("acme"), Tenant("globex")
TENANT_TABLES = ("call", "call_question", "call_violation", "call_score", "manager_rollup")
TENANT_TABLES += ("manager_rollup_day", "violation_rollup_day", "violation_rollup_month")


@pytest.fixture(scope="module")
def databases(make_scratch_database: Any) -> Iterator[tuple[Database, Database]]:
    """(owner, app role) on a database holding a call of each of two organisations, ingested
    as the app role."""
    with make_scratch_database("rls") as url:
        owner = Database.from_url(url, pool_size=1, max_overflow=0)
        app = Database.from_url(url, pool_size=1, max_overflow=0, role=APP_ROLE)
        for tenant in (ACME, GLOBEX):
            body = CallIn.model_validate(call_payload(manager_id=f"m-{tenant.organisation_id}"))
            with app.session_scope(tenant) as session:
                ingest.ingest_call(session, body, tenant=tenant)
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
