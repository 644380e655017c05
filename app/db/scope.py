"""What a trend or report query covers, as reusable bound parameters.

A `Scope` is a UTC window [start, end) plus optional manager, team and checklist filters, and,
when the window is whole local days of the day roll-ups' zone, those days. Its `shape` (which
filters are set) is all a statement's text depends on besides the table read, so statements are
cached per shape and executed with `params_of(scope)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Table,
    bindparam,
    func,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text, TypeEngine

from app.db.models import (
    Call,
    CallQuestion,
    CallScore,
    CallViolation,
    DayRollupZone,
    ManagerRollup,
    ManagerRollupDay,
    VersionRollupDay,
    VersionRollupMonth,
    ViolationRollupDay,
    ViolationRollupMonth,
)
from app.tenancy import LOCAL, Tenant

Bucket = Literal["day", "week", "month"]
Shape = tuple[bool, bool, bool, bool]
"""Whether the manager, team and checklist filters are set, and whether the tenant is narrowed
to some teams (its organisation is always filtered on)."""

ROLLUP: Table = ManagerRollup.__table__  # type: ignore[assignment]
DAY_ROLLUP: Table = ManagerRollupDay.__table__  # type: ignore[assignment]
CALL: Table = Call.__table__  # type: ignore[assignment]
SCORE: Table = CallScore.__table__  # type: ignore[assignment]
VIOLATION: Table = CallViolation.__table__  # type: ignore[assignment]
QUESTION: Table = CallQuestion.__table__  # type: ignore[assignment]
VIOLATION_DAY: Table = ViolationRollupDay.__table__  # type: ignore[assignment]
VIOLATION_MONTH: Table = ViolationRollupMonth.__table__  # type: ignore[assignment]
VERSION_DAY: Table = VersionRollupDay.__table__  # type: ignore[assignment]
VERSION_MONTH: Table = VersionRollupMonth.__table__  # type: ignore[assignment]
DAY_ZONE: Table = DayRollupZone.__table__  # type: ignore[assignment]
_FILTERS = ("manager_id", "team_id", "checklist")
_SERIES = ("organisation_id", "checklist_version")
_ROLLUPS = {t.name for t in (ROLLUP, DAY_ROLLUP, VIOLATION_DAY, VIOLATION_MONTH)}


@dataclass(frozen=True, slots=True)
class Scope:
    """Which roll-up rows or calls a query covers: [start, end) in UTC, plus optional filters.

    `days` is the same window as local dates [first, end) of the day roll-ups' zone, set only
    when the window is exactly those whole days: roll-up queries then read the day rows.
    """

    start: datetime
    end: datetime
    manager_id: str | None = None
    team_id: str | None = None
    checklist: str | None = None
    days: tuple[date, date] | None = None
    tenant: Tenant = LOCAL
    version: str = ""
    """The roll-up series read: '' each call's latest score under its checklist, else only the
    scores under that checklist version."""

    @property
    def organisation_id(self) -> str:
        return self.tenant.organisation_id

    @property
    def shape(self) -> Shape:
        """Which filters are set: besides the table read, all a statement's text depends on."""
        return (
            self.manager_id is not None,
            self.team_id is not None,
            self.checklist is not None,
            self.tenant.teams is not None,
        )


def bind(name: str, type_: TypeEngine[Any]) -> BindParameter[Any]:
    """A named parameter whose value comes at execution (the same name may recur)."""
    return bindparam(name, type_=type_)


def where(table: Table, time_column: str, shape: Shape) -> list[ColumnElement[bool]]:
    """The scope's conditions on a table with manager_id, team_id and checklist_key."""
    moment = DateTime(timezone=True)
    clauses = [
        table.c[time_column] >= bind("start", moment),
        table.c[time_column] < bind("end", moment),
    ]
    return clauses + filters(table, shape)


def where_days(table: Table, shape: Shape) -> list[ColumnElement[bool]]:
    """The scope's conditions on a table of local days (`day`), for scopes with `days`."""
    clauses = [table.c.day >= bind("start_day", Date()), table.c.day < bind("end_day", Date())]
    return clauses + filters(table, shape)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def month_periods(days: tuple[date, date]) -> dict[str, Any]:
    """Local dates [first, end) as month rows and the fewest day rows that add up to them, as
    the parameters of `periods_of`: the months [month_start, month_end), plus (sign 1) or
    minus (sign -1) the days [head_start, head_end) and [tail_start, tail_end).

    A part month at either end of the window is read as its days inside the window, or as the
    whole month less its days outside, whichever are fewer (a month's rows cost about a
    day's): the window 2 December to 29 June reads the months December to June less 1 December
    and 30 June, not 30 + 29 days of rows beside five months.
    """
    first, end = days
    # (first month read, sign of the days between it and `first`), then the same at the end.
    heads = [(first if first.day == 1 else _next_month(first), 1), (first.replace(day=1), -1)]
    tails = [(end.replace(day=1), 1), (end if end.day == 1 else _next_month(end), -1)]
    plans = [((end - first).days, end, end, 1, 1)]  # (rows read, ...): the days alone
    for month_start, head_sign in heads:
        for month_end, tail_sign in tails:
            if month_start <= month_end:
                months = (month_end.year - month_start.year) * 12
                months += month_end.month - month_start.month
                edges = abs((month_start - first).days) + abs((end - month_end).days)
                plans.append((months + edges, month_start, month_end, head_sign, tail_sign))
    _, month_start, month_end, head_sign, tail_sign = min(plans, key=lambda plan: plan[0])
    head = sorted((first, month_start))
    tail = sorted((month_end, end))
    return {
        "month_start": month_start,
        "month_end": month_end,
        "head_start": head[0],
        "head_end": head[1],
        "head_sign": head_sign,
        "tail_start": tail[0],
        "tail_end": tail[1],
        "tail_sign": tail_sign,
    }


def periods_of(month: Table, day: Table, shape: Shape, *columns: str, count: str) -> Any:
    """(columns..., count) rows of a table of local months and its table of local days that
    add up to a scope with `days`, in the parameters of `month_periods`: the rows of the
    months, and those of the days at the window's edges, added or taken away."""
    months = select(*(month.c[c] for c in columns), month.c[count]).where(
        month.c.month >= bind("month_start", Date()),
        month.c.month < bind("month_end", Date()),
        *filters(month, shape),
    )
    edges = [
        select(
            *(day.c[c] for c in columns), (day.c[count] * bind(sign, Integer())).label(count)
        ).where(day.c.day >= bind(lo, Date()), day.c.day < bind(hi, Date()), *filters(day, shape))
        for lo, hi, sign in (
            ("head_start", "head_end", "head_sign"),
            ("tail_start", "tail_end", "tail_sign"),
        )
    ]
    return union_all(months, *edges).subquery("periods")


def visible(table: Table, tenant: Tenant) -> list[ColumnElement[bool]]:
    """Rows of the tenant's organisation and, for a tenant narrowed to some teams, of those
    teams only: another organisation's or team's rows are as absent as missing ones."""
    clauses = [table.c.organisation_id == tenant.organisation_id]
    if tenant.teams is not None:
        clauses.append(table.c.team_id.in_(sorted(tenant.teams)))
    return clauses


def filters(table: Table, shape: Shape) -> list[ColumnElement[bool]]:
    """The scope's organisation, teams, manager, team and checklist conditions alone (part of
    `where`), and the series of a roll-up: another organisation's or team's rows are as absent
    as missing ones."""
    names = _SERIES if table.name in _ROLLUPS else ("organisation_id",)
    clauses = [table.c[name] == bind(name, Text()) for name in names]
    if shape[3]:
        clauses.append(table.c.team_id == func.any(bind("teams", ARRAY(Text()))))
    columns = ("manager_id", "team_id", "checklist_key")
    for present, name, column in zip(shape[:3], _FILTERS, columns, strict=True):
        if present:
            clauses.append(table.c[column] == bind(name, Text()))
    return clauses


def params_of(scope: Scope) -> dict[str, Any]:
    """The parameter values of `where` (and of `where_days` when the scope has days)."""
    params: dict[str, Any] = {"start": scope.start, "end": scope.end}
    params["organisation_id"] = scope.tenant.organisation_id
    params["checklist_version"] = scope.version
    if scope.tenant.teams is not None:
        params["teams"] = sorted(scope.tenant.teams)
    if scope.days is not None:
        params["start_day"], params["end_day"] = scope.days
    for name in _FILTERS:
        value = getattr(scope, name)
        if value is not None:
            params[name] = value
    return params
