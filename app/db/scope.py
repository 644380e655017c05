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

from sqlalchemy import BindParameter, ColumnElement, Date, DateTime, Table, bindparam, func
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


def whole_months(days: tuple[date, date]) -> tuple[date, date]:
    """The calendar months wholly inside local dates [first, end), as the first days [first
    month, end month); (end, end), empty, when there is none. The rest of the window is the
    dates [first, first month) and [end month, end)."""
    first, end = days
    start = first.replace(day=1)
    if start < first:
        start = (start + timedelta(days=32)).replace(day=1)
    stop = end.replace(day=1)
    return (start, stop) if start < stop else (end, end)


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
