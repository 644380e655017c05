"""Organisations and teams: another organisation's or team's call answers exactly like a
missing one; a key narrowed to teams posts calls of those teams only; an erased call is gone
from every answer and its platform id answers 410."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.deps import current_tenant
from app.db.models import Call, CallQuestion, CallScore, CallViolation, ManagerRollup
from app.tenancy import Tenant

ACME = Tenant("acme")
GLOBEX = Tenant("globex")
ACME_NORTH = Tenant("acme", teams=frozenset({"t-north"}))
WINDOW = {"from": "2026-03-01", "to": "2026-03-08", "bucket": "day"}

ActAs = Callable[[Tenant], None]


@pytest.fixture
def act_as(app: FastAPI, client: TestClient) -> Iterator[ActAs]:
    """`act_as(tenant)`: the client's next requests are that tenant's (as a key would make
    them), without depending on how keys are checked."""

    def use(tenant: Tenant) -> None:
        app.dependency_overrides[current_tenant] = lambda: tenant

    yield use
    app.dependency_overrides.pop(current_tenant, None)


def _post(client: TestClient, body: dict[str, Any]) -> int:
    response = client.post("/v1/calls", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _is_missing(response: Any) -> bool:
    return response.status_code == 404 and response.json()["type"].endswith("not-found")


def test_another_organisations_call_answers_404_exactly_like_a_missing_one(
    client: TestClient, act_as: ActAs, make_call: Callable[..., dict[str, Any]]
) -> None:
    act_as(ACME)
    call_id = _post(client, make_call())
    act_as(GLOBEX)
    for path in (f"/v1/calls/{call_id}", f"/v1/calls/{call_id}/utterances", f"/calls/{call_id}"):
        theirs, missing = client.get(path), client.get(path.replace(str(call_id), "999999999"))
        assert _is_missing(theirs) and _is_missing(missing), path
        assert theirs.json()["title"] == missing.json()["title"]
    assert client.get("/v1/calls").json()["items"] == []
    assert _is_missing(client.delete(f"/v1/calls/{call_id}"))
    act_as(ACME)
    assert client.get(f"/v1/calls/{call_id}").status_code == 200


def test_the_same_external_id_in_two_organisations_is_two_calls(
    client: TestClient, act_as: ActAs, make_call: Callable[..., dict[str, Any]]
) -> None:
    body = make_call()
    act_as(ACME)
    acme_id = _post(client, body)
    act_as(GLOBEX)
    globex_id = _post(client, body | {"manager_id": "m-other"})
    assert acme_id != globex_id
    found = client.get("/v1/calls", params={"external_id": body["external_id"]}).json()
    assert [c["manager_id"] for c in found["items"]] == ["m-other"]


def test_a_key_narrowed_to_teams_sees_only_those_teams_calls(
    client: TestClient, act_as: ActAs, make_call: Callable[..., dict[str, Any]]
) -> None:
    act_as(ACME)
    north = _post(client, make_call(team_id="t-north"))
    south = _post(client, make_call(team_id="t-south"))
    no_team = _post(client, make_call(team_id=None))
    act_as(ACME_NORTH)
    assert [c["id"] for c in client.get("/v1/calls").json()["items"]] == [north]
    assert client.get(f"/v1/calls/{north}").status_code == 200
    for hidden in (south, no_team):
        assert _is_missing(client.get(f"/v1/calls/{hidden}"))
        assert _is_missing(client.get(f"/calls/{hidden}"))


def test_a_key_narrowed_to_teams_posting_another_teams_call_gets_403_naming_team_id(
    client: TestClient, act_as: ActAs, make_call: Callable[..., dict[str, Any]]
) -> None:
    act_as(ACME_NORTH)
    response = client.post("/v1/calls", json=make_call(team_id="t-south"))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["pointer"] for e in response.json()["errors"]] == ["/team_id"]
    batch = client.post(
        "/v1/calls/batch", json={"calls": [make_call(team_id="t-south"), make_call()]}
    ).json()
    assert [i["status"] for i in batch["items"]] == [403, 201]
    assert batch["items"][0]["errors"][0]["pointer"] == "/calls/0/team_id"


def _rows_of(session: Session, call_id: int) -> list[int]:
    counts = []
    for model in (Call, CallScore, CallQuestion, CallViolation):
        column = model.id if model is Call else model.call_id  # type: ignore[attr-defined]
        counts.append(session.scalar(select(func.count()).where(column == call_id)) or 0)
    return counts


def test_erasing_a_call_answers_204_then_404_and_leaves_no_row_of_it(
    client: TestClient, session: Session, act_as: ActAs, make_call: Callable[..., dict[str, Any]]
) -> None:
    act_as(ACME)
    call_id = _post(client, make_call())
    assert _rows_of(session, call_id)[:2] == [1, 1]
    assert client.delete(f"/v1/calls/{call_id}").status_code == 204
    assert _is_missing(client.get(f"/v1/calls/{call_id}"))
    assert _is_missing(client.delete(f"/v1/calls/{call_id}"))
    assert _rows_of(session, call_id) == [0, 0, 0, 0]


def test_erasing_by_external_id_then_a_late_retry_answers_410(
    client: TestClient, act_as: ActAs, make_call: Callable[..., dict[str, Any]]
) -> None:
    act_as(ACME)
    body = make_call()
    _post(client, body)
    erase = client.delete("/v1/calls", params={"external_id": body["external_id"]})
    assert erase.status_code == 204
    retry = client.post("/v1/calls", json=body)
    assert retry.status_code == 410
    assert retry.json()["errors"][0]["pointer"] == "/external_id"
    batch = client.post("/v1/calls/batch", json={"calls": [body]}).json()
    assert [i["status"] for i in batch["items"]] == [410]
    act_as(GLOBEX)  # another organisation's call of that id is another call
    assert client.post("/v1/calls", json=body).status_code == 201


def test_after_an_erasure_trends_and_roll_ups_equal_a_recount(
    client: TestClient, session: Session, act_as: ActAs, make_call: Callable[..., dict[str, Any]]
) -> None:
    act_as(ACME)
    manager = {"manager_id": "m-erased"}
    _post(client, make_call(**manager, started_at="2026-03-02T10:00:00+03:00"))
    before = client.get("/v1/managers/m-erased/trends", params=WINDOW).json()
    rollups_before = session.scalar(select(func.count()).select_from(ManagerRollup))
    lines = "Менеджер: Здравствуйте, это Олег.\nКлиент: Добрый день.\nМенеджер: Вы должны уточнить."
    erased = _post(
        client,
        make_call(**manager, started_at="2026-03-02T10:05:00+03:00", transcript=lines),
    )
    assert client.get("/v1/managers/m-erased/trends", params=WINDOW).json() != before
    assert client.delete(f"/v1/calls/{erased}").status_code == 204
    assert client.get("/v1/managers/m-erased/trends", params=WINDOW).json() == before
    assert session.scalar(select(func.count()).select_from(ManagerRollup)) == rollups_before


def test_another_organisations_manager_and_team_answer_404_and_lists_leave_them_out(
    client: TestClient, act_as: ActAs, make_call: Callable[..., dict[str, Any]]
) -> None:
    act_as(ACME)
    _post(client, make_call(manager_id="m-acme-only", team_id="t-acme-only"))
    act_as(GLOBEX)
    for path in (
        "/v1/managers/m-acme-only/trends",
        "/v1/managers/m-acme-only/report",
        "/v1/teams/t-acme-only/leaderboard",
        "/v1/teams/t-acme-only/report",
    ):
        theirs = client.get(path, params={"from": "2026-03-01", "to": "2026-03-08"})
        missing = client.get(path.replace("acme-only", "nobody"))
        assert _is_missing(theirs) and _is_missing(missing), path
    managers = client.get("/v1/managers").json()["managers"]
    assert "m-acme-only" not in {m["manager_id"] for m in managers}
    top = client.get("/v1/violations/top", params={"from": "2026-03-01", "to": "2026-03-08"})
    assert top.json()["phrases"] == []


def test_a_key_narrowed_to_teams_sees_only_those_teams_in_trends_and_leaderboards(
    client: TestClient, act_as: ActAs, make_call: Callable[..., dict[str, Any]]
) -> None:
    act_as(ACME)
    _post(client, make_call(manager_id="m-both", team_id="t-north"))
    _post(client, make_call(manager_id="m-both", team_id="t-south"))
    _post(client, make_call(manager_id="m-south", team_id="t-south"))
    act_as(ACME_NORTH)
    trends = client.get("/v1/managers/m-both/trends", params=WINDOW).json()
    assert sum(b["calls"] for b in trends["series"]) == 1
    assert _is_missing(client.get("/v1/managers/m-south/trends", params=WINDOW))
    assert _is_missing(client.get("/v1/teams/t-south/leaderboard"))
    assert _is_missing(client.get("/v1/teams/t-south/report"))
    north = client.get("/v1/teams/t-north/report", params=WINDOW)
    assert north.status_code == 200, north.text
    assert [m["manager_id"] for m in north.json()["managers"]] == ["m-both"]
    assert north.json()["summary"]["calls"] == 1
    managers = {m["manager_id"] for m in client.get("/v1/managers").json()["managers"]}
    assert managers == {"m-both"}
    top = client.get("/v1/violations/top", params=WINDOW).json()["phrases"]
    assert [p["count"] for p in top] and all(p["count"] == 1 for p in top)


def test_a_rescoring_covers_its_organisations_calls_and_is_another_organisations_404(
    client: TestClient, act_as: ActAs, make_call: Callable[..., dict[str, Any]]
) -> None:
    act_as(GLOBEX)
    _post(client, make_call())
    act_as(ACME)
    _post(client, make_call())
    queued = client.post("/v1/rescore", json={"checklist": "spin_classic"})
    assert queued.status_code == 202
    job = client.get(queued.headers["location"]).json()
    assert job["total"] == 1
    act_as(GLOBEX)
    assert _is_missing(client.get(queued.headers["location"]))
    assert _is_missing(client.delete(queued.headers["location"]))


def test_erasing_a_corrected_call_takes_its_corrected_score_out_of_the_trends(
    client: TestClient, act_as: ActAs, make_call: Callable[..., dict[str, Any]]
) -> None:
    act_as(ACME)
    manager = {"manager_id": "m-corrected"}
    _post(client, make_call(**manager, started_at="2026-03-02T10:00:00+03:00"))
    before = client.get("/v1/managers/m-corrected/trends", params=WINDOW).json()
    erased = _post(client, make_call(**manager, started_at="2026-03-02T10:05:00+03:00"))
    budget = {"target": "question", "utterance": 4, "span": [27, 40], "category": "personal"}
    made = client.post(f"/v1/calls/{erased}/corrections", json={"corrections": [budget]})
    assert made.status_code == 201, made.text
    assert client.delete(f"/v1/calls/{erased}").status_code == 204
    assert client.get("/v1/managers/m-corrected/trends", params=WINDOW).json() == before
