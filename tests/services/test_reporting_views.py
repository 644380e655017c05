"""The `reporting` schema: every view answers on a seeded database, for a read-only role
given access by `callqa db grant-reporting`, which reads the views but never a transcript."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import app
from app.db.reporting import refresh_grants
from app.engine import get_checklist
from app.services.rescoring import rescore_calls
from tests.trends.conftest import push_realty_version

VIEWS = ("calls", "scores", "questions", "violations", "items", "daily_managers", "daily_teams")
ROLE = f"callqa_reporter_{os.getpid()}"
NORTH, SOUTH = f"t-north-{os.getpid()}", f"t-south-{os.getpid()}"  # no other test's teams
runner = CliRunner()
pytestmark = pytest.mark.usefixtures("cli_on_test_session")


@pytest.fixture
def reader(session: Session, client: TestClient, make_call: Any) -> str:
    """A seeded database (two teams' calls) and a role granted reporting by the CLI; both
    vanish with the test's transaction."""
    for team in (NORTH, NORTH, SOUTH):
        assert client.post("/v1/calls", json=make_call(team_id=team)).status_code == 201
    session.execute(text(f"CREATE ROLE {ROLE}"))
    granted = runner.invoke(app, ["db", "grant-reporting", ROLE, "--org", "default"])
    assert granted.exit_code == 0, granted.output
    return ROLE


def _as(session: Session, role: str, query: str) -> list[Any]:
    """Rows of `query` run as `role` (a failure rolls the role back with its savepoint)."""
    with session.begin_nested():
        session.execute(text(f"SET LOCAL ROLE {role}"))
        # What the role's login sets (ALTER ROLE … SET), for row-level security.
        session.execute(text("SET LOCAL callqa.organisation_id = 'default'"))
        rows = list(session.execute(text(query)))
        session.execute(text("RESET ROLE"))
    return rows


@pytest.mark.parametrize("view", VIEWS)
def test_every_reporting_view_answers_the_reporting_role(
    session: Session, reader: str, view: str
) -> None:
    rows = _as(session, reader, f"SELECT * FROM reporting.{view}")

    assert rows


def test_the_views_say_what_the_calls_hold(session: Session, reader: str) -> None:
    ours = f"team_id IN ('{NORTH}', '{SOUTH}')"
    teams = _as(session, reader, f"SELECT team_id, calls FROM reporting.daily_teams WHERE {ours}")
    calls = _as(session, reader, f"SELECT team_id, grade FROM reporting.calls WHERE {ours}")
    items = _as(session, reader, f"SELECT DISTINCT item_key FROM reporting.items WHERE {ours}")

    assert sorted(teams) == [(NORTH, 2), (SOUTH, 1)]
    assert sorted(t for t, _ in calls) == [NORTH, NORTH, SOUTH]
    assert {g for _, g in calls} <= {"green", "yellow", "red"}
    assert ("greeting",) in items


STRICTER = (
    "key: realty_phone\ntitle: Stricter\nextends: realty_phone\ngrades: {green: 95, yellow: 90}\n"
)


def test_the_scores_view_marks_each_calls_latest_score_under_each_checklist(
    session: Session, reader: str, client: TestClient
) -> None:
    ours = f"team_id = '{SOUTH}'"
    (call_id,) = (
        r[0] for r in _as(session, reader, f"SELECT call_id FROM reporting.calls WHERE {ours}")
    )
    stricter = push_realty_version(client, session, STRICTER)
    rescore_calls(session, [call_id], get_checklist("spin_classic"))
    rescore_calls(session, [call_id], stricter)

    rows = _as(
        session,
        reader,
        "SELECT checklist_key, checklist_version, total, grade, latest FROM reporting.scores "
        f"WHERE {ours} ORDER BY scored_at",
    )
    scores = client.get(f"/v1/calls/{call_id}").json()["scores"]
    assert [tuple(r[:4]) for r in rows] == [
        (s["checklist"]["key"], s["checklist"]["version"], s["total"], s["grade"]) for s in scores
    ]
    # The ingest score is no longer the latest under realty_phone; spin_classic's is its own.
    assert [r[4] for r in rows] == [False, True, True]


def test_the_reporting_role_cannot_read_transcripts(session: Session, reader: str) -> None:
    with pytest.raises(ProgrammingError, match="permission denied"):
        _as(session, reader, "SELECT transcript FROM public.call")


def test_the_views_are_documented_and_check_the_readers_rights(session: Session) -> None:
    rows = session.execute(
        text(
            "SELECT c.relname, obj_description(c.oid), c.reloptions FROM pg_class AS c "
            "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'reporting' AND c.relkind = 'v'"
        )
    ).all()

    assert {r[0] for r in rows} == set(VIEWS)
    assert all(r[1] for r in rows)
    assert all("security_invoker=true" in r[2] for r in rows)


def test_granting_an_unknown_role_fails_naming_it() -> None:
    result = runner.invoke(app, ["db", "grant-reporting", "no_such_role_xyz"])

    assert result.exit_code != 0
    assert "no_such_role_xyz" in result.output


def test_granting_for_an_unknown_organisation_fails_naming_it(session: Session) -> None:
    session.execute(text(f"CREATE ROLE {ROLE}"))

    result = runner.invoke(app, ["db", "grant-reporting", ROLE, "--org", "no-such-org"])

    assert result.exit_code != 0
    assert "no-such-org" in result.output
    assert not _may_use_reporting(session, ROLE)


def _may_use_reporting(session: Session, role: str) -> bool:
    """Whether `role` may use the reporting schema."""
    query = text("SELECT has_schema_privilege(:role, 'reporting', 'USAGE')")
    return bool(session.execute(query, {"role": role}).scalar_one())


def test_a_role_granted_before_a_view_was_added_reads_it_after_the_grants_are_refreshed(
    session: Session, reader: str
) -> None:
    session.execute(text(f"REVOKE SELECT ON reporting.scores FROM {reader}"))  # as before 0200
    session.execute(text(f"REVOKE SELECT (scored_at) ON call_score FROM {reader}"))
    with pytest.raises(ProgrammingError):
        _as(session, reader, "SELECT * FROM reporting.scores")

    refreshed = refresh_grants(session.connection())

    assert reader in refreshed
    assert _as(session, reader, "SELECT * FROM reporting.scores")


DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "grafana"


def _panels() -> list[dict[str, Any]]:
    dashboard = json.loads((DEPLOY / "dashboards" / "callqa.json").read_text(encoding="utf-8"))
    panels: list[dict[str, Any]] = dashboard["panels"]
    return panels


@pytest.mark.parametrize("panel", _panels(), ids=lambda p: p["title"])
def test_each_grafana_panel_query_answers_the_reporting_role(
    session: Session, reader: str, panel: dict[str, Any]
) -> None:
    sql = panel["targets"][0]["rawSql"]
    assert "reporting." in sql and "public." not in sql  # built on the views only
    # Grafana's time-range macro, as Grafana expands it for the whole range.
    query = re.sub(r"\$__timeFilter\(([^()]*(?:\([^()]*\))?[^()]*)\)", r"\1 IS NOT NULL", sql)

    assert _as(session, reader, query)


def test_the_grafana_provisioning_points_at_the_dashboard_and_the_reporting_source() -> None:
    source = yaml.safe_load((DEPLOY / "provisioning/datasources/callqa.yaml").read_text())
    provider = yaml.safe_load((DEPLOY / "provisioning/dashboards/callqa.yaml").read_text())

    uids = {t["datasource"]["uid"] for p in _panels() for t in p["targets"]}
    assert uids == {source["datasources"][0]["uid"]}
    assert provider["providers"][0]["type"] == "file"
