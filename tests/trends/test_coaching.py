"""Coaching beyond phrases: the categories furthest below the checklist's targets with model
questions, the items passed least often, progress toward targets, and the training marker."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from app.engine import get_checklist
from app.engine.checklist import QuestionCountItem
from app.services.report_html import training_marker
from tests.trends.conftest import TRAINING_DAY, Ingest, realty_call

WINDOW = {"from": "2026-01-05", "to": "2026-03-15"}


def _report(client: TestClient, manager: str = "m-olga", **params: Any) -> Any:
    return client.get(f"/v1/managers/{manager}/report", params={**WINDOW, **params})


def _targets(checklist: str) -> dict[str, int]:
    rules = get_checklist(checklist)
    return {i.category: i.target for i in rules.items if isinstance(i, QuestionCountItem)}


def _best_questions(calls: list[dict[str, Any]], category: str, n: int = 3) -> list[str]:
    """Distinct questions of a category from the best scored calls, newest first on ties."""
    ranked = sorted(calls, key=lambda c: (c["score"]["total"], c["started_at"]), reverse=True)
    found: list[str] = []
    for call in ranked:
        for q in call["score"]["questions"]:
            if q["category"] == category and q["text"] not in found:
                found.append(q["text"])
    return found[:n]


def test_the_report_names_the_categories_furthest_below_their_targets_weakest_first(
    client: TestClient, scenario: list[dict[str, Any]]
) -> None:
    report = _report(client).json()

    targets = _targets(scenario[0]["score"]["checklist"]["key"])
    averages = {
        c: sum(s["score"]["question_counts"].get(c, 0) for s in scenario) / len(scenario)
        for c in targets
    }
    below = sorted((a / targets[c], c) for c, a in averages.items() if a < targets[c])
    weak = report["weak_categories"]
    assert [w["key"] for w in weak] == [c for _, c in below][:3]
    for w in weak:
        assert w["average"] == round(averages[w["key"]], 2)
        assert w["target"] == targets[w["key"]]
        assert w["model_source"] == "manager"
        assert [m["text"] for m in w["model_questions"]] == _best_questions(scenario, w["key"])


def test_a_manager_without_such_questions_gets_model_questions_from_the_teams_best_calls(
    client: TestClient, scenario: list[dict[str, Any]], store: Ingest
) -> None:
    for day in range(3):
        store(realty_call(3), started_at=f"2026-03-0{day + 2}T10:00:00+00:00", manager_id="m-ivan")

    weak = {w["key"]: w for w in _report(client, "m-ivan").json()["weak_categories"]}

    assert weak["motivation"]["average"] == 0
    assert weak["motivation"]["model_source"] == "team"
    texts = [m["text"] for m in weak["motivation"]["model_questions"]]
    assert texts == _best_questions(scenario, "motivation")
    assert weak["expertise"]["model_source"] == "manager"


def test_the_items_passed_least_often_are_named_with_their_rates(
    client: TestClient, scenario: list[dict[str, Any]]
) -> None:
    report = _report(client).json()

    passed: dict[str, int] = {}
    for call in scenario:
        for item in call["score"]["items"]:
            passed[item["key"]] = passed.get(item["key"], 0) + int(item["passed"])
    targeted = {i["key"] for i in report["item_pass_rates"] if i["target"] is not None}
    weak = sorted((n / 50, k) for k, n in passed.items() if k not in targeted and n / 50 < 0.8)
    assert [(i["key"], i["rate"]) for i in report["weak_items"]] == [(k, r) for r, k in weak][:3]


def test_the_page_shows_averages_against_targets_in_the_coaching_and_the_item_chart(
    client: TestClient, scenario: list[dict[str, Any]]
) -> None:
    report = _report(client, compare_before=str(TRAINING_DAY)).json()
    page = _report(client, compare_before=str(TRAINING_DAY), format="html").text

    motivation = next(w for w in report["weak_categories"] if w["key"] == "motivation")
    assert "Задавайте больше вопросов" in page
    assert "Так спрашивали в лучших звонках менеджера" in page
    assert motivation["model_questions"][0]["text"] in page
    before = report["comparison"]["before"]["avg_questions"]["expertise"]
    after = report["comparison"]["after"]["avg_questions"]["expertise"]
    assert before < after < 10
    assert "Экспертные вопросы, к цели" in page


def test_the_training_marker_sits_on_the_day_itself_even_in_a_last_week_cut_short() -> None:
    zone = ZoneInfo("Europe/Moscow")
    weeks = [datetime(2026, 3, 2, tzinfo=zone), datetime(2026, 3, 9, tzinfo=zone)]
    thursday = datetime(2026, 3, 12, tzinfo=zone)

    assert training_marker(weeks, "week", thursday) == (1 + 3 / 7, "тренинг 12.03")
    assert training_marker(weeks, "week", weeks[1]) == (1.0, "тренинг 09.03")
    days = [datetime(2026, 3, d, tzinfo=zone) for d in range(1, 11)]
    assert training_marker(days, "day", datetime(2026, 3, 4, 12, tzinfo=zone)) == (
        3.5,
        "тренинг 04.03",
    )
    assert training_marker(weeks, "week", datetime(2026, 3, 16, tzinfo=zone)) is None
