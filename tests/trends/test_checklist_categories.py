"""Trends, reports and leaderboards show the question categories of the calls' own checklist:
spin_classic's four kinds of question, with its titles and colours, not `other`."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.engine import get_checklist

SPIN_CALL = """Менеджер: Добрый день, меня зовут Анна, компания «Софт Плюс».
Клиент: Здравствуйте.
Менеджер: Сколько у вас сейчас сотрудников в отделе продаж?
Клиент: Двенадцать человек.
Менеджер: Что вас не устраивает в текущей системе учёта?
Клиент: Медленно всё.
Менеджер: К чему это приводит?
Клиент: Теряем клиентов.
Менеджер: Что это даст вашей команде, если отчёты будут готовы за минуту?
Клиент: Сэкономим время."""
SITUATION_ONLY = """Менеджер: Сколько у вас сейчас сотрудников в отделе продаж?
Клиент: Двенадцать.
Менеджер: Как давно вы работаете с текущей системой?
Клиент: Три года."""
SPIN = ("situation", "problem", "implication", "need_payoff")
WINDOW = {"from": "2026-03-01", "to": "2026-03-31", "tz": "UTC"}


@pytest.fixture
def spin_calls(client: TestClient) -> None:
    """Two managers of one team, their calls scored under spin_classic over HTTP."""
    calls = [
        ("m-spin", SPIN_CALL, "02"),
        ("m-spin", SPIN_CALL, "03"),
        ("m-sit", SITUATION_ONLY, "04"),
    ]
    for n, (manager, transcript, day) in enumerate(calls):
        body = {
            "external_id": f"spin-{n}",
            "manager_id": manager,
            "team_id": "t-spin",
            "started_at": f"2026-03-{day}T10:00:00+00:00",
            "transcript": transcript,
            "checklist": "spin_classic",
        }
        assert client.post("/v1/calls", json=body).status_code == 201


def _keys(answer: dict[str, Any]) -> list[str]:
    return [c["key"] for c in answer["categories"]]


def test_trends_of_spin_calls_count_each_kind_of_question(
    client: TestClient, spin_calls: None
) -> None:
    answer = client.get("/v1/managers/m-spin/trends", params={**WINDOW, "bucket": "month"}).json()

    assert set(_keys(answer)) == {*SPIN, "other"}
    assert _keys(answer)[-1] == "other"
    situation = next(c for c in answer["categories"] if c["key"] == "situation")
    assert situation["title"].startswith("Ситуационные")
    assert situation["color"].startswith("#")
    [point] = answer["series"]
    assert point["avg_questions"] == {**dict.fromkeys(SPIN, 1.0), "other": 0.0}
    assert point["avg_questions_total"] == 4.0


def test_an_empty_period_names_every_category_of_the_checklist(
    client: TestClient, spin_calls: None
) -> None:
    params = {"from": "2026-03-01", "to": "2026-03-21", "tz": "UTC", "bucket": "week"}
    answer = client.get("/v1/managers/m-spin/trends", params=params).json()

    assert answer["series"][-1]["calls"] == 0
    assert answer["series"][-1]["avg_questions"] == dict.fromkeys([*_keys(answer)])


def test_the_report_shows_spin_categories_in_json_html_and_csv(
    client: TestClient, spin_calls: None
) -> None:
    url = "/v1/managers/m-spin/report"
    report = client.get(url, params={**WINDOW, "format": "json"}).json()
    html = client.get(url, params={**WINDOW, "format": "html"}).text
    table = client.get(url, params={**WINDOW, "format": "csv"}).content.decode("utf-8-sig")

    assert report["summary"]["avg_questions"] == {**dict.fromkeys(SPIN, 1.0), "other": 0.0}
    grades = get_checklist("spin_classic").grades
    assert report["grade_bands"] == {"green": grades.green, "yellow": grades.yellow}
    for category in report["categories"]:
        assert category["title"] in html
        assert category["color"] in html
    header = next(csv.reader(io.StringIO(table)))
    assert [h for h in header if h.startswith("avg_") and h not in ("avg_total",)] == [
        *(f"avg_{k}" for k in _keys(report)),
        "avg_questions_total",
    ]


def test_the_leaderboard_ranks_by_a_spin_category(client: TestClient, spin_calls: None) -> None:
    url = "/v1/teams/t-spin/leaderboard"
    by_problem = client.get(url, params={**WINDOW, "sort": "problem"}).json()
    by_situation = client.get(url, params={**WINDOW, "sort": "situation"}).json()

    assert [m["manager_id"] for m in by_problem["managers"]] == ["m-spin", "m-sit"]
    assert [m["manager_id"] for m in by_situation["managers"]] == ["m-sit", "m-spin"]
    assert by_situation["managers"][0]["avg_questions"]["situation"] == 2.0
    assert set(_keys(by_problem)) == {*SPIN, "other"}


def test_a_leaderboard_sort_key_the_checklist_lacks_is_a_422_naming_sort(
    client: TestClient, spin_calls: None
) -> None:
    response = client.get("/v1/teams/t-spin/leaderboard", params={**WINDOW, "sort": "expertise"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["parameter"] == "sort"
    assert "situation" in error["reason"]
