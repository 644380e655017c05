"""Roll-up queries: trends, summaries, leaderboards and the managers list.

They read only roll-ups kept on ingest, never a scan of calls. A scope with `days` (whole local
days of the zone in `day_rollup_zone`) reads `manager_rollup_day`, ~365 rows a manager-year,
with buckets `date_trunc(bucket, day)`; any other scope reads the 15-minute UTC slots of
`manager_rollup` (~4,300 rows a manager-year), with buckets `date_trunc(bucket, slot_start AT
TIME ZONE tz)`: exact in any zone, because every real UTC offset is a whole number of slots.
The two tables have the same sum columns, so each statement is written once for either.
Every read is of one organisation and one series (`Scope.version`): '' counts each call with its
latest score under its checklist, a version only the scores under it.

Item pass counts are summed key by key for the keys of the newest row: a plain aggregate,
several times faster than expanding every row's jsonb; a `mixed` flag says when some row
belongs to another checklist or lacks a key, and the caller then falls back to the expanding
query. A row holds the union of its calls' item keys, so a checklist change within a row's slot
or day blurs that row's rates of the items changed. Statements are built once per shape (table,
bucket, which filters, how many item keys) and reused with new parameters: building one costs
more than running it on a month of data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    Table,
    cast,
    distinct,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import TIMESTAMP, Text

from app.db.call_writes import LATEST
from app.db.models import DayRollupZone
from app.db.scope import (
    DAY_ROLLUP,
    ROLLUP,
    VERSION_DAY,
    VERSION_MONTH,
    Bucket,
    Scope,
    Shape,
    bind,
    month_periods,
    params_of,
    periods_of,
    visible,
    where,
    where_days,
)
from app.tenancy import LOCAL, Tenant

SUM_COLUMNS = ("calls", "total_sum", "questions", "violations")
_r = ROLLUP

Items = tuple[str | None, list[str]]
"""(checklist, sorted item keys) of the newest roll-up row, from `newest_items`."""
Categories = Sequence[str]
"""Category keys whose question counts are summed one by one, as q_0..n (the rest of
`questions` is `other`)."""


def _table(daily: bool) -> Table:
    """The day roll-ups for scopes with `days`, else the 15-minute slots."""
    return DAY_ROLLUP if daily else ROLLUP


def _where(daily: bool, shape: Shape) -> list[ColumnElement[bool]]:
    return where_days(DAY_ROLLUP, shape) if daily else where(ROLLUP, "slot_start", shape)


def _time(daily: bool) -> ColumnElement[Any]:
    """The column rows are ordered and bucketed by."""
    return DAY_ROLLUP.c.day if daily else ROLLUP.c.slot_start


def _counts(t: Table, n_categories: int) -> list[Any]:
    """Summed roll-up columns, then the question counts of categories as q_0..n."""
    out: list[Any] = [func.sum(t.c[name]).label(name) for name in SUM_COLUMNS]
    for i in range(n_categories):
        asked = t.c.question_counts.op("->>", return_type=Text)(bind(f"category_{i}", Text()))
        out.append(func.sum(cast(asked, Integer)).label(f"q_{i}"))
    return out


def _sums(t: Table, n_keys: int, n_categories: int) -> list[Any]:
    """`_counts`, item pass counts as item_0..n, and whether any row is mixed."""
    out = _counts(t, n_categories)
    for i in range(n_keys):
        passed = t.c.item_passed.op("->>", return_type=Text)(bind(f"key_{i}", Text()))
        out.append(func.sum(cast(passed, Integer)).label(f"item_{i}"))
    # Mixed: another checklist, or a row without some key (an older version of the checklist).
    # Keys only older rows have are items since retired; they are left out, not mis-counted.
    other = or_(
        t.c.checklist_key != bind("newest_checklist", Text()),
        ~t.c.item_passed.has_all(bind("known_keys", ARRAY(Text))),
    )
    out.append(func.bool_or(other).label("mixed"))
    return out


def _category_params(categories: Categories) -> dict[str, Any]:
    return {f"category_{i}": key for i, key in enumerate(categories)}


def _item_params(items: Items, categories: Categories) -> dict[str, Any]:
    checklist, keys = items
    params: dict[str, Any] = {f"key_{i}": key for i, key in enumerate(keys)}
    params |= _category_params(categories)
    return params | {"newest_checklist": checklist or "", "known_keys": list(keys)}


def _truncate(bucket: Bucket, local: Any) -> ColumnElement[datetime]:
    # The bucket is one of three literals (typed), inlined so GROUP BY matches the SELECT.
    unit: ColumnElement[str] = literal_column(f"'{bucket}'")
    return func.date_trunc(unit, local, type_=TIMESTAMP())


def _local_period(bucket: Bucket, moment: Any) -> ColumnElement[datetime]:
    """The local wall-clock start of the bucket holding `moment`, in the zone bound as :tz."""
    return _truncate(bucket, func.timezone(bind("tz", String()), moment))


def _row_period(bucket: Bucket, daily: bool) -> ColumnElement[datetime]:
    """The local start of each row's bucket: a day row's date is local already."""
    if daily:
        return _truncate(bucket, cast(DAY_ROLLUP.c.day, TIMESTAMP()))
    return _local_period(bucket, ROLLUP.c.slot_start)


def day_zone(session: Session) -> str:
    """The zone of the day roll-ups: scopes in it may read them.

    Read once per request, in its transaction: the lock it takes makes a rebuild in another
    zone (`calls.set_day_zone`) wait until the request has read its day rows.
    """
    return session.execute(select(DayRollupZone.zone)).scalar_one()


def _latest_series(t: Table, tenant: Tenant) -> list[ColumnElement[bool]]:
    """The tenant's rows of the latest-score series: every stored call it may see, once."""
    return [*visible(t, tenant), t.c.checklist_version == LATEST]


def manager_exists(session: Session, manager_id: str, tenant: Tenant = LOCAL) -> bool:
    """Whether any call of the manager the tenant may see was ever stored (one index probe)."""
    stmt = select(_r.c.manager_id).where(*_latest_series(_r, tenant), _r.c.manager_id == manager_id)
    return session.execute(stmt.limit(1)).first() is not None


def team_exists(session: Session, team_id: str, tenant: Tenant = LOCAL) -> bool:
    """Whether any call of the team the tenant may see was ever stored (one index probe)."""
    stmt = select(_r.c.team_id).where(*_latest_series(_r, tenant), _r.c.team_id == team_id)
    return session.execute(stmt.limit(1)).first() is not None


@lru_cache(maxsize=16)
def _newest_stmt(shape: Shape, daily: bool) -> Select[Any]:
    t = _table(daily)
    return (
        select(t.c.checklist_key, t.c.item_passed)
        .where(*_where(daily, shape))
        .order_by(_time(daily).desc())
        .limit(1)
    )


def newest_items(session: Session, scope: Scope) -> Items:
    """(checklist, sorted item keys) of the newest roll-up row in the scope; (None, []) if none."""
    stmt = _newest_stmt(scope.shape, scope.days is not None)
    row = session.execute(stmt, params_of(scope)).first()
    return (row.checklist_key, sorted(row.item_passed)) if row else (None, [])


@lru_cache(maxsize=64)
def _series_stmt(
    bucket: Bucket, shape: Shape, n_keys: int, n_categories: int, daily: bool
) -> Select[Any]:
    step: ColumnElement[Any] = literal_column(f"interval '1 {bucket}'")
    bounds = select(
        func.generate_series(
            _local_period(bucket, bind("first", _r.c.slot_start.type)),
            _local_period(bucket, bind("last", _r.c.slot_start.type)),
            step,
        ).label("period")
    ).subquery("periods")
    sums = (
        select(
            _row_period(bucket, daily).label("period"),
            *_sums(_table(daily), n_keys, n_categories),
        )
        .where(*_where(daily, shape))
        .group_by(literal_column("1"))
        .subquery("sums")
    )
    columns = [c for c in sums.c if c.name != "period"]
    return (
        select(bounds.c.period, *columns)
        .select_from(bounds.outerjoin(sums, sums.c.period == bounds.c.period))
        .order_by(bounds.c.period)
    )


def series(
    session: Session,
    scope: Scope,
    *,
    bucket: Bucket,
    tz: str,
    last: datetime,
    items: Items,
    categories: Categories,
) -> Sequence[Row[Any]]:
    """One row of sums per bucket, from the bucket of `scope.start` to that of `last`; empty
    buckets are there with NULL sums (generate_series LEFT JOIN the sums)."""
    n_categories, daily = len(categories), scope.days is not None
    stmt = _series_stmt(bucket, scope.shape, len(items[1]), n_categories, daily)
    params = params_of(scope) | _item_params(items, categories) | {"tz": tz, "first": scope.start}
    return session.execute(stmt, params | {"last": last}).all()


@lru_cache(maxsize=32)
def _totals_stmt(shape: Shape, n_keys: int, n_categories: int, daily: bool) -> Select[Any]:
    return select(*_sums(_table(daily), n_keys, n_categories)).where(*_where(daily, shape))


def totals(session: Session, scope: Scope, items: Items, categories: Categories) -> Row[Any]:
    """The sums over the whole scope (one row; NULL sums when it is empty)."""
    stmt = _totals_stmt(scope.shape, len(items[1]), len(categories), scope.days is not None)
    params = params_of(scope) | _item_params(items, categories)
    return session.execute(stmt, params).one()


def _expanded_items(scope: Scope, *group: Any) -> Select[Any]:
    """(group..., key, passed, calls) expanding each row's item_passed: any mix of keys."""
    daily = scope.days is not None
    t = _table(daily)
    kv = func.jsonb_each_text(t.c.item_passed).table_valued("key", "value").alias("kv")
    return (
        select(
            *group,
            kv.c.key,
            func.sum(cast(kv.c.value, BigInteger)).label("passed"),
            func.sum(t.c.calls).label("calls"),
        )
        .select_from(t)
        .join(kv, true())
        .where(*_where(daily, scope.shape))
    )


def item_counts_by_period(
    session: Session, scope: Scope, *, bucket: Bucket, tz: str
) -> Sequence[Row[Any]]:
    """(period, key, passed, calls) per non-empty bucket, for scopes whose rows are mixed."""
    period = _row_period(bucket, scope.days is not None).label("period")
    stmt = _expanded_items(scope, period).group_by(literal_column("1"), literal_column("2"))
    return session.execute(stmt, params_of(scope) | {"tz": tz}).all()


def item_counts(session: Session, scope: Scope) -> Sequence[Row[Any]]:
    """(key, passed, calls) over the whole scope, for scopes whose rows are mixed."""
    stmt = _expanded_items(scope).group_by(literal_column("1"))
    return session.execute(stmt, params_of(scope)).all()


@lru_cache(maxsize=16)
def _by_manager_stmt(shape: Shape, n_categories: int, daily: bool) -> Select[Any]:
    t = _table(daily)
    sums = _counts(t, n_categories)
    return select(t.c.manager_id, *sums).where(*_where(daily, shape)).group_by(t.c.manager_id)


def by_manager(session: Session, scope: Scope, categories: Categories) -> Sequence[Row[Any]]:
    """Roll-up sums per manager within the scope (a team's leaderboard)."""
    stmt = _by_manager_stmt(scope.shape, len(categories), scope.days is not None)
    return session.execute(stmt, params_of(scope) | _category_params(categories)).all()


@lru_cache(maxsize=16)
def _calls_stmt(shape: Shape, daily: bool) -> Select[Any]:
    t = _table(daily)
    return select(func.coalesce(func.sum(t.c.calls), 0)).where(*_where(daily, shape))


def calls_in(session: Session, scope: Scope) -> int:
    """How many calls the scope's series counts."""
    stmt = _calls_stmt(scope.shape, scope.days is not None)
    return int(session.execute(stmt, params_of(scope)).scalar_one())


@lru_cache(maxsize=16)
def _versions_stmt(shape: Shape, daily: bool) -> Select[Any]:
    t = _table(daily)
    kv = func.jsonb_each_text(t.c.versions).table_valued("key", "value").alias("kv")
    return (
        select(kv.c.key)
        .select_from(t)
        .join(kv, true())
        .where(*_where(daily, shape))
        .group_by(kv.c.key)
        .having(func.sum(cast(kv.c.value, BigInteger)) > 0)
        .order_by(kv.c.key)
    )


@lru_cache(maxsize=16)
def _versions_of_days_stmt(shape: Shape) -> Select[Any]:
    """`_versions_stmt` for a scope with `days`, from the latest series' versions per month
    and day (`month_periods`)."""
    counted = periods_of(VERSION_MONTH, VERSION_DAY, shape, "version", count="calls")
    version, calls = counted.c
    return select(version).group_by(version).having(func.sum(calls) > 0).order_by(version)


def versions_used(session: Session, scope: Scope) -> list[str]:
    """The checklist versions of the scores the scope's series counts, sorted; for the latest
    series of a scope with days, from the versions per month and day."""
    if scope.days is None or scope.version != LATEST:
        stmt = _versions_stmt(scope.shape, scope.days is not None)
        return list(session.execute(stmt, params_of(scope)).scalars())
    params = params_of(scope) | month_periods(scope.days)
    return list(session.execute(_versions_of_days_stmt(scope.shape), params).scalars())


def managers_overview(session: Session, tenant: Tenant = LOCAL) -> Sequence[Row[Any]]:
    """Every manager the tenant may see with calls, total sum and teams: all-time sums are the
    same in any zone, so from the day roll-ups, a tenth of the rows of the slots."""
    d = DAY_ROLLUP
    stmt = (
        select(
            d.c.manager_id,
            func.sum(d.c.calls).label("calls"),
            func.sum(d.c.total_sum).label("total_sum"),
            func.array_agg(distinct(d.c.team_id)).label("teams"),
        )
        .where(*_latest_series(d, tenant))
        .group_by(d.c.manager_id)
        .order_by(d.c.manager_id)
    )
    return session.execute(stmt).all()


@lru_cache(maxsize=16)
def _by_manager_period_stmt(bucket: Bucket, shape: Shape, daily: bool) -> Select[Any]:
    t = _table(daily)
    return (
        select(
            t.c.manager_id,
            _row_period(bucket, daily).label("period"),
            func.sum(t.c.calls).label("calls"),
            func.sum(t.c.total_sum).label("total_sum"),
            func.sum(t.c.questions).label("questions"),
        )
        .where(*_where(daily, shape))
        .group_by(literal_column("1"), literal_column("2"))
    )


def by_manager_period(
    session: Session, scope: Scope, *, bucket: Bucket, tz: str
) -> Sequence[Row[Any]]:
    """(manager_id, period, calls, total_sum, questions) per manager and non-empty bucket:
    every trend line of a team in one statement."""
    stmt = _by_manager_period_stmt(bucket, scope.shape, scope.days is not None)
    return session.execute(stmt, params_of(scope) | {"tz": tz}).all()
