"""After a rescoring that changes totals and grades, every answer about the latest series (no
`version` asked) counts each call with its latest score: the report's grade counts and its best
and worst calls, and the call list, as a recount from the latest scores says, in a zone whose
days are the day roll-ups' and in one whose are not."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db import calls as call_queries
from app.services.rescoring import rescore_calls
from tests.trends.conftest import Ingest, push_realty_version, realty_call

# Expertise questions no longer count and the grade bands move up: totals and grades change,
# and so does the order of the calls by total.
STRICTER = """
key: realty_phone
title: Телефонный звонок по недвижимости (строже)
extends: realty_phone
grades: {green: 90, yellow: 75}
drop:
  items: [expertise_questions]
"""
# (UTC start, expertise, personal, motivation, coached); the first four are rescored.
CALLS = (
    ("2026-03-09T12:00", 2, 3, 2, True),
    ("2026-03-06T08:00", 10, 0, 0, False),
    ("2026-02-27T19:00", 1, 4, 3, True),
    ("2026-02-20T21:30", 12, 1, 0, False),
    ("2026-02-10T09:15", 3, 2, 1, True),
    ("2026-02-03T11:40", 9, 0, 0, True),
    ("2026-01-20T00:10", 4, 1, 1, False),
)
RESCORED = 4
KOLKATA = "Asia/Kolkata"  # UTC+5:30: whole local days are not whole UTC days


@pytest.fixture
def latest(store: Ingest, client: TestClient, session: Session) -> list[dict[str, Any]]:
    """The calls stored, the stricter version pushed and the newest calls rescored under it:
    each call's id, start and latest score."""
    stored = [
        store(
            realty_call(e, p, m, coached=coached, forbidden=1),
            started_at=f"{at}+00:00",
            manager_id="ml-a",
        )
        for at, e, p, m, coached in CALLS
    ]
    rules = push_realty_version(client, session, STRICTER)
    ids = [c["id"] for c in stored]
    assert rescore_calls(session, ids[:RESCORED], rules).scored == RESCORED
    out = []
    for call in stored:
        shown = client.get(f"/v1/calls/{call['id']}").json()
        out.append({"id": call["id"], "started_at": shown["started_at"], **shown["scores"][-1]})
    rescored = out[:RESCORED]
    ingested = [c["score"] for c in stored[:RESCORED]]
    # The spec means something only if the rescoring moved what the old reads showed.
    assert [c["grade"] for c in rescored] != [s["grade"] for s in ingested]
    assert [c["total"] for c in rescored] != [s["total"] for s in ingested]
    return out


def _ranked(calls: list[dict[str, Any]], *, best: bool, n: int = 3) -> list[tuple[int, float]]:
    """The best (worst) calls by their latest totals, newest first on ties, as (id, total)."""
    newest = sorted(calls, key=lambda c: (c["started_at"], c["id"]), reverse=True)
    ordered = sorted(newest, key=lambda c: -c["total"] if best else c["total"])
    return [(c["id"], c["total"]) for c in ordered[:n]]


@pytest.mark.parametrize("zone", ["UTC", KOLKATA])
def test_the_latest_series_report_grades_and_best_and_worst_calls_read_the_latest_scores(
    client: TestClient, session: Session, latest: list[dict[str, Any]], zone: str
) -> None:
    call_queries.set_day_zone(session, zone)  # whole days of the zone asked: the day roll-ups
    report = client.get(
        "/v1/managers/ml-a/report",
        params={"from": "2026-01-01", "to": "2026-03-31", "tz": KOLKATA},
    )

    assert report.status_code == 200, report.text
    body = report.json()
    expected = Counter(c["grade"] for c in latest)
    assert body["summary"]["grades"] == {g: expected[g] for g in ("green", "yellow", "red")}
    assert body["summary"]["calls"] == len(latest)
    for key, best in (("best_calls", True), ("worst_calls", False)):
        shown = [(c["id"], c["total"]) for c in body[key]]
        assert shown == _ranked(latest, best=best), key
        grades = {c["id"]: c["grade"] for c in latest}
        assert all(c["grade"] == grades[c["id"]] for c in body[key]), key
    # Model questions come from the best calls by their latest totals.
    totals = {c["id"]: c["total"] for c in latest}
    models = [q for w in body["weak_categories"] for q in w["model_questions"]]
    assert models
    assert all(q["total"] == totals[q["call_id"]] for q in models)


def test_the_latest_series_grades_of_a_split_report_add_up_to_the_latest_scores(
    client: TestClient, latest: list[dict[str, Any]]
) -> None:
    report = client.get(
        "/v1/managers/ml-a/report",
        params={"from": "2026-01-01", "to": "2026-03-31", "compare_before": "2026-02-25"},
    )

    assert report.status_code == 200, report.text
    comparison = report.json()["comparison"]
    after = Counter(c["grade"] for c in latest if c["started_at"] >= "2026-02-25")
    before = Counter(c["grade"] for c in latest if c["started_at"] < "2026-02-25")
    for half, expected in (("before", before), ("after", after)):
        assert comparison[half]["grades"] == {g: expected[g] for g in ("green", "yellow", "red")}


def test_the_call_list_shows_each_calls_latest_score(
    client: TestClient, latest: list[dict[str, Any]]
) -> None:
    listed = client.get("/v1/calls", params={"manager_id": "ml-a"})

    assert listed.status_code == 200, listed.text
    shown = {c["id"]: (c["checklist"], c["total"], c["grade"]) for c in listed.json()["items"]}
    assert shown == {c["id"]: (c["checklist"], c["total"], c["grade"]) for c in latest}
