"""Time windows of trend queries: `from`/`to` and the zone their dates and buckets are read in.

Dates are whole local days (both ends inclusive) in the bucket zone; datetimes are instants
(naive ones read in that zone), `to` exclusive. The roll-ups resolve time to 15-minute UTC
slots, so a window is widened to whole slots: every figure (roll-up sums and call-level
details alike) then covers exactly the same calls. A window of whole local days (`whole_days`)
in the zone of the day roll-ups may read those instead, covering the same calls again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.i18n import NP_, _, ngettext
from app.services.errors import InvalidInput
from app.services.records import ROLLUP_SLOT, slot_start
from app.settings import iana_zone

DEFAULT_DAYS = 90
"""Without `from`, a window covers the last 90 days (today included)."""

_TICK = timedelta(microseconds=1)
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2999, 12, 31, tzinfo=UTC)
# A "+" in a query string arrives as a space unless the client encoded it as %2B.
_SPACE_OFFSET = re.compile(r"^(\S+T\S+) (\d{2}(?::?\d{2})?)$")


def invalid(parameter: str, reason: str) -> InvalidInput:
    """The 422 naming a query parameter."""
    return InvalidInput(
        _("invalid %(parameter)r: %(reason)s", parameter=parameter, reason=reason),
        errors=[{"parameter": parameter, "reason": reason}],
    )


@dataclass(frozen=True, slots=True)
class Window:
    """[start, end) in UTC on slot boundaries, and the zone that buckets and dates follow."""

    start: datetime
    end: datetime
    zone: ZoneInfo

    @property
    def tz(self) -> str:
        """The IANA name of the zone."""
        return self.zone.key

    @property
    def last(self) -> datetime:
        """The last instant inside the window (for the last bucket's start)."""
        return self.end - _TICK

    def local(self, moment: datetime) -> datetime:
        """An instant shown in the window's zone."""
        return moment.astimezone(self.zone)

    def whole_days(self) -> tuple[date, date] | None:
        """The window as local dates [first, end) when both ends are the first instant of a
        local day (as windows given by dates are); None when an end falls inside a day."""
        first, end = (_day_starting_at(m, self.zone) for m in (self.start, self.end))
        return None if first is None or end is None else (first, end)

    def bucket_count(self, bucket: str) -> int:
        """How many local days, weeks or months the window touches (a series' length)."""
        first, last = self.local(self.start).date(), self.local(self.last).date()
        if bucket == "month":
            return (last.year - first.year) * 12 + last.month - first.month + 1
        if bucket == "week":  # weeks start on Monday, as the series' buckets do
            first -= timedelta(days=first.weekday())
            last -= timedelta(days=last.weekday())
            return (last - first).days // 7 + 1
        return (last - first).days + 1

    def split(self, at: datetime) -> tuple[Window, Window]:
        """The parts before and from `at` (clamped into the window)."""
        cut = min(max(at, self.start), self.end)
        return Window(self.start, cut, self.zone), Window(cut, self.end, self.zone)


def _day_starting_at(moment: datetime, zone: ZoneInfo) -> date | None:
    """The local date that begins at `moment`, if one does (an instant earlier is another
    date): true of midnight, and of whatever instant a zone's day starts at after a skip."""
    day = moment.astimezone(zone).date()
    return day if (moment - _TICK).astimezone(zone).date() < day else None


def zone_of(tz: str | None, default: str) -> ZoneInfo:
    """The zone named by `tz`, else the configured default; 422 naming `tz` if unknown."""
    name = tz if tz else default
    zone = iana_zone(name)
    if zone is None:
        reason = _("unknown time zone %(tz)r; use an IANA name such as Europe/Moscow", tz=name)
        raise invalid("tz", reason)
    return zone


def parse_moment(
    value: str | date | datetime | None, zone: ZoneInfo, *, parameter: str, end: bool
) -> datetime | None:
    """A bound as an aware instant: a date is its local midnight (the next one for an end)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = _parse(value.strip(), parameter)
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    else:
        day = value + timedelta(days=1) if end else value
        moment = datetime.combine(day, time(), tzinfo=zone)
    if not _EARLIEST <= moment <= _LATEST:
        raise invalid(parameter, _("must lie between the years 1900 and 2999"))
    return moment


def _parse(text: str, parameter: str) -> date | datetime:
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    repaired = _SPACE_OFFSET.sub(r"\1+\2", text)
    try:
        return datetime.fromisoformat(repaired)
    except ValueError:
        raise invalid(
            parameter,
            _("%(text)r is neither a date (2026-03-14) nor an ISO 8601 datetime", text=text),
        ) from None


def _ceil_slot(moment: datetime) -> datetime:
    floor = slot_start(moment)
    return floor if floor == moment else floor + ROLLUP_SLOT


def window(
    start: str | date | datetime | None,
    end: str | date | datetime | None,
    zone: ZoneInfo,
    *,
    today: date | None = None,
) -> Window:
    """Resolve `from`/`to`; defaults: to = today, from = 90 days before `to`."""
    lo = parse_moment(start, zone, parameter="from", end=False)
    hi = parse_moment(end, zone, parameter="to", end=True)
    if hi is None:
        day = today or datetime.now(zone).date()
        hi = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        if lo is not None and lo >= hi:
            raise invalid("from", _("lies in the future; give `to` as well"))
    if lo is None:
        lo = hi - timedelta(days=DEFAULT_DAYS)
    if lo >= hi:
        raise invalid("to", _("must be later than `from`"))
    return Window(slot_start(lo.astimezone(UTC)), _ceil_slot(hi.astimezone(UTC)), zone)


# A window's length in its buckets, as the refusal names it ("70 days").
_SPANS = {
    "day": NP_("%(n)s day", "%(n)s days"),
    "week": NP_("%(n)s week", "%(n)s weeks"),
    "month": NP_("%(n)s month", "%(n)s months"),
}


def check_buckets(win: Window, bucket: str, limit: int) -> None:
    """Refuse a window of more than `limit` buckets: its series, and the work and memory of
    building it, grow with the bucket count (a day series of 1900-2999 was 88 MB)."""
    count = win.bucket_count(bucket)
    if count > limit:
        raise invalid(
            "from",
            _(
                "the window spans %(span)s, more than the %(limit)s allowed "
                "(CALLQA_MAX_BUCKETS): move `from` later or use a larger bucket",
                span=ngettext(*_SPANS.get(bucket, _SPANS["day"]), count),
                limit=limit,
            ),
        )


def moment_param(value: str | date | datetime, zone: ZoneInfo, parameter: str) -> datetime:
    """A single instant such as `compare_before` (a date means its local midnight)."""
    moment = parse_moment(value, zone, parameter=parameter, end=False)
    if moment is None:
        raise invalid(parameter, _("is empty"))
    return slot_start(moment.astimezone(UTC))


def next_bucket(start: datetime, bucket: str) -> datetime:
    """The local start of the bucket after the one starting at `start` (wall-clock)."""
    if bucket == "month":
        return (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    return start + timedelta(days=7 if bucket == "week" else 1)


def bucket_starts(win: Window, bucket: str) -> list[datetime]:
    """The local starts of the buckets a window touches, as a series' `period_start`s (weeks
    start on Monday)."""
    first = win.local(win.start).date()
    if bucket == "month":
        first = first.replace(day=1)
    elif bucket == "week":
        first -= timedelta(days=first.weekday())
    start = datetime.combine(first, time(), tzinfo=win.zone)
    last = win.local(win.last)
    starts = []
    while start <= last:
        starts.append(start)
        start = next_bucket(start, bucket)
    return starts
