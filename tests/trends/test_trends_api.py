"""Trends, managers, leaderboard and top violations over HTTP, and their problem+json errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db.models import ManagerRollup
from app.engine import score
from tests.trends.conftest import Ingest, realty_call

PROBLEM = "application/problem+json"


def _trends(client: TestClient, manager_id: str = "m-api", **params: Any) -> Any:
    return client.get(f"/v1/managers/{manager_id}/trends", params=params)


def test_empty_periods_are_present_with_zero_calls_and_null_averages(
    client: TestClient, store: Ingest
) -> None:
    store(realty_call(5, forbidden=1), started_at="2026-03-02T10:00:00+00:00", manager_id="m-api")
    store(realty_call(4), started_at="2026-03-16T10:00:00+00:00", manager_id="m-api")

    series = _trends(client, bucket="week", **{"from": "2026-03-02", "to": "2026-03-22"}).json()[
        "series"
    ]

    assert [p["calls"] for p in series] == [1, 0, 1]
    empty = series[1]
    assert empty["period_start"] == "2026-03-09T00:00:00+00:00"
    assert empty["avg_total"] is None
    assert empty["avg_questions"] == {
        "expertise": None,
        "personal": None,
        "motivation": None,
        "other": None,
    }
    assert empty["violations_per_call"] is None
    assert empty["item_pass_rate"] == {}


def test_a_series_point_holds_the_averages_and_item_pass_rates_of_its_calls(
    client: TestClient, store: Ingest
) -> None:
    texts = [realty_call(5, 1, forbidden=1), realty_call(8, 2, 1)]
    for i, text in enumerate(texts):
        store(text, started_at=f"2026-03-0{2 + i}T10:00:00+00:00", manager_id="m-api")
    scores = [score(t).to_dict() for t in texts]

    [point] = _trends(client, bucket="month", **{"from": "2026-03-01", "to": "2026-03-31"}).json()[
        "series"
    ]

    assert point["period_start"] == "2026-03-01T00:00:00+00:00"
    assert point["calls"] == 2
    assert point["avg_total"] == round((scores[0]["total"] + scores[1]["total"]) / 2, 2)
    assert point["violations_per_call"] == round(
        (len(scores[0]["violations"]) + len(scores[1]["violations"])) / 2, 2
    )
    expected_rates = {
        item["key"]: (int(item["passed"]) + int(other["passed"])) / 2
        for item, other in zip(scores[0]["items"], scores[1]["items"], strict=True)
    }
    assert point["item_pass_rate"] == expected_rates


def test_day_buckets_cover_every_day_of_the_range(client: TestClient, store: Ingest) -> None:
    store(realty_call(4), started_at="2026-03-05T10:00:00+00:00", manager_id="m-api")

    series = _trends(client, bucket="day", **{"from": "2026-03-01", "to": "2026-03-07"}).json()[
        "series"
    ]

    assert [p["period_start"][:10] for p in series] == [f"2026-03-0{d}" for d in range(1, 8)]
    assert [p["calls"] for p in series] == [0, 0, 0, 0, 1, 0, 0]


def test_the_checklist_filter_keeps_only_calls_scored_with_it(
    client: TestClient, store: Ingest
) -> None:
    store(realty_call(4), started_at="2026-03-02T10:00:00+00:00", manager_id="m-api")
    store(
        realty_call(4),
        started_at="2026-03-03T10:00:00+00:00",
        manager_id="m-api",
        checklist="spin_classic",
    )
    params = {"bucket": "month", "from": "2026-03-01", "to": "2026-03-31"}

    realty = _trends(client, checklist="realty_phone", **params).json()
    everything = _trends(client, **params).json()

    assert realty["checklist"] == "realty_phone"
    assert realty["series"][0]["calls"] == 1
    assert everything["series"][0]["calls"] == 2


def test_item_rates_of_two_checklists_in_one_period_count_each_on_its_own_calls(
    client: TestClient, store: Ingest
) -> None:
    realty, spin = realty_call(10, 4, 2), realty_call(2)
    store(realty, started_at="2026-03-02T10:00:00+00:00", manager_id="m-api")
    store(
        spin, started_at="2026-03-03T10:00:00+00:00", manager_id="m-api", checklist="spin_classic"
    )
    store(
        spin, started_at="2026-03-04T10:00:00+00:00", manager_id="m-api", checklist="spin_classic"
    )
    passed: dict[str, list[int]] = {}
    for text, checklist in (
        (realty, "realty_phone"),
        (spin, "spin_classic"),
        (spin, "spin_classic"),
    ):
        for item in score(text, checklist).to_dict()["items"]:
            passed.setdefault(item["key"], []).append(int(item["passed"]))

    body = _trends(client, bucket="month", **{"from": "2026-03-01", "to": "2026-03-31"}).json()
    report = client.get(
        "/v1/managers/m-api/report", params={"from": "2026-03-01", "to": "2026-03-31"}
    ).json()

    expected = {key: round(sum(v) / len(v), 4) for key, v in passed.items()}
    assert body["series"][0]["item_pass_rate"] == expected
    assert report["summary"]["item_pass_rate"] == expected
    assert {i["key"]: i["calls"] for i in report["item_pass_rates"]} == {
        key: len(v) for key, v in passed.items()
    }


def test_without_from_and_to_the_last_90_days_are_shown(client: TestClient, store: Ingest) -> None:
    store(realty_call(4), started_at="2026-03-02T10:00:00+00:00", manager_id="m-api")

    body = _trends(client, bucket="day").json()

    assert len(body["series"]) == 90
    assert body["to"] > body["from"]


def test_an_unknown_manager_is_a_404_problem(client: TestClient) -> None:
    for path in ("trends", "report"):
        response = client.get(f"/v1/managers/nobody/{path}")
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        assert "nobody" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"bucket": "year"}, "bucket"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"tz": "../../etc/passwd"}, "tz"),
        ({"tz": "localtime"}, "tz"),  # this machine's setting, not a zone
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"checklist": "no such!"}, "checklist"),
    ],
)
def test_a_bad_query_parameter_is_a_422_problem_naming_it(
    client: TestClient, store: Ingest, params: dict[str, str], parameter: str
) -> None:
    store(realty_call(4), started_at="2026-03-02T10:00:00+00:00", manager_id="m-api")

    response = _trends(client, **params)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert [e["parameter"] for e in response.json()["errors"]] == [parameter]


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/v1/managers/m-api/report", {"format": "pdf"}, "format"),
        ("/v1/managers/m-api/report", {"compare_before": "after lunch"}, "compare_before"),
        ("/v1/teams/t-sochi/leaderboard", {"sort": "height"}, "sort"),
        ("/v1/teams/t-sochi/leaderboard", {"tz": "Nowhere"}, "tz"),
        ("/v1/violations/top", {"limit": "0"}, "limit"),
        ("/v1/violations/top", {"from": "soon"}, "from"),
    ],
)
def test_report_leaderboard_and_violations_name_their_bad_parameter(
    client: TestClient, store: Ingest, path: str, params: dict[str, str], parameter: str
) -> None:
    store(realty_call(4), started_at="2026-03-02T10:00:00+00:00", manager_id="m-api")

    response = client.get(path, params=params)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert [e["parameter"] for e in response.json()["errors"]] == [parameter]


def test_managers_list_their_calls_average_and_newest_call(
    client: TestClient, store: Ingest
) -> None:
    a = store(realty_call(4), started_at="2026-03-02T10:00:00+00:00", manager_id="m-list-a")
    b = store(
        realty_call(9, 3, 2),
        started_at="2026-03-04T10:00:00+03:00",
        manager_id="m-list-a",
        manager_name="Анна",
    )

    managers = {m["manager_id"]: m for m in client.get("/v1/managers").json()["managers"]}

    entry = managers["m-list-a"]
    assert entry["calls"] == 2
    assert entry["avg_total"] == round((a["score"]["total"] + b["score"]["total"]) / 2, 2)
    assert entry["manager_name"] == "Анна"
    assert entry["teams"] == ["t-sochi"]
    assert entry["last_call"] == {
        "id": b["id"],
        "started_at": "2026-03-04T10:00:00+03:00",
        "link": f"/v1/calls/{b['id']}",
    }


def test_rows_of_an_older_checklist_version_without_an_item_do_not_count_for_it(
    client: TestClient, store: Ingest, session: Session
) -> None:
    old = store(realty_call(5), started_at="2026-03-02T10:00:00+00:00", manager_id="m-api")
    new = store(realty_call(9, 3, 2), started_at="2026-03-02T12:00:00+00:00", manager_id="m-api")
    # The 10:00 call was scored before the checklist had a `greeting` item.
    session.execute(
        update(ManagerRollup)
        .where(ManagerRollup.manager_id == "m-api")
        .where(ManagerRollup.slot_start == datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
        .values(item_passed=ManagerRollup.item_passed.op("-")("greeting"))
    )
    greeting = {i["key"]: i["passed"] for i in new["score"]["items"]}["greeting"]
    booked = [
        {i["key"]: i["passed"] for i in call["score"]["items"]}["viewing_booked"]
        for call in (old, new)
    ]

    [point] = _trends(client, bucket="day", **{"from": "2026-03-02", "to": "2026-03-02"}).json()[
        "series"
    ]

    assert point["item_pass_rate"]["greeting"] == float(greeting)
    assert point["item_pass_rate"]["viewing_booked"] == sum(booked) / 2
