"""POST /v1/calls, the batch, and reading calls back over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Call, CallQuestion, CallViolation, ManagerRollup
from app.engine import score


def test_a_new_call_answers_201_with_location_and_the_score_contract(
    client: TestClient, make_call: Any
) -> None:
    body = make_call()
    response = client.post("/v1/calls", json=body)

    assert response.status_code == 201
    data = response.json()
    assert response.headers["location"] == f"/v1/calls/{data['id']}"
    assert set(data) == {"id", "external_id", "manager_id", "team_id", "started_at", "score"}
    assert data["started_at"] == "2026-03-02T23:30:00+03:00"
    assert data["score"] == score(body["transcript"]).to_dict()


def test_a_retry_answers_200_with_the_same_id(client: TestClient, make_call: Any) -> None:
    body = make_call()
    first = client.post("/v1/calls", json=body)
    again = client.post("/v1/calls", json=body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]


@pytest.mark.usefixtures("english")  # quotes the English words
def test_the_same_external_id_with_other_content_answers_409(
    client: TestClient, make_call: Any
) -> None:
    body = make_call()
    client.post("/v1/calls", json=body)
    response = client.post("/v1/calls", json={**body, "manager_id": "someone-else"})

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "pointer": "/external_id",
            "reason": "a call with this external_id was already stored with different content",
        }
    ]


def test_a_stored_call_reads_back_with_transcript_utterances_and_score(
    client: TestClient, make_call: Any
) -> None:
    body = make_call(manager_name="Анна")
    created = client.post("/v1/calls", json=body).json()

    response = client.get(f"/v1/calls/{created['id']}")

    assert response.status_code == 200
    call = response.json()
    assert call["transcript"] == body["transcript"]
    assert call["score"] == created["score"]
    assert call["manager_name"] == "Анна"
    assert call["metadata"] == body["metadata"]
    assert call["utterances"][0]["speaker"] == "Менеджер"
    assert call["checklist"]["version"] == created["score"]["checklist"]["version"]


def test_calls_are_listed_by_manager_with_a_cursor(client: TestClient, make_call: Any) -> None:
    for day in (1, 2, 3):
        client.post(
            "/v1/calls",
            json=make_call(manager_id="m-list", started_at=f"2026-05-0{day}T10:00:00Z"),
        )

    first = client.get("/v1/calls", params={"manager_id": "m-list", "limit": 2}).json()
    second = client.get(
        "/v1/calls", params={"manager_id": "m-list", "limit": 2, "cursor": first["next_cursor"]}
    ).json()

    days = [c["started_at"][:10] for c in first["items"] + second["items"]]
    assert days == ["2026-05-03", "2026-05-02", "2026-05-01"]
    assert second["next_cursor"] is None


def test_a_batch_stores_the_good_items_and_reports_the_bad_one(
    client: TestClient, session: Session, make_call: Any
) -> None:
    goods = [make_call(manager_id="m-mixed") for _ in range(3)]
    bad = make_call(manager_id="m-mixed", started_at="yesterday")
    response = client.post("/v1/calls/batch", json={"calls": [goods[0], bad, goods[1], goods[2]]})

    assert response.status_code == 207
    result = response.json()
    assert [i["status"] for i in result["items"]] == [201, 422, 201, 201]
    assert (result["created"], result["existing"], result["failed"]) == (3, 0, 1)
    assert result["items"][1]["errors"][0]["pointer"] == "/calls/1/started_at"

    stored = session.scalars(select(Call).where(Call.manager_id == "m-mixed")).all()
    assert sorted(c.external_id for c in stored) == sorted(g["external_id"] for g in goods)
    for call in stored:  # nothing half-stored: every call has all its children
        questions = select(func.count()).where(CallQuestion.call_id == call.id)
        violations = select(func.count()).where(CallViolation.call_id == call.id)
        assert session.scalar(questions) == len(call.score["questions"])
        assert session.scalar(violations) == len(call.score["violations"])
    rollup = select(func.sum(ManagerRollup.calls)).where(
        ManagerRollup.manager_id == "m-mixed", ManagerRollup.checklist_version == ""
    )
    assert session.scalar(rollup) == 3


def test_a_failed_batch_item_names_its_external_id(client: TestClient, make_call: Any) -> None:
    bad = make_call(started_at="soon")
    response = client.post("/v1/calls/batch", json={"calls": [bad]})
    assert response.json()["items"][0]["external_id"] == bad["external_id"]


def test_openapi_documents_the_real_request_and_response_models(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    post = schema["paths"]["/v1/calls"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CallIn"}
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CallCreated"
    }
    assert "application/problem+json" in post["responses"]["422"]["content"]
    assert {"ScoreOut", "BatchOut", "Problem", "CallDetail"} <= set(schema["components"]["schemas"])
    assert client.get("/docs").status_code == 200


def test_a_batch_item_of_the_wrong_type_fails_alone(client: TestClient, make_call: Any) -> None:
    response = client.post("/v1/calls/batch", json={"calls": [make_call(), 42, "x"]})

    assert response.status_code == 207
    assert [i["status"] for i in response.json()["items"]] == [201, 422, 422]


def test_a_batch_resent_answers_200_for_every_item(client: TestClient, make_call: Any) -> None:
    batch = {"calls": [make_call() for _ in range(3)]}
    first = client.post("/v1/calls/batch", json=batch).json()
    again = client.post("/v1/calls/batch", json=batch).json()

    assert [i["status"] for i in again["items"]] == [200, 200, 200]
    assert [i["id"] for i in again["items"]] == [i["id"] for i in first["items"]]


def test_a_batch_above_1000_calls_is_refused_whole(client: TestClient) -> None:
    response = client.post("/v1/calls/batch", json={"calls": [{}] * 1001})

    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/calls"


def test_dry_run_scoring_stores_nothing(
    client: TestClient, session: Session, make_call: Any
) -> None:
    before = session.scalar(select(func.count()).select_from(Call))
    response = client.post("/v1/score", json={"transcript": make_call()["transcript"]})

    assert response.status_code == 200
    assert response.json()["checklist"]["key"] == "realty_phone"
    assert session.scalar(select(func.count()).select_from(Call)) == before


def test_dry_run_scores_speech_without_speakers_as_the_managers_with_a_star(
    client: TestClient,
) -> None:
    transcript = "добрый день агентство юг меня зовут анна\nкакой район вы рассматриваете"
    refused = client.post("/v1/score", json={"transcript": transcript})
    scored = client.post("/v1/score", json={"transcript": transcript, "manager_speaker": "*"})

    assert refused.status_code == 422
    assert "manager_speaker '*'" in refused.json()["errors"][0]["reason"]
    assert scored.status_code == 200
    assert scored.json()["manager"]["speaker"] == "*"
    assert scored.json()["warnings"][0]["code"] == "single_speaker"


def test_a_call_without_speakers_is_stored_with_a_star_manager(
    client: TestClient, make_call: Any
) -> None:
    body = make_call(transcript="добрый день какой район вы смотрите", manager_speaker="*")
    response = client.post("/v1/calls", json=body)

    assert response.status_code == 201, response.text
    assert response.json()["score"]["manager"]["speaker"] == "*"
    stored = client.get(response.headers["location"]).json()
    assert stored["score"]["warnings"][0]["code"] == "single_speaker"


def test_checklists_are_listed_and_shown(client: TestClient) -> None:
    listed = client.get("/v1/checklists").json()
    keys = [c["key"] for c in listed]
    assert "realty_phone" in keys

    shown = client.get("/v1/checklists/realty_phone")
    assert shown.status_code == 200
    assert shown.json()["key"] == "realty_phone"
    assert client.get("/v1/checklists/nope").status_code == 404


def test_health_answers_without_the_database_and_ready_checks_the_schema(
    client: TestClient,
) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
