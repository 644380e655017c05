"""Corrections over HTTP: a reviewer corrects a call, the call answers with the corrected
score beside the machine's, the roll-ups follow through the one write path, and bad
corrections are 422s that name their field."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ManagerRollupDay, ViolationRollupDay

BUDGET = {"target": "question", "utterance": 4, "span": [27, 40], "category": "personal"}
NOT_A_VIOLATION = {"target": "violation", "utterance": 10, "phrase": "вы должны", "valid": False}
SHORT_ENOUGH = {"target": "item", "item": "short_presentation", "passed": True, "note": "ok"}


@pytest.fixture
def call_id(client: TestClient, make_call: Any) -> int:
    stored = client.post("/v1/calls", json=make_call(manager_id="m-corr", team_id="t-corr"))
    assert stored.status_code == 201, stored.text
    assert stored.json()["score"]["total"] == 52.2
    return int(stored.json()["id"])


def _day(session: Session) -> ManagerRollupDay:
    stmt = select(ManagerRollupDay).where(
        ManagerRollupDay.manager_id == "m-corr", ManagerRollupDay.checklist_version == ""
    )
    (row,) = session.scalars(stmt.execution_options(populate_existing=True)).all()
    return row


def _phrases(session: Session) -> dict[str, int]:
    stmt = select(ViolationRollupDay).where(
        ViolationRollupDay.manager_id == "m-corr", ViolationRollupDay.checklist_version == ""
    )
    rows = session.scalars(stmt.execution_options(populate_existing=True)).all()
    return {r.phrase: r.said for r in rows if r.said}


def test_a_corrected_call_shows_its_corrected_score_beside_the_machines(
    client: TestClient, call_id: int
) -> None:
    body = {"corrections": [BUDGET, NOT_A_VIOLATION, SHORT_ENOUGH]}
    made = client.post(f"/v1/calls/{call_id}/corrections", json=body)

    assert made.status_code == 201, made.text
    assert (made.json()["total"], made.json()["grade"]) == (64.0, "yellow")
    call = client.get(f"/v1/calls/{call_id}").json()
    assert (call["total"], call["grade"]) == (64.0, "yellow")
    assert (call["score"]["total"], call["machine_score"]["total"]) == (64.0, 52.2)
    assert call["score"]["question_counts"]["personal"] == 2
    assert call["machine_score"]["question_counts"]["personal"] == 1
    assert [c["target"] for c in call["corrections"]] == ["question", "violation", "item"]
    assert all(c["author"] == "local" and c["applied"] for c in call["corrections"])
    assert call["corrections"][2]["note"] == "ok"
    assert {c["id"] for c in call["corrections"]} == {c["id"] for c in made.json()["corrections"]}


def test_corrections_move_the_rollups_and_undoing_them_moves_them_back(
    client: TestClient, call_id: int, session: Session
) -> None:
    machine = _day(session)
    assert (machine.calls, machine.total_sum, machine.violations) == (1, 52.2, 2)
    assert _phrases(session) == {"я не знаю": 1, "вы должны": 1}

    made = client.post(
        f"/v1/calls/{call_id}/corrections", json={"corrections": [BUDGET, NOT_A_VIOLATION]}
    )
    assert made.status_code == 201, made.text

    fixed = _day(session)
    assert (fixed.calls, fixed.total_sum, fixed.violations) == (1, 59.0, 1)
    assert fixed.question_counts == {"expertise": 2, "personal": 2, "motivation": 1, "other": 1}
    assert _phrases(session) == {"я не знаю": 1}

    for correction in made.json()["corrections"]:
        undone = client.delete(f"/v1/calls/{call_id}/corrections/{correction['id']}")
        assert undone.status_code == 204
    back = _day(session)
    assert (back.calls, back.total_sum, back.violations) == (1, 52.2, 2)
    assert back.question_counts["expertise"] == 3
    assert _phrases(session) == {"я не знаю": 1, "вы должны": 1}
    assert client.get(f"/v1/calls/{call_id}").json()["corrections"] == []


@pytest.mark.parametrize(
    ("correction", "pointer"),
    [
        ({"target": "question", "utterance": 99, "category": "personal"}, "/utterance"),
        ({"target": "question", "utterance": 4, "category": "personal"}, "/span"),
        ({"target": "question", "utterance": 4, "span": [0, 3], "valid": False}, "/span"),
        ({"target": "question", "utterance": 2, "category": "budget"}, "/category"),
        ({"target": "item", "item": "smile", "passed": False}, "/item"),
        ({"target": "violation", "utterance": 10, "phrase": "ого", "valid": True}, "/phrase"),
        ({"target": "answer", "utterance": 2}, "/target"),
    ],
)
def test_a_correction_that_cannot_apply_is_refused_naming_its_field(
    client: TestClient, call_id: int, correction: dict[str, Any], pointer: str
) -> None:
    refused = client.post(
        f"/v1/calls/{call_id}/corrections", json={"corrections": [BUDGET, correction]}
    )

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in refused.json()["errors"]] == [f"/corrections/1{pointer}"]
    assert client.get(f"/v1/calls/{call_id}").json()["corrections"] == []


def test_unknown_calls_and_corrections_are_404(client: TestClient, call_id: int) -> None:
    assert client.post("/v1/calls/999999999/review", json={}).status_code == 404
    body = {"corrections": [BUDGET]}
    assert client.post("/v1/calls/999999999/corrections", json=body).status_code == 404
    assert client.delete(f"/v1/calls/{call_id}/corrections/123456").status_code == 404


def test_a_call_reviewed_with_nothing_to_correct_is_marked_reviewed(
    client: TestClient, call_id: int
) -> None:
    reviewed = client.post(f"/v1/calls/{call_id}/review", json={})

    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["call_id"] == call_id
    assert reviewed.json()["reviewer"] == "local"
    assert client.get(f"/v1/calls/{call_id}").json()["total"] == 52.2


def test_a_new_correction_of_a_target_replaces_the_old_one(
    client: TestClient, call_id: int
) -> None:
    first = client.post(f"/v1/calls/{call_id}/corrections", json={"corrections": [BUDGET]})
    again = {**BUDGET, "category": "motivation"}
    second = client.post(f"/v1/calls/{call_id}/corrections", json={"corrections": [again]})

    assert (first.status_code, second.status_code) == (201, 201)
    call = client.get(f"/v1/calls/{call_id}").json()
    assert [c["category"] for c in call["corrections"]] == ["motivation"]
    assert call["score"]["question_counts"]["motivation"] == 2
    assert call["score"]["question_counts"]["personal"] == 1
