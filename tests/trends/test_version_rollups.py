"""Which checklist versions an answer counts (`versions` of the latest series), for windows of
whole days of the configured zone, from the versions per local day and month kept on ingest:
right through rescoring, corrections and erasure, equal to the versions counted from the
15-minute slots, and the same rows a zone change rebuilds.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import calls as call_queries
from app.db import trends as trends_db
from app.db.models import VersionRollupDay, VersionRollupMonth
from app.engine.corrections import Correction
from app.services import corrections, erasure, phrases
from app.services.corrections import NewCorrection
from app.services.rescoring import rescore_calls
from app.services.trends import resolve_window, rollup_scope
from tests.trends.conftest import Ingest, push_realty_version, realty_call

SAO_PAULO = "America/Sao_Paulo"  # UTC-3 all year: 23:30 there is 02:30 UTC the next day
CHANGED = """
key: realty_phone
title: Телефонный звонок по недвижимости (без «подождите»)
extends: realty_phone
drop:
  forbidden: [подождите]
"""
# (manager, team, local start in Sao Paulo, forbidden hits): the third and fourth are
# rescored; the last one is erased.
CALLS = (
    ("mr-a", "tr-north", "2026-01-05T10:00", 2),
    ("mr-a", "tr-north", "2026-01-31T23:30", 1),
    ("mr-a", "tr-north", "2026-02-10T09:15", 2),
    ("mr-b", "tr-north", "2026-02-20T12:00", 1),
    ("mr-b", "tr-south", "2026-03-02T08:00", 2),
    ("mr-c", None, "2026-03-09T12:00", 1),
)
RESCORED = (2, 3)
# Whole months with edge days, whole months only, days inside one month, single days.
WINDOWS = (
    ("2026-01-20", "2026-03-05"),
    ("2026-01-01", "2026-03-31"),
    ("2026-02-01", "2026-02-28"),
    ("2026-02-11", "2026-02-25"),
    ("2026-01-31", "2026-01-31"),
    ("2026-03-09", "2026-03-09"),
)
SCOPES: tuple[dict[str, Any], ...] = (
    {},
    {"team_id": "tr-north"},
    {"team_id": "tr-south"},
    {"manager_id": "mr-a"},
    {"manager_id": "mr-c"},
)


def _answers(session: Session) -> dict[tuple[Any, ...], list[str]]:
    """`versions` of top violations of every scope and window in the configured zone."""
    return {
        (a, b, *scope.items()): phrases.top_violations(
            session, start=a, end=b, tz=SAO_PAULO, limit=1, **scope
        )["versions"]
        for scope in SCOPES
        for a, b in WINDOWS
    }


def _from_slots(session: Session) -> dict[tuple[Any, ...], list[str]]:
    """The same windows' versions counted from the 15-minute slots instead of the days."""
    zone = trends_db.day_zone(session)
    out = {}
    for scope in SCOPES:
        for a, b in WINDOWS:
            whole = rollup_scope(resolve_window(a, b, SAO_PAULO, SAO_PAULO), zone, **scope)
            assert whole.days is not None  # the answers above read the days
            out[(a, b, *scope.items())] = trends_db.versions_used(
                session, replace(whole, days=None)
            )
    return out


def _rows(session: Session) -> set[tuple[Any, ...]]:
    """This spec's versions per day and month that count some call (other specs' committed
    rows in the shared database are not its own)."""
    managers = {m for m, *_ in CALLS}
    return {
        tuple(row)
        for table in (VersionRollupDay, VersionRollupMonth)
        for row in session.execute(
            select(table.__table__).where(table.calls != 0, table.manager_id.in_(managers))
        )
    }


@pytest.fixture
def calls(store: Ingest, session: Session) -> list[dict[str, Any]]:
    """The calls of CALLS, stored through ingest with the day roll-ups in Sao Paulo."""
    call_queries.set_day_zone(session, SAO_PAULO)
    return [
        store(realty_call(8, forbidden=hits), started_at=f"{at}-03:00", manager_id=m, team_id=t)
        for m, t, at, hits in CALLS
    ]


def test_the_versions_an_answer_counts_follow_rescoring_corrections_and_erasure(
    session: Session, client: TestClient, calls: list[dict[str, Any]]
) -> None:
    old = calls[0]["score"]["checklist"]["version"]
    ingested = _answers(session)
    assert ingested == _from_slots(session)
    assert ingested[("2026-01-01", "2026-03-31")] == [old]
    assert ingested[("2026-02-11", "2026-02-25", ("team_id", "tr-south"))] == []

    rules = push_realty_version(client, session, CHANGED)
    ids = [calls[i]["id"] for i in RESCORED]
    assert rescore_calls(session, ids, rules).scored == len(RESCORED)
    rescored = _answers(session)
    assert rescored == _from_slots(session)
    assert rescored[("2026-01-01", "2026-03-31")] == sorted([old, rules.version])
    assert rescored[("2026-02-11", "2026-02-25")] == [rules.version]
    assert rescored[("2026-01-20", "2026-03-05", ("manager_id", "mr-a"))] == sorted(
        [old, rules.version]
    )

    said = calls[0]["score"]["violations"][0]
    dismissed = Correction("violation", utterance=said["utterance"], phrase=said["phrase"])
    corrections.add(session, calls[0]["id"], [NewCorrection(replace(dismissed, valid=False))])
    assert _answers(session) == rescored  # a correction moves sums, not versions

    erasure.erase_call(session, calls[-1]["id"])
    erased = _answers(session)
    assert erased == _from_slots(session)
    assert erased[("2026-03-09", "2026-03-09")] == []
    assert erased[("2026-01-01", "2026-03-31", ("manager_id", "mr-c"))] == []
    assert erased[("2026-01-01", "2026-03-31", ("manager_id", "mr-a"))] == sorted(
        [old, rules.version]
    )

    kept = _rows(session)
    call_queries.set_day_zone(session, "UTC")
    call_queries.set_day_zone(session, SAO_PAULO)  # rebuilt from the day rows
    assert _rows(session) == kept
    assert len(kept) == 5 + 4  # five calls' days, four (manager, team) months: not nothing


def test_in_the_configured_zone_whole_days_read_the_versions_per_day_and_month(
    session: Session, calls: list[dict[str, Any]]
) -> None:
    # A version only these rows name: only an answer read from them can show it.
    for table in (VersionRollupDay, VersionRollupMonth):
        rows = session.execute(select(table.__table__).where(table.manager_id == "mr-c")).all()
        for row in rows:
            session.execute(table.__table__.insert().values(row._asdict() | {"version": "zz"}))
    old = calls[0]["score"]["checklist"]["version"]

    def versions(start: str, end: str, tz: str = SAO_PAULO) -> list[str]:
        return phrases.top_violations(session, manager_id="mr-c", start=start, end=end, tz=tz)[
            "versions"
        ]

    assert versions("2026-03-09", "2026-03-09") == [old, "zz"]  # a day row
    assert versions("2026-03-01", "2026-03-31") == [old, "zz"]  # a month row
    assert versions("2026-03-09T00:00", "2026-03-09T23:45") == [old]  # cut in a day: slots
    assert versions("2026-03-09", "2026-03-09", tz="UTC") == [old]  # another zone: slots
