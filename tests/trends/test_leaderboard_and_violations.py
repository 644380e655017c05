"""Team leaderboards and the forbidden phrases said most, over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.engine import score
from tests.trends.conftest import Ingest, realty_call


def test_an_unknown_team_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/v1/teams/no-team/leaderboard")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def _team(store: Ingest) -> dict[str, float]:
    """Three managers of team t-board with different habits; returns their totals."""
    plans = {
        "m-strong": realty_call(10, 4, 2),
        "m-novice": realty_call(4, forbidden=2),
        "m-middle": realty_call(7, 1, 1, forbidden=1),
    }
    for manager, text in plans.items():
        store(text, started_at="2026-03-02T10:00:00+00:00", manager_id=manager, team_id="t-board")
    store(realty_call(12, 6, 3), started_at="2026-03-02T10:00:00+00:00", manager_id="m-other")
    return {m: score(t).to_dict()["total"] for m, t in plans.items()}


def test_the_leaderboard_ranks_a_teams_managers_by_average_total(
    client: TestClient, store: Ingest
) -> None:
    totals = _team(store)

    body = client.get(
        "/v1/teams/t-board/leaderboard", params={"from": "2026-03-01", "to": "2026-03-31"}
    ).json()

    ranked = [(e["rank"], e["manager_id"]) for e in body["managers"]]
    expected = sorted(totals, key=lambda m: -totals[m])
    assert ranked == list(enumerate(expected, start=1))
    assert body["managers"][0]["avg_total"] == totals[expected[0]]


def test_sorting_by_violations_puts_the_cleanest_speaker_first(
    client: TestClient, store: Ingest
) -> None:
    _team(store)

    body = client.get(
        "/v1/teams/t-board/leaderboard",
        params={"from": "2026-03-01", "to": "2026-03-31", "sort": "violations_per_call"},
    ).json()

    assert [e["manager_id"] for e in body["managers"]] == ["m-strong", "m-middle", "m-novice"]
    assert [e["violations_per_call"] for e in body["managers"]] == [0, 1, 2]


def test_sorting_by_personal_questions_uses_the_personal_average(
    client: TestClient, store: Ingest
) -> None:
    _team(store)

    body = client.get(
        "/v1/teams/t-board/leaderboard",
        params={"from": "2026-03-01", "to": "2026-03-31", "sort": "personal"},
    ).json()

    personal = [e["avg_questions"]["personal"] for e in body["managers"]]
    assert personal == sorted(personal, reverse=True)
    assert body["managers"][0]["manager_id"] == "m-strong"


def test_top_violations_count_phrases_with_replacement_and_who_said_them(
    client: TestClient, store: Ingest
) -> None:
    _team(store)

    body = client.get(
        "/v1/violations/top",
        params={"team_id": "t-board", "from": "2026-03-01", "to": "2026-03-31"},
    ).json()

    top = {p["phrase"]: p for p in body["phrases"]}
    assert top["я не знаю"]["replacement"] == "Я уточню и вернусь к вам с ответом"
    assert top["я не знаю"]["count"] == 2
    assert top["я не знаю"]["manager_count"] == 2
    assert {m["manager_id"] for m in top["я не знаю"]["managers"]} == {"m-novice", "m-middle"}
    assert top["подождите"]["managers"] == [{"manager_id": "m-novice", "count": 1}]


def test_top_violations_of_one_manager_leave_the_others_out(
    client: TestClient, store: Ingest
) -> None:
    _team(store)

    body = client.get(
        "/v1/violations/top",
        params={"manager_id": "m-middle", "from": "2026-03-01", "to": "2026-03-31"},
    ).json()

    assert [(p["phrase"], p["count"]) for p in body["phrases"]] == [("я не знаю", 1)]
