"""Every request does bounded work: windows of at most CALLQA_MAX_BUCKETS buckets, calls read
500 utterances at a time, transcripts of at most CALLQA_MAX_WORDS words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.api.deps import Transactions, get_transactions
from app.db.session import SessionScope
from app.settings import Settings


@pytest.fixture
def small_client(settings: Settings, session_scope: SessionScope) -> Iterator[TestClient]:
    """A client of an app with small limits (10 buckets, 200 words) on the test's session."""
    app: FastAPI = create_app(settings.model_copy(update={"max_buckets": 10, "max_words": 200}))
    app.dependency_overrides[get_transactions] = lambda: Transactions(session_scope)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.usefixtures("english")  # quotes the English words
def test_a_day_series_over_a_thousand_years_is_refused_pointing_at_from(
    client: TestClient, make_call: Any
) -> None:
    client.post("/v1/calls", json=make_call(manager_id="m-long"))

    answer = client.get(
        "/v1/managers/m-long/report",
        params={"bucket": "day", "from": "1900-01-01", "to": "2999-12-30"},
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    [error] = answer.json()["errors"]
    assert error["parameter"] == "from"
    assert "1000 allowed" in error["reason"] and "CALLQA_MAX_BUCKETS" in error["reason"]


def test_the_bucket_limit_counts_buckets_of_the_size_asked_for(
    small_client: TestClient, make_call: Any
) -> None:
    small_client.post("/v1/calls", json=make_call(manager_id="m-win"))
    window = {"from": "2026-01-01", "to": "2026-03-11"}  # `to` inclusive: 70 days, 11 weeks

    by_day = small_client.get("/v1/managers/m-win/trends", params={**window, "bucket": "day"})
    by_week = small_client.get("/v1/managers/m-win/trends", params={**window, "bucket": "week"})
    by_month = small_client.get("/v1/managers/m-win/trends", params={**window, "bucket": "month"})
    ten_days = small_client.get(
        "/v1/managers/m-win/trends",
        params={"from": "2026-01-01", "to": "2026-01-10", "bucket": "day"},
    )

    # Counted in Russian, the default language: 70 days, 11 weeks.
    assert by_day.status_code == 422 and "70 дней" in by_day.json()["detail"]
    assert by_week.status_code == 422 and "11 недель" in by_week.json()["detail"]
    assert by_month.status_code == 200 and len(by_month.json()["series"]) == 3
    assert ten_days.status_code == 200, ten_days.text
    assert len(ten_days.json()["series"]) == 10


def test_a_leaderboard_window_is_bounded_in_months(
    small_client: TestClient, make_call: Any
) -> None:
    small_client.post("/v1/calls", json=make_call(team_id="t-bound"))

    year = small_client.get(
        "/v1/teams/t-bound/leaderboard", params={"from": "2025-06-01", "to": "2026-06-01"}
    )
    months = small_client.get(
        "/v1/teams/t-bound/leaderboard", params={"from": "2026-01-01", "to": "2026-06-01"}
    )

    assert year.status_code == 422 and year.json()["errors"][0]["parameter"] == "from"
    assert months.status_code == 200


def _long_call(make_call: Any, turns: int) -> dict[str, Any]:
    lines = [f"Менеджер: Какой этаж вам нужен, вариант {i}?\nКлиент: Пятый." for i in range(turns)]
    return make_call(transcript="\n".join(lines))


def test_a_call_answer_carries_500_utterances_and_links_the_rest_page_by_page(
    client: TestClient, make_call: Any
) -> None:
    created = client.post("/v1/calls", json=_long_call(make_call, 600))  # 1,200 utterances
    call_id = created.json()["id"]

    call = client.get(f"/v1/calls/{call_id}").json()
    second = client.get(call["utterances_next"]).json()
    third = client.get(second["next"]).json()

    assert len(call["utterances"]) == 500 and call["utterances_total"] == 1200
    assert call["utterances"][0]["text"].startswith("Какой этаж вам нужен, вариант 0")
    assert second["offset"] == 500 and len(second["items"]) == 500
    assert (
        second["items"][0]
        == client.get(f"/v1/calls/{call_id}/utterances", params={"offset": 500, "limit": 1}).json()[
            "items"
        ][0]
    )
    assert len(third["items"]) == 200 and third["next"] is None
    assert third["items"][-1]["text"] == "Пятый."


def test_utterance_pages_of_an_unknown_call_are_404_and_bad_ranges_422(client: TestClient) -> None:
    assert client.get("/v1/calls/987654321/utterances").status_code == 404
    assert client.get("/v1/calls/1/utterances", params={"limit": 501}).status_code == 422
    assert client.get("/v1/calls/1/utterances", params={"offset": -1}).status_code == 422


def test_a_transcript_over_the_word_limit_is_refused_with_413_and_nothing_is_stored(
    small_client: TestClient, make_call: Any
) -> None:
    body = _long_call(make_call, 30)  # ~270 words with the speaker labels
    single = small_client.post("/v1/calls", json=body)
    batch = small_client.post("/v1/calls/batch", json={"calls": [body, make_call()]})
    dry_run = small_client.post("/v1/score", json={"transcript": body["transcript"]})
    listed = small_client.get("/v1/calls", params={"manager_id": body["manager_id"]}).json()

    assert single.status_code == 413
    assert single.json()["errors"] == [
        {"pointer": "/transcript", "reason": single.json()["detail"]}
    ]
    assert "CALLQA_MAX_WORDS" in single.json()["detail"]
    assert [i["status"] for i in batch.json()["items"]] == [413, 201]
    assert batch.json()["items"][0]["errors"][0]["pointer"] == "/calls/0/transcript"
    assert dry_run.status_code == 413
    assert [c["external_id"] for c in listed["items"]] == [batch.json()["items"][1]["external_id"]]
