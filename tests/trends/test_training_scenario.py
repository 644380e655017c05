"""The seed's story as data: a novice asks 4-5 questions a call, and after two months of coaching
asks 15 and more, personal and motivation ones among them. The weekly series must show that
growth exactly, and the report's before/after deltas must be right to the decimal.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.trends.conftest import CATEGORIES, FIRST_MONDAY, TRAINING_DAY


def _means(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Independent recount from the engine's own results."""
    n = len(calls)
    counts = {c: sum(x["score"]["question_counts"][c] for x in calls) for c in CATEGORIES}
    return {
        "calls": n,
        "avg_total": sum(x["score"]["total"] for x in calls) / n,
        "avg_questions": {c: counts[c] / n for c in CATEGORIES},
        "avg_questions_total": sum(counts.values()) / n,
        "violations_per_call": sum(len(x["score"]["violations"]) for x in calls) / n,
    }


def test_the_weekly_series_shows_the_questions_growing_as_the_seed_describes(
    client: TestClient, scenario: list[dict[str, Any]]
) -> None:
    response = client.get(
        "/v1/managers/m-olga/trends",
        params={"bucket": "week", "from": "2026-01-05", "to": "2026-03-15", "tz": "UTC"},
    )

    assert response.status_code == 200
    series = response.json()["series"]
    assert [p["period_start"] for p in series] == [
        f"{FIRST_MONDAY + timedelta(weeks=w)}T00:00:00+00:00" for w in range(10)
    ]
    by_week: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for call in scenario:
        by_week[call["week"]].append(call)
    for week, point in enumerate(series):
        expected = _means(by_week[week])
        assert point["calls"] == 5
        assert point["avg_questions"] == {
            c: round(v, 2) for c, v in expected["avg_questions"].items()
        }
        assert point["avg_questions_total"] == round(expected["avg_questions_total"], 2)
        assert point["avg_total"] == round(expected["avg_total"], 2)
    totals = [p["avg_questions_total"] for p in series]
    assert 4 <= totals[0] <= 5 and 4 <= totals[1] <= 5.5
    assert totals[8] >= 15 and totals[9] >= 15
    assert totals == sorted(totals)
    assert series[0]["avg_questions"]["personal"] == 0
    assert series[9]["avg_questions"]["personal"] >= 4
    assert series[9]["avg_questions"]["motivation"] >= 2


def test_the_report_puts_before_and_after_the_training_side_by_side_to_the_decimal(
    client: TestClient, scenario: list[dict[str, Any]]
) -> None:
    response = client.get(
        "/v1/managers/m-olga/report",
        params={"from": "2026-01-05", "to": "2026-03-15", "compare_before": str(TRAINING_DAY)},
    )

    assert response.status_code == 200
    comparison = response.json()["comparison"]
    before = _means([c for c in scenario if c["started_at"].date() < TRAINING_DAY])
    after = _means([c for c in scenario if c["started_at"].date() >= TRAINING_DAY])
    assert comparison["before"]["calls"] == 25 and comparison["after"]["calls"] == 25
    assert comparison["before"]["from"] == "2026-01-05T00:00:00+00:00"
    assert comparison["after"]["from"] == "2026-02-09T00:00:00+00:00"
    delta = comparison["delta"]
    assert delta["calls"] == 0
    assert delta["avg_total"] == round(after["avg_total"] - before["avg_total"], 2)
    assert delta["avg_questions_total"] == round(
        after["avg_questions_total"] - before["avg_questions_total"], 2
    )
    for c in CATEGORIES:
        assert delta["avg_questions"][c] == round(
            after["avg_questions"][c] - before["avg_questions"][c], 2
        )
    assert delta["violations_per_call"] == round(
        after["violations_per_call"] - before["violations_per_call"], 2
    )
    assert comparison["before"]["avg_total"] == round(before["avg_total"], 2)
    assert comparison["after"]["avg_questions_total"] == round(after["avg_questions_total"], 2)
    assert delta["avg_questions_total"] > 7
    assert delta["violations_per_call"] < 0
