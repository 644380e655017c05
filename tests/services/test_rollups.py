"""Roll-ups: per manager, team, checklist and 15-minute UTC slot, summed in PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import call_writes
from app.db.call_writes import RollupDelta
from app.db.models import ManagerRollup, ViolationRollupDay
from app.services import ingest, records
from app.services.schemas import CallIn


def _ingest(session: Session, make_call: Any, **overrides: Any) -> dict[str, Any]:
    done = ingest.ingest_call(session, CallIn.model_validate(make_call(**overrides)))
    return done.score


def _rows(session: Session, manager_id: str, version: str = "") -> list[ManagerRollup]:
    """The manager's slot rows of one series ('': each call's latest score)."""
    stmt = (
        select(ManagerRollup)
        .where(ManagerRollup.manager_id == manager_id, ManagerRollup.checklist_version == version)
        .order_by(ManagerRollup.slot_start)
    )
    return list(session.scalars(stmt))


def test_a_slot_is_the_quarter_hour_in_utc_that_holds_the_start() -> None:
    moment = datetime(2026, 3, 2, 23, 44, 59, tzinfo=timezone(timedelta(hours=3)))
    assert records.slot_start(moment) == datetime(2026, 3, 2, 20, 30, tzinfo=UTC)


def test_a_slot_is_exact_for_offsets_of_whole_quarter_hours() -> None:
    nepal = timezone(timedelta(hours=5, minutes=45))
    moment = datetime(2026, 1, 1, 0, 0, tzinfo=nepal)
    assert records.slot_start(moment).astimezone(nepal) == moment


def test_two_calls_in_one_slot_add_up_in_one_row(session: Session, make_call: Any) -> None:
    a = _ingest(session, make_call, manager_id="m-sum", started_at="2026-03-02T10:01:00+00:00")
    b = _ingest(
        session,
        make_call,
        manager_id="m-sum",
        started_at="2026-03-02T13:14:00+03:00",
        transcript="Менеджер: Какой у вас бюджет?\nКлиент: Пять миллионов.",
    )

    [row] = _rows(session, "m-sum")
    assert row.calls == 2
    assert row.slot_start == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert row.team_id == "t-north"
    assert row.total_sum == a["total"] + b["total"]
    counts = {k: a["question_counts"][k] + b["question_counts"][k] for k in a["question_counts"]}
    assert row.question_counts == counts
    assert row.questions == sum(counts.values())
    assert row.violations == len(a["violations"]) + len(b["violations"])
    passed = {
        i["key"]: int(i["passed"]) + int(j["passed"])
        for i, j in zip(a["items"], b["items"], strict=True)
    }
    assert row.item_passed == passed


def test_calls_without_a_team_share_the_empty_team_key(session: Session, make_call: Any) -> None:
    _ingest(session, make_call, manager_id="m-solo", team_id=None)
    _ingest(session, make_call, manager_id="m-solo", team_id=None)

    [row] = _rows(session, "m-solo")
    assert (row.team_id, row.calls) == ("", 2)


def test_calls_in_different_slots_get_different_rows(session: Session, make_call: Any) -> None:
    _ingest(session, make_call, manager_id="m-slots", started_at="2026-03-02T10:14:59+00:00")
    _ingest(session, make_call, manager_id="m-slots", started_at="2026-03-02T10:15:00+00:00")

    assert [r.slot_start.minute for r in _rows(session, "m-slots")] == [0, 15]


def test_deltas_of_one_write_that_share_a_slot_are_summed_key_by_key(session: Session) -> None:
    slot = datetime(2026, 1, 1, tzinfo=UTC)
    base = {"manager_id": "m-merge", "team_id": "", "checklist_key": "c", "slot_start": slot}
    call_writes.add_to_rollups(
        session,
        [
            RollupDelta(**base, total=10.0, question_counts={"x": 1, "other": 2}, violations=1,
                        item_passed={"a": 1, "b": 0}, phrases={"p": 1}),
            RollupDelta(**base, total=12.5, question_counts={"y": 1, "other": 2}, violations=2,
                        item_passed={"a": 1, "c": 1}, phrases={"p": 2}),
        ],
    )  # fmt: skip

    [row] = _rows(session, "m-merge")
    assert (row.calls, row.total_sum, row.questions, row.violations) == (2, 22.5, 6, 3)
    assert row.question_counts == {"x": 1, "y": 1, "other": 4}
    assert row.item_passed == {"a": 2, "b": 0, "c": 1}
    said = select(ViolationRollupDay.said).where(ViolationRollupDay.manager_id == "m-merge")
    assert session.scalars(said).all() == [3]


def test_a_new_score_replaces_the_old_one_in_the_latest_series_and_adds_its_versions(
    session: Session,
) -> None:
    slot = datetime(2026, 1, 1, tzinfo=UTC)
    base = {"manager_id": "m-series", "team_id": "", "checklist_key": "c", "slot_start": slot}
    old = RollupDelta(
        **base,
        checklist_version="v1",
        total=50.0,
        question_counts={"x": 2},
        violations=1,
        item_passed={"a": 1},
        phrases={"p": 1},
    )
    new = RollupDelta(**base, checklist_version="v2", total=70.0, question_counts={"x": 3},
                      violations=0, item_passed={"a": 0}, phrases={})  # fmt: skip

    call_writes.add_to_rollups(session, call_writes.series_deltas(old))  # ingested under v1
    call_writes.add_to_rollups(session, call_writes.series_deltas(new, old))  # rescored under v2

    shown = {
        v: [(r.calls, r.total_sum, r.questions, r.violations, r.item_passed, r.versions)
            for r in _rows(session, "m-series", v)]
        for v in ("", "v1", "v2")
    }  # fmt: skip
    assert shown == {
        "": [(1, 70.0, 3, 0, {"a": 0}, {"v1": 0, "v2": 1})],
        "v1": [(1, 50.0, 2, 1, {"a": 1}, {"v1": 1})],
        "v2": [(1, 70.0, 3, 0, {"a": 0}, {"v2": 1})],
    }
    said = select(ViolationRollupDay.checklist_version, ViolationRollupDay.said).where(
        ViolationRollupDay.manager_id == "m-series"
    )
    assert sorted(session.execute(said).all()) == [("", 0), ("v1", 1)]
