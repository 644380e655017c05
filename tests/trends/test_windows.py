"""How `from`, `to` and `tz` become a window of whole quarter hours (pure: no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app import i18n
from app.services.errors import InvalidInput
from app.services.periods import window, zone_of

MOSCOW = ZoneInfo("Europe/Moscow")


def test_dates_are_whole_local_days_with_both_ends_included() -> None:
    win = window("2026-03-01", "2026-03-31", MOSCOW)

    assert win.start == datetime(2026, 2, 28, 21, 0, tzinfo=UTC)
    assert win.end == datetime(2026, 3, 31, 21, 0, tzinfo=UTC)
    assert win.local(win.start).isoformat() == "2026-03-01T00:00:00+03:00"


def test_without_bounds_the_window_is_the_90_days_up_to_today() -> None:
    win = window(None, None, MOSCOW, today=date(2026, 3, 31))

    assert win.local(win.end).isoformat() == "2026-04-01T00:00:00+03:00"
    assert win.local(win.start).isoformat() == "2026-01-01T00:00:00+03:00"
    assert (win.end - win.start).days == 90


def test_only_a_to_gives_the_90_days_before_it() -> None:
    win = window(None, "2026-03-31", ZoneInfo("UTC"))

    assert (win.start, win.end) == (
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 4, 1, tzinfo=UTC),
    )


def test_naive_datetimes_are_read_in_the_zone_and_aware_ones_kept() -> None:
    naive = window("2026-03-02T10:00:00", "2026-03-02T12:00:00", MOSCOW)
    aware = window("2026-03-02T10:00:00+05:30", "2026-03-02T12:00:00Z", MOSCOW)

    assert naive.start == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert aware.start == datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
    assert aware.end == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_a_plus_sign_lost_in_a_query_string_is_read_back() -> None:
    win = window("2026-03-02T10:00:00 03:00", "2026-03-03", MOSCOW)

    assert win.start == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def test_datetime_bounds_widen_to_whole_quarter_hours() -> None:
    win = window("2026-03-02T10:05:00Z", "2026-03-02T10:20:00Z", MOSCOW)

    assert (win.start, win.end) == (
        datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
    )


def test_split_clamps_the_cut_into_the_window() -> None:
    win = window("2026-03-01", "2026-03-31", ZoneInfo("UTC"))

    before, after = win.split(datetime(2026, 1, 1, tzinfo=UTC))

    assert before.start == before.end == win.start
    assert (after.start, after.end) == (win.start, win.end)


@pytest.mark.parametrize(
    ("start", "end", "parameter"),
    [
        ("2026-13-01", None, "from"),
        ("2026-03-05", "2026-03-01", "to"),
        ("2999-06-01", None, "from"),
        ("1800-01-01", "2026-01-01", "from"),
        (None, "tomorrow", "to"),
    ],
)
def test_bad_bounds_name_their_parameter(
    start: str | None, end: str | None, parameter: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        window(start, end, MOSCOW, today=date(2026, 3, 31))

    assert [e["parameter"] for e in raised.value.errors] == [parameter]


def test_an_unknown_zone_names_tz_and_none_falls_back_to_the_default() -> None:
    assert zone_of(None, "Asia/Kolkata").key == "Asia/Kolkata"
    with pytest.raises(InvalidInput) as raised, i18n.using("en"):
        zone_of("Europe/Atlantis", "UTC")
    assert raised.value.errors == [
        {
            "parameter": "tz",
            "reason": "unknown time zone 'Europe/Atlantis'; use an IANA name such as Europe/Moscow",
        }
    ]


def test_a_window_of_dates_is_whole_local_days_and_one_cut_inside_a_day_is_not() -> None:
    assert window("2026-03-01", "2026-03-31", MOSCOW).whole_days() == (
        date(2026, 3, 1),
        date(2026, 4, 1),
    )
    assert window("2026-03-01T10:00", "2026-03-31", MOSCOW).whole_days() is None
    assert window("2026-03-01", "2026-03-31T23:00", MOSCOW).whole_days() is None


def test_a_day_whose_midnight_was_skipped_starts_at_its_first_instant() -> None:
    # Sao Paulo moved its clocks from 00:00 to 01:00 on 4 November 2018.
    win = window("2018-11-04", "2018-11-04", ZoneInfo("America/Sao_Paulo"))

    assert win.local(win.start).isoformat() == "2018-11-04T01:00:00-02:00"
    assert win.whole_days() == (date(2018, 11, 4), date(2018, 11, 5))
