"""Fuzzing every operation of the OpenAPI schema with an admin key finds no 5xx, and responses
match the schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from app.api.app import create_app
from app.api.deps import Transactions, get_transactions
from app.db.session import SessionScope
from app.services import access
from app.settings import Settings

# Built at import (schemathesis needs the schema at collection; its lazy fixture loader does not
# run on pytest 9). The URL is never dialled: every request uses the test's session below.
APP = create_app(Settings(database_url="postgresql+psycopg://never-connected.invalid/callqa"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(autouse=True)
def _on_test_session(session_scope: SessionScope) -> Iterator[None]:
    """Requests run on the test's rolled-back session."""
    APP.dependency_overrides[get_transactions] = lambda: Transactions(session_scope)
    APP.state.auth.clear()
    yield
    APP.dependency_overrides.clear()


@pytest.fixture
def admin_key(session: Session) -> dict[str, str]:
    """An admin key (the fuzzer reaches every operation, and may make and revoke keys)."""
    _, secret = access.create_key(session, scopes=["admin"])
    session.flush()
    return {"Authorization": f"Bearer {secret}"}


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_5xx_to_any_input(
    case: schemathesis.Case, admin_key: dict[str, str]
) -> None:
    case.call_and_validate(
        headers=admin_key,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
