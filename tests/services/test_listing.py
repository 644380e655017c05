"""Reading calls: one in full, or pages newest first behind an opaque keyset cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from app.services import calls, ingest
from app.services.errors import InvalidInput, NotFound
from app.services.schemas import CallIn

UTC_ZONE = ZoneInfo("UTC")


def _seed(session: Session, make_call: Any, manager_id: str, n: int) -> list[int]:
    ids = []
    for day in range(1, n + 1):
        body = make_call(manager_id=manager_id, started_at=f"2026-04-{day:02d}T09:00:00+03:00")
        ids.append(ingest.ingest_call(session, CallIn.model_validate(body)).id)
    return ids


def test_pages_walk_every_call_newest_first_without_repeats(
    session: Session, make_call: Any
) -> None:
    ids = _seed(session, make_call, "m-pages", 5)

    seen: list[int] = []
    cursor = None
    while True:
        page = calls.list_calls(
            session, zone=UTC_ZONE, manager_id="m-pages", limit=2, cursor=cursor
        )
        seen += [c["id"] for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(reversed(ids))


def test_from_is_inclusive_and_to_exclusive(session: Session, make_call: Any) -> None:
    ids = _seed(session, make_call, "m-range", 4)

    page = calls.list_calls(
        session,
        zone=UTC_ZONE,
        manager_id="m-range",
        started_from=datetime.fromisoformat("2026-04-02T09:00:00+03:00"),
        started_to=datetime.fromisoformat("2026-04-04T09:00:00+03:00"),
    )
    assert [c["id"] for c in page.items] == [ids[2], ids[1]]


def test_naive_times_in_filters_are_read_in_the_configured_zone(
    session: Session, make_call: Any
) -> None:
    ids = _seed(session, make_call, "m-zone", 2)

    moscow = calls.list_calls(
        session,
        zone=ZoneInfo("Europe/Moscow"),
        manager_id="m-zone",
        started_from=datetime(2026, 4, 2, 9, 0),
    )
    assert [c["id"] for c in moscow.items] == [ids[1]]


def test_a_listed_call_echoes_the_offset_it_was_given(session: Session, make_call: Any) -> None:
    _seed(session, make_call, "m-offset", 1)
    [item] = calls.list_calls(session, zone=UTC_ZONE, manager_id="m-offset").items
    assert item["started_at"].isoformat() == "2026-04-01T09:00:00+03:00"


def test_a_cursor_not_made_by_the_api_is_invalid_input(session: Session) -> None:
    with pytest.raises(InvalidInput):
        calls.list_calls(session, zone=UTC_ZONE, cursor="not-a-cursor")


def test_an_unknown_call_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        calls.get_call(session, 2**62)
