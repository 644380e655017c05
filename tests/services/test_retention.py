"""Retention removes the transcripts and evidence texts (and the words evidence notes quote) of
calls older than the period and keeps their numbers: trends are unchanged, the call page and
report say the examples were removed by retention, and rescoring skips such calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.api.deps import current_tenant
from app.db.session import SessionScope
from app.engine import get_checklist
from app.services import retention
from app.services.rescoring import RescoreCounts, rescore_calls
from app.settings import Settings
from app.tenancy import Tenant

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ORG = "retention-spec"
"""The specs' own organisation: the shared test database holds other specs' old calls."""
WINDOW = {"from": "2026-03-01", "to": "2026-06-01", "bucket": "month"}


def _in_tenant(scope: SessionScope) -> Callable[[Tenant], AbstractContextManager[Session]]:
    """The test's unit-of-work scope for any organisation (its session sees them all)."""

    def scope_of(tenant: Tenant) -> AbstractContextManager[Session]:
        return scope()

    return scope_of


@pytest.fixture
def own_organisation(app: FastAPI, session: Session) -> Iterator[None]:
    """Requests act for ORG, an organisation with no retention period of its own."""
    session.execute(text("INSERT INTO organisation (id, name) VALUES (:id, :id)"), {"id": ORG})
    app.dependency_overrides[current_tenant] = lambda: Tenant(ORG)
    yield
    app.dependency_overrides.pop(current_tenant, None)


def _mine(done: list[retention.Expired]) -> list[tuple[str, int, int]]:
    return [(e.organisation_id, e.days, e.calls) for e in done if e.organisation_id == ORG]


def _post(client: TestClient, body: dict[str, Any]) -> int:
    response = client.post("/v1/calls", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_retention_removes_old_texts_and_keeps_numbers_trends_and_recent_calls(
    client: TestClient,
    session: Session,
    session_scope: SessionScope,
    settings: Settings,
    make_call: Callable[..., dict[str, Any]],
    own_organisation: None,
) -> None:
    old = _post(client, make_call(manager_id="m-kept", started_at="2026-03-02T10:00:00+03:00"))
    recent = _post(client, make_call(manager_id="m-kept", started_at="2026-05-30T10:00:00+03:00"))
    trends = client.get("/v1/managers/m-kept/trends", params=WINDOW).json()
    before = client.get(f"/v1/calls/{old}").json()
    total = before["total"]
    said = [e["note"] for i in before["score"]["items"] for e in i["evidence"] if "note" in e]
    assert "name: меня зовут" in said and before["score"]["metrics"]["longest_monologue_text"]
    policy = settings.model_copy(update={"retention_days": 30})
    scope = _in_tenant(session_scope)

    counted = retention.run(scope, policy, dry_run=True, now=NOW)
    assert _mine(counted) == [(ORG, 30, 1)]
    assert client.get(f"/v1/calls/{old}").json()["transcript"] != ""
    done = retention.run(scope, policy, now=NOW)
    assert _mine(done) == [(ORG, 30, 1)]
    assert _mine(retention.run(scope, policy, now=NOW)) == [(ORG, 30, 0)]  # nothing left

    call = client.get(f"/v1/calls/{old}").json()
    assert call["transcript"] == "" and call["utterances"] == []
    assert call["transcript_removed_at"] is not None
    assert call["total"] == total
    evidence = [e for item in call["score"]["items"] for e in item["evidence"]]
    assert evidence and all(e["text"] == "" for e in evidence)
    assert all(q["text"] == "" for q in call["score"]["questions"])
    assert all(v["matched"] == "" for v in call["score"]["violations"])
    notes = [e["note"] for e in evidence if "note" in e]  # the part found, not the words
    assert notes == [note if note.startswith("«") else note.split(": ")[0] + ": " for note in said]
    assert call["score"]["metrics"]["longest_monologue_text"] == ""
    assert client.get(f"/v1/calls/{recent}").json()["transcript"] != ""
    assert client.get("/v1/managers/m-kept/trends", params=WINDOW).json() == trends
    assert retention.REMOVED_NOTE in client.get(f"/calls/{old}").text
    report = client.get(
        "/v1/managers/m-kept/report", params={"from": "2026-03-01", "to": "2026-03-08"}
    )
    examples = [e for p in report.json()["top_phrases"] for e in p["examples"]]
    assert examples and all(e["text"] == retention.REMOVED_NOTE for e in examples)
    rules = get_checklist("spin_classic")
    assert rescore_calls(session, [old], rules, ORG) == RescoreCounts(0, 0, 1)


def test_without_a_retention_period_nothing_is_removed(
    client: TestClient,
    session_scope: SessionScope,
    settings: Settings,
    make_call: Callable[..., dict[str, Any]],
) -> None:
    old = _post(client, make_call(started_at="2020-03-02T10:00:00+03:00"))
    assert retention.run(_in_tenant(session_scope), settings, now=NOW) == []
    assert client.get(f"/v1/calls/{old}").json()["transcript"] != ""


def test_an_organisations_own_retention_period_comes_before_the_global_one(
    client: TestClient,
    session: Session,
    session_scope: SessionScope,
    settings: Settings,
    make_call: Callable[..., dict[str, Any]],
    own_organisation: None,
) -> None:
    old = _post(client, make_call(manager_id="m-own", started_at="2026-04-20T10:00:00+03:00"))
    session.execute(text("UPDATE organisation SET retention_days = 30 WHERE id = :id"), {"id": ORG})
    keep_a_year = settings.model_copy(update={"retention_days": 365})

    done = retention.run(_in_tenant(session_scope), keep_a_year, now=NOW)

    assert _mine(done) == [(ORG, 30, 1)]
    assert client.get(f"/v1/calls/{old}").json()["transcript"] == ""
