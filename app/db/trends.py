"""Every query behind trends, leaderboards, top violations and the trainer report.

Trends, summaries and leaderboards read only `manager_rollup`: per-slot sums kept on ingest,
never a scan of calls. Buckets are `date_trunc(bucket, slot_start AT TIME ZONE tz)`: exact in
any zone, because every real UTC offset is a whole number of the 15-minute slots. Item pass
counts are summed key by key for the item keys the caller names (those of the newest row):
a plain aggregate, several times faster than expanding every row's jsonb; a `mixed` flag says
when some row has other keys, and the caller then falls back to the expanding query. The
report's call-level parts (grades, best and worst calls, example utterances) read `call`
through its (manager_id, started_at) index, bounded by the window and a LIMIT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Row,
    Select,
    Table,
    cast,
    distinct,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from app.db.models import Call, CallViolation, ManagerRollup

Bucket = Literal["day", "week", "month"]

_r = ManagerRollup.__table__
_c = Call.__table__
_v = CallViolation.__table__
SUM_COLUMNS = ("calls", "total_sum", "q_expertise", "q_personal", "q_motivation", "q_other")
SUM_COLUMNS += ("violations",)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which roll-up rows or calls a query covers: [start, end) in UTC, plus optional filters."""

    start: datetime
    end: datetime
    manager_id: str | None = None
    team_id: str | None = None
    checklist: str | None = None


def _where(table: Table, time_column: str, scope: Scope) -> list[ColumnElement[bool]]:
    clauses = [table.c[time_column] >= scope.start, table.c[time_column] < scope.end]
    for column in ("manager_id", "team_id"):
        value = getattr(scope, column)
        if value is not None:
            clauses.append(table.c[column] == value)
    if scope.checklist is not None:
        clauses.append(table.c.checklist_key == scope.checklist)
    return clauses


def _sums(keys: Sequence[str] = ()) -> list[Any]:
    """Summed roll-up columns, item pass counts as item_0..n, and whether any row is mixed."""
    out: list[Any] = [func.sum(_r.c[name]).label(name) for name in SUM_COLUMNS]
    out += [
        func.sum(cast(_r.c.item_passed[key].astext, Integer)).label(f"item_{i}")
        for i, key in enumerate(keys)
    ]
    known = cast(list(keys), ARRAY(Text))
    other_keys = _r.c.item_passed.op("-")(known) != cast("{}", JSONB)
    out.append(func.bool_or(or_(~_r.c.item_passed.has_all(known), other_keys)).label("mixed"))
    return out


def _local_period(bucket: Bucket, tz: str, moment: Any) -> ColumnElement[datetime]:
    """The local wall-clock start of the bucket holding `moment` (a naive timestamp)."""
    # The bucket is one of three literals (typed), inlined so GROUP BY matches the SELECT.
    return func.date_trunc(literal_column(f"'{bucket}'"), func.timezone(tz, moment))


def manager_exists(session: Session, manager_id: str) -> bool:
    """Whether any call of the manager was ever stored (one index probe)."""
    stmt = select(_r.c.manager_id).where(_r.c.manager_id == manager_id).limit(1)
    return session.execute(stmt).first() is not None


def team_exists(session: Session, team_id: str) -> bool:
    """Whether any call of the team was ever stored (one index probe)."""
    stmt = select(_r.c.team_id).where(_r.c.team_id == team_id).limit(1)
    return session.execute(stmt).first() is not None


def sample_item_keys(session: Session, scope: Scope) -> list[str]:
    """The item keys of the newest roll-up row in the scope (sorted; [] when empty)."""
    stmt = (
        select(_r.c.item_passed)
        .where(*_where(_r, "slot_start", scope))
        .order_by(_r.c.slot_start.desc())
        .limit(1)
    )
    return sorted(session.execute(stmt).scalar() or {})


def series(
    session: Session, scope: Scope, *, bucket: Bucket, tz: str, last: datetime, keys: list[str]
) -> Sequence[Row[Any]]:
    """One row of sums per bucket, from the bucket of `scope.start` to that of `last`; empty
    buckets are there with calls 0 (generate_series LEFT JOIN the sums)."""
    step = literal_column(f"interval '1 {bucket}'")
    bounds = select(
        func.generate_series(
            _local_period(bucket, tz, scope.start), _local_period(bucket, tz, last), step
        ).label("period")
    ).subquery("periods")
    sums = (
        select(_local_period(bucket, tz, _r.c.slot_start).label("period"), *_sums(keys))
        .where(*_where(_r, "slot_start", scope))
        .group_by(literal_column("1"))
        .subquery("sums")
    )
    columns = [c for c in sums.c if c.name != "period"]
    stmt = (
        select(bounds.c.period, *columns)
        .select_from(bounds.outerjoin(sums, sums.c.period == bounds.c.period))
        .order_by(bounds.c.period)
    )
    return session.execute(stmt).all()


def totals(session: Session, scope: Scope, keys: list[str]) -> Row[Any]:
    """The sums over the whole scope (one row; calls NULL when it is empty)."""
    return session.execute(select(*_sums(keys)).where(*_where(_r, "slot_start", scope))).one()


def _expanded_items(scope: Scope, *group: Any) -> Select[Any]:
    """(group..., key, passed, calls) expanding each row's item_passed: any mix of keys."""
    kv = func.jsonb_each_text(_r.c.item_passed).table_valued("key", "value").alias("kv")
    return (
        select(
            *group,
            kv.c.key,
            func.sum(cast(kv.c.value, BigInteger)).label("passed"),
            func.sum(_r.c.calls).label("calls"),
        )
        .select_from(_r)
        .join(kv, true())
        .where(*_where(_r, "slot_start", scope))
    )


def item_counts_by_period(
    session: Session, scope: Scope, *, bucket: Bucket, tz: str
) -> Sequence[Row[Any]]:
    """(period, key, passed, calls) per non-empty bucket, for scopes whose rows are mixed."""
    period = _local_period(bucket, tz, _r.c.slot_start).label("period")
    stmt = _expanded_items(scope, period).group_by(literal_column("1"), literal_column("2"))
    return session.execute(stmt).all()


def item_counts(session: Session, scope: Scope) -> Sequence[Row[Any]]:
    """(key, passed, calls) over the whole scope, for scopes whose rows are mixed."""
    return session.execute(_expanded_items(scope).group_by(literal_column("1"))).all()


def by_manager(session: Session, scope: Scope) -> Sequence[Row[Any]]:
    """Roll-up sums per manager within the scope (a team's leaderboard)."""
    sums = [func.sum(_r.c[name]).label(name) for name in SUM_COLUMNS]
    stmt = (
        select(_r.c.manager_id, *sums)
        .where(*_where(_r, "slot_start", scope))
        .group_by(_r.c.manager_id)
    )
    return session.execute(stmt).all()


def managers_overview(session: Session) -> Sequence[Row[Any]]:
    """Every manager with calls, total sum and teams, from the roll-ups."""
    stmt = (
        select(
            _r.c.manager_id,
            func.sum(_r.c.calls).label("calls"),
            func.sum(_r.c.total_sum).label("total_sum"),
            func.array_agg(distinct(_r.c.team_id)).label("teams"),
        )
        .group_by(_r.c.manager_id)
        .order_by(_r.c.manager_id)
    )
    return session.execute(stmt).all()


def latest_calls(session: Session, manager_ids: Sequence[str]) -> dict[str, Row[Any]]:
    """The newest call of each manager (name, start, offset): one index probe per manager."""
    if not manager_ids:
        return {}
    ids = func.unnest(cast(list(manager_ids), ARRAY(Text))).table_valued("id").render_derived("m")
    newest = (
        select(_c.c.id, _c.c.manager_name, _c.c.started_at, _c.c.started_at_offset_min)
        .where(_c.c.manager_id == ids.c.id)
        .order_by(_c.c.started_at.desc(), _c.c.id.desc())
        .limit(1)
        .lateral("newest")
    )
    stmt = select(ids.c.id.label("manager_id"), newest).select_from(ids).join(newest, true())
    return {row.manager_id: row for row in session.execute(stmt)}


def grade_counts(session: Session, scope: Scope) -> dict[str, int]:
    """Calls per grade within the scope."""
    stmt = (
        select(_c.c.grade, func.count())
        .where(*_where(_c, "started_at", scope))
        .group_by(_c.c.grade)
    )
    return {grade: int(n) for grade, n in session.execute(stmt)}


def ranked_calls(session: Session, scope: Scope, *, best: bool, limit: int) -> Sequence[Row[Any]]:
    """The highest (or lowest) scored calls in the scope, newest first on ties."""
    order = _c.c.total.desc() if best else _c.c.total.asc()
    columns = ("id", "external_id", "started_at", "started_at_offset_min", "total", "grade")
    stmt = (
        select(*(_c.c[name] for name in columns))
        .where(*_where(_c, "started_at", scope))
        .order_by(order, _c.c.started_at.desc(), _c.c.id.desc())
        .limit(limit)
    )
    return session.execute(stmt).all()


def _violations_of(scope: Scope) -> Select[Any]:
    join = _c.join(_v, _v.c.call_id == _c.c.id)
    return select().select_from(join).where(*_where(_c, "started_at", scope))


def top_phrases(session: Session, scope: Scope, *, limit: int) -> Sequence[Row[Any]]:
    """Forbidden phrases said most within the scope: phrase, replacement, count, managers."""
    count = func.count().label("count")
    stmt = (
        _violations_of(scope)
        .add_columns(
            _v.c.phrase,
            func.max(_v.c.replacement).label("replacement"),
            count,
            func.count(distinct(_c.c.manager_id)).label("managers"),
        )
        .group_by(_v.c.phrase)
        .order_by(count.desc(), _v.c.phrase)
        .limit(limit)
    )
    return session.execute(stmt).all()


def phrase_managers(session: Session, scope: Scope, phrases: Sequence[str]) -> Sequence[Row[Any]]:
    """(phrase, manager_id, count) for the given phrases within the scope."""
    if not phrases:
        return []
    count = func.count().label("count")
    stmt = (
        _violations_of(scope)
        .add_columns(_v.c.phrase, _c.c.manager_id, count)
        .where(_v.c.phrase.in_(phrases))
        .group_by(_v.c.phrase, _c.c.manager_id)
        .order_by(_v.c.phrase, count.desc(), _c.c.manager_id)
    )
    return session.execute(stmt).all()


def phrase_examples(
    session: Session, scope: Scope, phrases: Sequence[str], *, per_phrase: int
) -> Sequence[Row[Any]]:
    """The newest utterances with each phrase, from different calls where there are enough."""
    if not phrases:
        return []
    in_call = func.row_number().over(
        partition_by=(_v.c.phrase, _v.c.call_id), order_by=_v.c.utterance
    )
    hits = (
        _violations_of(scope)
        .add_columns(
            _v.c.phrase,
            _v.c.call_id,
            _v.c.utterance,
            _v.c.utterance_text,
            _v.c.matched,
            _c.c.started_at,
            _c.c.started_at_offset_min,
            in_call.label("in_call"),
        )
        .where(_v.c.phrase.in_(phrases))
        .subquery("hits")
    )
    rank = func.row_number().over(
        partition_by=hits.c.phrase,
        order_by=(hits.c.in_call, hits.c.started_at.desc(), hits.c.call_id.desc()),
    )
    ranked = select(hits, rank.label("rank")).subquery("ranked")
    stmt = (
        select(ranked).where(ranked.c.rank <= per_phrase).order_by(ranked.c.phrase, ranked.c.rank)
    )
    return session.execute(stmt).all()
