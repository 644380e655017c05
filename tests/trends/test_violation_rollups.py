"""Top violations from the phrase hits per local day and month: kept on ingest beside the calls,
rebuilt when the configured zone changes, and read for windows of whole days of that zone. Every
answer equals the one counted from the calls themselves.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db import calls as call_queries
from app.db.models import Call, CallViolation, ViolationRollupDay, ViolationRollupMonth
from app.db.scope import month_periods
from app.db.session import SessionScope
from app.services import ingest, phrases, reports
from app.services.schemas import CallIn
from tests.trends.conftest import Ingest, realty_call

SAO_PAULO = "America/Sao_Paulo"  # UTC-3 all year: 23:30 there is 02:30 UTC the next day
KOLKATA = "Asia/Kolkata"  # UTC+5:30: 00:15 there is 18:45 UTC the day before
EXTRA = {
    "must": "Менеджер: Вы должны сами уточнить это в банке.\nКлиент: Хорошо.",
    "later": "Менеджер: Перезвоните позже, пожалуйста.\nКлиент: Ладно.",
}


def _text(forbidden: int, *extra: str) -> str:
    """A call with `forbidden` hits of "я не знаю" / "подождите" in turn, plus extra phrases."""
    return "\n".join([realty_call(12, forbidden=forbidden), *(EXTRA[e] for e in extra)])


# (manager, team, local start in Sao Paulo, forbidden hits, extra phrases): two teams and a
# manager without one, over January to March, several calls near local midnight (another day
# in UTC, and in Kolkata), one on the last evening of February (March in UTC), and the newest
# call of m-a saying one phrase four times and another three.
CALLS = (
    ("mv-a", "tv-north", "2026-01-05T10:00", 2, ()),
    ("mv-a", "tv-north", "2026-01-31T23:30", 1, ("must",)),
    ("mv-a", "tv-north", "2026-02-10T09:15", 3, ()),
    ("mv-a", "tv-north", "2026-02-28T23:30", 2, ("later",)),
    ("mv-a", "tv-north", "2026-03-09T12:00", 7, ()),
    ("mv-b", "tv-north", "2026-01-20T00:10", 1, ("later", "must")),
    ("mv-b", "tv-north", "2026-02-01T00:05", 2, ()),
    ("mv-b", "tv-north", "2026-02-14T18:00", 0, ("must",)),
    ("mv-b", "tv-north", "2026-03-01T08:00", 1, ()),
    ("mv-c", "tv-north", "2026-02-03T11:40", 2, ("later",)),
    ("mv-c", "tv-north", "2026-02-03T15:00", 2, ("later",)),
    ("mv-d", "tv-south", "2026-01-12T14:00", 4, ("must",)),
    ("mv-d", "tv-south", "2026-02-27T23:45", 1, ()),
    ("mv-d", "tv-south", "2026-03-02T02:30", 2, ("later",)),
    ("mv-e", None, "2026-02-15T13:00", 3, ("must", "later")),
)
# Whole days across months (month rows and edge days), whole months only, days inside one
# month, one day, and windows cut inside a day (read from the calls whatever the zone).
WINDOWS = (
    ("2026-01-20", "2026-03-05"),
    ("2026-01-01", "2026-03-31"),
    ("2026-02-01", "2026-02-28"),
    ("2026-02-02", "2026-02-27"),
    ("2026-02-28", "2026-02-28"),
    ("2026-01-31", "2026-02-01"),
    ("2026-02-03T12:00", "2026-03-01"),
    ("2026-01-01", "2026-02-28T23:00"),
)
SCOPES: tuple[dict[str, Any], ...] = (
    {"team_id": "tv-north"},
    {"team_id": "tv-south"},
    {"manager_id": "mv-a"},
    {"manager_id": "mv-e"},
    {"manager_id": "mv-b", "team_id": "tv-north"},
    {},
)


@pytest.fixture
def calls(store: Ingest) -> list[dict[str, Any]]:
    """The calls of CALLS, stored through ingest; what the engine said of each."""
    return [
        store(_text(hits, *extra), started_at=f"{start}-03:00", manager_id=m, team_id=team)
        for m, team, start, hits, extra in CALLS
    ]


def _answers(session: Session, tz: str, **params: Any) -> list[dict[str, Any]]:
    """Top violations of every scope and window in `tz`."""
    return [
        phrases.top_violations(session, start=a, end=b, tz=tz, **scope, **params)
        for scope in SCOPES
        for a, b in WINDOWS
    ]


@pytest.mark.parametrize("zone", [SAO_PAULO, KOLKATA])
def test_top_violations_in_the_configured_zone_equal_the_answer_counted_from_the_calls(
    session: Session, calls: list[dict[str, Any]], zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two managers a phrase, so the cut and its ties (most said, then manager id) are tested.
    monkeypatch.setattr(phrases, "MANAGERS_PER_PHRASE", 2)
    call_queries.set_day_zone(session, zone)
    from_rollups = _answers(session, zone) + _answers(session, zone, limit=1)

    call_queries.set_day_zone(session, "UTC")  # the same queries now join the calls
    from_calls = _answers(session, zone) + _answers(session, zone, limit=1)

    assert from_rollups == from_calls
    assert sum(len(a["phrases"]) for a in from_rollups) > 50  # not a comparison of nothing


def test_the_counts_are_the_hits_the_engine_found(
    session: Session, calls: list[dict[str, Any]]
) -> None:
    call_queries.set_day_zone(session, SAO_PAULO)
    north = [c for c, spec in zip(calls, CALLS, strict=True) if spec[1] == "tv-north"]
    said = Counter(v["phrase"] for c in north for v in c["score"]["violations"])

    body = phrases.top_violations(
        session, team_id="tv-north", start="2026-01-01", end="2026-03-31", tz=SAO_PAULO
    )

    assert {p["phrase"]: p["count"] for p in body["phrases"]} == said
    assert [p["count"] for p in body["phrases"]] == sorted(said.values(), reverse=True)
    top = body["phrases"][0]
    assert top["phrase"] == "я не знаю"
    assert top["replacement"] == "Я уточню и вернусь к вам с ответом"
    assert top["manager_count"] == 3


def test_in_the_configured_zone_whole_days_are_counted_from_the_rollups(
    session: Session, calls: list[dict[str, Any]]
) -> None:
    call_queries.set_day_zone(session, SAO_PAULO)
    # Ten more in every roll-up row: only an answer read from them can show it.
    for table in (ViolationRollupDay, ViolationRollupMonth):
        session.execute(update(table).values(said=table.said + 10))

    def count(start: str, end: str, tz: str = SAO_PAULO) -> int:
        body = phrases.top_violations(session, manager_id="mv-e", start=start, end=end, tz=tz)
        return sum(p["count"] for p in body["phrases"])

    # m-e's one call said three hits of two phrases and one each of two others: four rows.
    assert count("2026-02-15", "2026-02-15") == 5 + 4 * 10  # a day row per phrase
    assert count("2026-02-01", "2026-02-28") == 5 + 4 * 10  # a month row per phrase
    assert count("2026-02-15T00:00", "2026-02-15T23:45") == 5  # cut inside a day: the calls
    assert count("2026-02-15", "2026-02-15", tz=KOLKATA) == 5  # another zone: the calls


def _report(session: Session) -> dict[str, Any]:
    body = reports.manager_report(
        session, "mv-a", start="2026-01-01", end="2026-03-31", tz=SAO_PAULO
    )
    del body["generated_at"]
    return body


def test_report_examples_are_the_same_from_the_rollups_and_from_the_calls(
    session: Session, calls: list[dict[str, Any]]
) -> None:
    call_queries.set_day_zone(session, SAO_PAULO)
    from_rollups = _report(session)
    call_queries.set_day_zone(session, "UTC")
    from_calls = _report(session)

    assert from_rollups == from_calls
    # The newest call said "я не знаю" four times and "подождите" three: examples are taken from
    # the newest four hits, so that call alone for the one, and the one before too for the other.
    [top] = [p for p in from_rollups["top_phrases"] if p["phrase"] == "я не знаю"]
    assert [e["call_id"] for e in top["examples"]] == [calls[4]["id"]]
    [other] = [p for p in from_rollups["top_phrases"] if p["phrase"] == "подождите"]
    assert [e["call_id"] for e in other["examples"]] == [calls[4]["id"], calls[3]["id"]]


Filed = list[tuple[date, str, int]]


def _filed(session: Session, manager_id: str) -> tuple[Filed, Filed]:
    """(day, phrase, said) of the manager's day rows and (month, phrase, said) of the months."""
    out = []
    for table, period in ((ViolationRollupDay, "day"), (ViolationRollupMonth, "month")):
        column = getattr(table, period)
        stmt = (
            select(column, table.phrase, table.said)
            .where(table.manager_id == manager_id, table.checklist_version == "")
            .order_by(column, table.phrase)
        )
        out.append([(r[0], r[1], r[2]) for r in session.execute(stmt)])
    return out[0], out[1]


def test_a_call_at_23_30_local_time_is_counted_on_its_local_day_and_month(
    session: Session, store: Ingest
) -> None:
    call_queries.set_day_zone(session, SAO_PAULO)

    # Saturday 28 February, 23:30 in Sao Paulo: Sunday 1 March, 02:30 in UTC.
    store(_text(1), started_at="2026-02-28T23:30:00-03:00", manager_id="mv-late")

    assert _filed(session, "mv-late") == (
        [(date(2026, 2, 28), "я не знаю", 1)],
        [(date(2026, 2, 1), "я не знаю", 1)],
    )

    def count(day: str) -> int:
        body = phrases.top_violations(
            session, manager_id="mv-late", start=day, end=day, tz=SAO_PAULO
        )
        return sum(p["count"] for p in body["phrases"])

    assert (count("2026-02-28"), count("2026-03-01")) == (1, 0)


def test_changing_the_zone_refiles_the_hits_under_the_new_local_days_and_months(
    session: Session, store: Ingest
) -> None:
    call_queries.set_day_zone(session, "UTC")
    store(_text(1), started_at="2026-02-28T23:30:00-03:00", manager_id="mv-move")
    store(_text(2), started_at="2026-03-01T10:00:00-03:00", manager_id="mv-move")
    march = [(date(2026, 3, 1), "подождите", 1), (date(2026, 3, 1), "я не знаю", 2)]
    assert _filed(session, "mv-move") == (march, march)

    call_queries.set_day_zone(session, SAO_PAULO)

    assert _filed(session, "mv-move") == (
        [
            (date(2026, 2, 28), "я не знаю", 1),
            (date(2026, 3, 1), "подождите", 1),
            (date(2026, 3, 1), "я не знаю", 1),
        ],
        [
            (date(2026, 2, 1), "я не знаю", 1),
            (date(2026, 3, 1), "подождите", 1),
            (date(2026, 3, 1), "я не знаю", 1),
        ],
    )


def _hits_by_phrase(session: Session, manager_id: str) -> dict[str, int]:
    stmt = (
        select(CallViolation.phrase, func.count())
        .join(Call, Call.id == CallViolation.call_id)
        .where(Call.manager_id == manager_id)
        .group_by(CallViolation.phrase)
    )
    return {phrase: n for phrase, n in session.execute(stmt)}


def _said(session: Session, table: Any, manager_id: str) -> dict[str, int]:
    stmt = (
        select(table.phrase, func.sum(table.said))
        .where(table.manager_id == manager_id, table.checklist_version == "")
        .group_by(table.phrase)
    )
    return {phrase: int(n) for phrase, n in session.execute(stmt)}


def test_a_batch_with_a_repeat_and_a_refused_item_counts_each_stored_hit_once(
    session: Session,
    session_scope: SessionScope,
) -> None:
    def call(n: int, hits: int, **extra: Any) -> CallIn:
        body = {
            "external_id": f"vbatch-{n}",
            "manager_id": "m-vbatch",
            "started_at": f"2026-02-10T{9 + n:02d}:00:00+00:00",
            "transcript": _text(hits, "must"),
        }
        return CallIn.model_validate(body | extra)

    first, second = call(0, 3), call(1, 2)
    # NUL in text: past validation, refused by the database.
    refused = call(2, 4).model_copy(update={"manager_name": "Анна\x00"})
    batch = [first, refused, call(0, 3), second, call(1, 5)]  # a repeat, a clash

    outcomes = ingest.ingest_many(session_scope, batch)
    again = ingest.ingest_many(session_scope, [first, second])  # the client retries the batch

    assert [o.status for o in outcomes] == [201, 422, 200, 201, 409]
    assert [o.status for o in again] == [200, 200]
    expected = {"я не знаю": 3, "подождите": 2, "вы должны": 2}
    assert _hits_by_phrase(session, "m-vbatch") == expected
    assert _said(session, ViolationRollupDay, "m-vbatch") == expected
    assert _said(session, ViolationRollupMonth, "m-vbatch") == expected


def _dates(first: date, end: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((end - first).days)]


def _counted_dates(plan: dict[str, Any]) -> Counter[date]:
    """How many times each date is counted by a plan of `month_periods`."""
    counted: Counter[date] = Counter()
    for month in _dates(plan["month_start"], plan["month_end"]):
        counted[month] += 1
    for edge in ("head", "tail"):
        for day in _dates(plan[f"{edge}_start"], plan[f"{edge}_end"]):
            counted[day] += plan[f"{edge}_sign"]
    return +counted  # the dates counted once or more


@pytest.mark.parametrize(
    ("first", "end", "months", "head", "tail"),
    [
        # Whole months only; a part month at each end, read as its days inside the window.
        (date(2026, 1, 1), date(2026, 4, 1), ("2026-01-01", "2026-04-01"), (), ()),
        (date(2026, 1, 20), date(2026, 3, 6), ("2026-02-01", "2026-03-01"), (12, 1), (5, 1)),
        # 2 December and 29 June: December and June less 1 December and 30 June.
        (date(2025, 12, 2), date(2026, 6, 30), ("2025-12-01", "2026-07-01"), (1, -1), (1, -1)),
        # Within one month: the month less the few days outside, or a few days alone.
        (date(2026, 2, 2), date(2026, 2, 27), ("2026-02-01", "2026-03-01"), (1, -1), (2, -1)),
        (date(2026, 2, 2), date(2026, 3, 1), ("2026-02-01", "2026-03-01"), (1, -1), ()),
        (date(2026, 2, 10), date(2026, 2, 15), ("2026-02-15", "2026-02-15"), (5, 1), ()),
        (date(2026, 1, 31), date(2026, 2, 2), ("2026-02-02", "2026-02-02"), (2, 1), ()),
    ],
)
def test_a_window_of_days_is_read_as_months_and_the_fewest_days_at_its_edges(
    first: date, end: date, months: tuple[str, str], head: tuple[int, int], tail: tuple[int, int]
) -> None:
    plan = month_periods((first, end))

    assert (str(plan["month_start"]), str(plan["month_end"])) == months
    for edge, (days, sign) in (("head", head or (0, 1)), ("tail", tail or (0, 1))):
        assert (plan[f"{edge}_end"] - plan[f"{edge}_start"]).days == days, edge
        if days:
            assert plan[f"{edge}_sign"] == sign, edge
    assert _counted_dates(plan) == Counter(_dates(first, end))


def test_every_window_of_a_year_adds_up_to_its_own_days() -> None:
    for first in _dates(date(2025, 12, 1), date(2026, 3, 3)):
        for length in (1, 2, 15, 16, 27, 28, 29, 30, 31, 45, 59, 60, 61, 200, 365):
            end = first + timedelta(days=length)
            assert _counted_dates(month_periods((first, end))) == Counter(_dates(first, end))
