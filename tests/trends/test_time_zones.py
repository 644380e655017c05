"""Buckets follow the `tz` parameter (else CALLQA_TIMEZONE); `started_at` keeps its offset."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.trends.conftest import Ingest, realty_call


def _days(client: TestClient, tz: str | None, **params: Any) -> dict[str, int]:
    query = {"bucket": "day", "from": "2026-03-01", "to": "2026-03-04", **params}
    if tz:
        query["tz"] = tz
    response = client.get("/v1/managers/m-tz/trends", params=query)
    assert response.status_code == 200, response.text
    return {p["period_start"][:10]: p["calls"] for p in response.json()["series"]}


def test_a_call_at_23_30_in_moscow_on_monday_lands_on_monday_in_moscow_and_in_utc(
    client: TestClient, store: Ingest
) -> None:
    store(realty_call(4), started_at="2026-03-02T23:30:00+03:00", manager_id="m-tz")

    assert _days(client, "Europe/Moscow") == {
        "2026-03-01": 0,
        "2026-03-02": 1,
        "2026-03-03": 0,
        "2026-03-04": 0,
    }
    # 23:30 in Moscow is 20:30 UTC, still Monday.
    assert _days(client, "UTC")["2026-03-02"] == 1


def test_a_call_after_midnight_in_moscow_is_tuesday_there_and_monday_in_utc(
    client: TestClient, store: Ingest
) -> None:
    store(realty_call(4), started_at="2026-03-03T01:30:00+03:00", manager_id="m-tz")

    assert _days(client, "Europe/Moscow")["2026-03-03"] == 1
    assert _days(client, "UTC")["2026-03-02"] == 1
    assert _days(client, "UTC")["2026-03-03"] == 0


def test_a_call_at_00_15_in_kolkata_lands_on_its_local_day(
    client: TestClient, store: Ingest
) -> None:
    store(realty_call(4), started_at="2026-03-03T00:15:00+05:30", manager_id="m-tz")

    assert _days(client, "Asia/Kolkata")["2026-03-03"] == 1
    assert _days(client, "UTC")["2026-03-02"] == 1  # 18:45 UTC the day before


def test_day_buckets_start_at_local_midnight_with_the_zone_offset(
    client: TestClient, store: Ingest
) -> None:
    store(realty_call(4), started_at="2026-03-03T00:15:00+05:30", manager_id="m-tz")

    response = client.get(
        "/v1/managers/m-tz/trends",
        params={"bucket": "day", "from": "2026-03-03", "to": "2026-03-03", "tz": "Asia/Kolkata"},
    )

    body = response.json()
    assert [p["period_start"] for p in body["series"]] == ["2026-03-03T00:00:00+05:30"]
    assert (body["from"], body["to"], body["tz"]) == (
        "2026-03-03T00:00:00+05:30",
        "2026-03-04T00:00:00+05:30",
        "Asia/Kolkata",
    )


def test_weeks_start_on_the_local_monday(client: TestClient, store: Ingest) -> None:
    # Monday 01:00 in Moscow is still Sunday 22:00 in UTC: a different week.
    store(realty_call(4), started_at="2026-03-02T01:00:00+03:00", manager_id="m-tz")
    params = {"bucket": "week", "from": "2026-02-23", "to": "2026-03-08"}

    moscow = client.get("/v1/managers/m-tz/trends", params={**params, "tz": "Europe/Moscow"})
    utc = client.get("/v1/managers/m-tz/trends", params={**params, "tz": "UTC"})

    assert [(p["period_start"], p["calls"]) for p in moscow.json()["series"]] == [
        ("2026-02-23T00:00:00+03:00", 0),
        ("2026-03-02T00:00:00+03:00", 1),
    ]
    assert [(p["period_start"], p["calls"]) for p in utc.json()["series"]] == [
        ("2026-02-23T00:00:00+00:00", 1),
        ("2026-03-02T00:00:00+00:00", 0),
    ]


def test_without_tz_buckets_follow_callqa_timezone(
    moscow_client: TestClient, store: Ingest
) -> None:
    store(realty_call(4), started_at="2026-03-03T01:30:00+03:00", manager_id="m-tz")

    series = moscow_client.get(
        "/v1/managers/m-tz/trends",
        params={"bucket": "day", "from": "2026-03-02", "to": "2026-03-03"},
    ).json()["series"]

    assert [(p["period_start"], p["calls"]) for p in series] == [
        ("2026-03-02T00:00:00+03:00", 0),
        ("2026-03-03T00:00:00+03:00", 1),
    ]


def test_started_at_in_the_report_keeps_the_offset_it_was_given_with(
    client: TestClient, store: Ingest
) -> None:
    store(
        realty_call(4, forbidden=1),
        started_at="2026-03-03T00:15:00+05:30",
        manager_id="m-tz",
    )

    report = client.get(
        "/v1/managers/m-tz/report",
        params={"from": "2026-03-01", "to": "2026-03-05", "tz": "Europe/Moscow"},
    ).json()

    assert report["best_calls"][0]["started_at"] == "2026-03-03T00:15:00+05:30"
    assert report["worst_calls"][0]["started_at"] == "2026-03-03T00:15:00+05:30"
    assert report["top_phrases"][0]["examples"][0]["started_at"] == "2026-03-03T00:15:00+05:30"
    managers = client.get("/v1/managers").json()["managers"]
    [tz_manager] = [m for m in managers if m["manager_id"] == "m-tz"]
    assert tz_manager["last_call"]["started_at"] == "2026-03-03T00:15:00+05:30"


def test_a_datetime_range_counts_only_the_quarter_hours_it_covers(
    client: TestClient, store: Ingest
) -> None:
    store(realty_call(4), started_at="2026-03-02T10:05:00+00:00", manager_id="m-tz")
    store(realty_call(4), started_at="2026-03-02T12:40:00+00:00", manager_id="m-tz")

    response = client.get(
        "/v1/managers/m-tz/trends",
        params={
            "bucket": "day",
            "from": "2026-03-02T13:00:00+03:00",
            "to": "2026-03-02T15:00:00+03:00",
        },
    )

    assert [p["calls"] for p in response.json()["series"]] == [1]
