"""Day roll-ups: the sums of each local day of the configured zone, kept on ingest beside the
15-minute slots. Trends, leaderboards and reports in that zone read them; any other zone, or a
window cut inside a day, reads the slots, and every answer stays exact.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db import calls as call_queries
from app.db import trends as q
from app.db.models import ManagerRollup, ManagerRollupDay
from app.db.session import SessionScope
from app.engine import score
from app.services import ingest, reports
from app.services.schemas import CallIn
from tests.trends.conftest import Ingest, realty_call

SAO_PAULO = "America/Sao_Paulo"  # UTC-3 all year: 23:30 there is 02:30 UTC the next day
SUNDAY_LATE = "2026-03-01T23:30:00-03:00"  # Sunday there; Monday 2026-03-02 02:30 in UTC


def _day_rows(session: Session, manager_id: str) -> list[ManagerRollupDay]:
    stmt = (
        select(ManagerRollupDay)
        .where(ManagerRollupDay.manager_id == manager_id, ManagerRollupDay.checklist_version == "")
        .order_by(ManagerRollupDay.day)
    )
    return list(session.scalars(stmt))


def _weeks(client: TestClient, manager_id: str, tz: str) -> list[tuple[str, int]]:
    response = client.get(
        f"/v1/managers/{manager_id}/trends",
        params={"bucket": "week", "from": "2026-02-23", "to": "2026-03-08", "tz": tz},
    )
    assert response.status_code == 200, response.text
    return [(p["period_start"], p["calls"]) for p in response.json()["series"]]


def test_a_call_at_23_30_local_time_lands_on_its_local_day_and_week(
    session: Session, client: TestClient, store: Ingest
) -> None:
    call_queries.set_day_zone(session, SAO_PAULO)

    store(realty_call(4), started_at=SUNDAY_LATE, manager_id="m-late")

    [row] = _day_rows(session, "m-late")
    assert (row.day, row.calls) == (date(2026, 3, 1), 1)
    assert _weeks(client, "m-late", SAO_PAULO) == [
        ("2026-02-23T00:00:00-03:00", 1),
        ("2026-03-02T00:00:00-03:00", 0),
    ]


def test_trends_in_the_configured_zone_are_read_from_the_day_rows(
    session: Session, client: TestClient, store: Ingest
) -> None:
    call_queries.set_day_zone(session, SAO_PAULO)
    store(realty_call(4), started_at=SUNDAY_LATE, manager_id="m-late")

    # Without the slots, only the day rows can still answer in the configured zone.
    session.execute(delete(ManagerRollup).where(ManagerRollup.manager_id == "m-late"))

    assert _weeks(client, "m-late", SAO_PAULO) == [
        ("2026-02-23T00:00:00-03:00", 1),
        ("2026-03-02T00:00:00-03:00", 0),
    ]


def test_trends_in_another_zone_stay_exact_from_the_slots(
    session: Session, client: TestClient, store: Ingest
) -> None:
    call_queries.set_day_zone(session, SAO_PAULO)

    store(realty_call(4), started_at=SUNDAY_LATE, manager_id="m-late")

    assert _weeks(client, "m-late", "UTC") == [
        ("2026-02-23T00:00:00+00:00", 0),
        ("2026-03-02T00:00:00+00:00", 1),
    ]
    assert _weeks(client, "m-late", "Asia/Kolkata") == [
        ("2026-02-23T00:00:00+05:30", 0),
        ("2026-03-02T00:00:00+05:30", 1),
    ]


def test_a_window_cut_inside_a_day_counts_only_its_own_quarter_hours(
    session: Session, client: TestClient, store: Ingest
) -> None:
    call_queries.set_day_zone(session, SAO_PAULO)
    store(realty_call(4), started_at="2026-03-02T10:05:00-03:00", manager_id="m-cut")
    store(realty_call(4), started_at="2026-03-02T12:40:00-03:00", manager_id="m-cut")

    response = client.get(
        "/v1/managers/m-cut/trends",
        params={"bucket": "day", "from": "2026-03-02T11:00", "to": "2026-03-02", "tz": SAO_PAULO},
    )

    assert [p["calls"] for p in response.json()["series"]] == [1]


def test_calls_of_one_batch_in_different_slots_of_one_day_add_up_in_one_day_row(
    session: Session,
    session_scope: SessionScope,
) -> None:
    texts = [realty_call(4), realty_call(8, 2, 1, forbidden=1), realty_call(6, coached=True)]
    starts = ["2026-03-02T09:00:00+00:00", "2026-03-02T15:20:00+00:00", "2026-03-02T23:59:00Z"]
    calls = [
        CallIn.model_validate(
            {"external_id": f"day-{i}", "manager_id": "m-day", "started_at": s, "transcript": t}
        )
        for i, (t, s) in enumerate(zip(texts, starts, strict=True))
    ]

    outcomes = ingest.ingest_many(session_scope, calls)

    assert [o.status for o in outcomes] == [201, 201, 201]
    scores = [score(t).to_dict() for t in texts]
    [row] = _day_rows(session, "m-day")
    assert (row.day, row.team_id, row.calls) == (date(2026, 3, 2), "", 3)
    assert row.total_sum == sum(s["total"] for s in scores)
    asked: dict[str, int] = {}
    for s in scores:
        for category, n in s["question_counts"].items():
            asked[category] = asked.get(category, 0) + n
    assert row.question_counts == asked
    assert row.questions == sum(asked.values())
    assert row.violations == sum(len(s["violations"]) for s in scores)
    passed: dict[str, int] = {}
    for item in (i for s in scores for i in s["items"]):
        passed[item["key"]] = passed.get(item["key"], 0) + int(item["passed"])
    assert row.item_passed == passed


def test_changing_the_zone_rebuilds_the_day_rows_from_the_slots(
    session: Session, store: Ingest
) -> None:
    call_queries.set_day_zone(session, "UTC")
    store(realty_call(4), started_at=SUNDAY_LATE, manager_id="m-move")
    store(realty_call(6), started_at="2026-03-02T10:00:00-03:00", manager_id="m-move")
    assert [(r.day, r.calls) for r in _day_rows(session, "m-move")] == [(date(2026, 3, 2), 2)]

    assert call_queries.set_day_zone(session, SAO_PAULO) is True
    assert call_queries.set_day_zone(session, SAO_PAULO) is False

    assert q.day_zone(session) == SAO_PAULO
    rows = _day_rows(session, "m-move")
    assert [(r.day, r.calls) for r in rows] == [(date(2026, 3, 1), 1), (date(2026, 3, 2), 1)]
    slots = session.scalars(
        select(ManagerRollup)
        .where(ManagerRollup.manager_id == "m-move", ManagerRollup.checklist_version == "")
        .order_by(ManagerRollup.slot_start)
    ).all()
    assert sum(r.total_sum for r in rows) == sum(s.total_sum for s in slots)
    assert [r.item_passed for r in rows] == [s.item_passed for s in slots]


def _report(session: Session, **params: Any) -> dict[str, Any]:
    body = reports.manager_report(
        session, "m-olga", start="2026-01-05", end="2026-03-15", tz=SAO_PAULO, **params
    )
    del body["generated_at"]
    return body


def test_reports_and_leaderboards_agree_whether_read_from_days_or_slots(
    session: Session, client: TestClient, scenario: list[dict[str, Any]]
) -> None:
    board = {"from": "2026-01-05", "to": "2026-03-15", "tz": SAO_PAULO}
    call_queries.set_day_zone(session, SAO_PAULO)
    from_days = [_report(session, bucket=b) for b in ("day", "week", "month")]
    from_days.append(_report(session, compare_before="2026-02-09"))
    board_from_days = client.get("/v1/teams/t-sochi/leaderboard", params=board).json()

    call_queries.set_day_zone(session, "UTC")
    from_slots = [_report(session, bucket=b) for b in ("day", "week", "month")]
    from_slots.append(_report(session, compare_before="2026-02-09"))
    board_from_slots = client.get("/v1/teams/t-sochi/leaderboard", params=board).json()

    assert from_days[1]["summary"]["calls"] == len(scenario)
    assert from_days == from_slots
    assert board_from_days == board_from_slots
