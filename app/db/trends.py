"""Every query behind trends, leaderboards, top violations and the trainer report.

Trends, summaries and leaderboards read only `manager_rollup`: per-slot sums kept on ingest, so
a year of one manager is a few thousand index-ordered rows, never a scan of calls. Buckets are
`date_trunc(bucket, slot_start AT TIME ZONE tz)`: exact in any zone, because every real UTC
offset is a whole number of the 15-minute slots. The report's call-level parts (grades, best and
worst calls, example utterances) read `call` through its (manager_id, started_at) index, bounded
by the period and a LIMIT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Select,
    cast,
    distinct,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from app.db.models import Call, CallViolation, ManagerRollup

Bucket = Literal["day", "week", "month"]

_r = ManagerRollup.__table__
_c = Call.__table__
_v = CallViolation.__table__
_QUESTION_COLUMNS = ("q_expertise", "q_personal", "q_motivation", "q_other")
_ARRAY_TEXT = ARRAY(Text)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which roll-up rows or calls a query covers: [start, end) in UTC, plus optional filters."""

    start: datetime
    end: datetime
    manager_id: str | None = None
    team_id: str | None = None
    checklist: str | None = None


def _sums() -> list[Any]:
    """The additive roll-up columns, summed (sum of an empty set is NULL, callers coalesce)."""
    return [
        func.sum(_r.c.calls).label("calls"),
        func.sum(_r.c.total_sum).label("total_sum"),
        *(func.sum(_r.c[name]).label(name) for name in _QUESTION_COLUMNS),
        func.sum(_r.c.violations).label("violations"),
    ]


def _rollup_where(scope: Scope) -> list[ColumnElement[bool]]:
    clauses = [_r.c.slot_start >= scope.start, _r.c.slot_start < scope.end]
    if scope.manager_id is not None:
        clauses.append(_r.c.manager_id == scope.manager_id)
    if scope.team_id is not None:
        clauses.append(_r.c.team_id == scope.team_id)
    if scope.checklist is not None:
        clauses.append(_r.c.checklist_key == scope.checklist)
    return clauses


def _call_where(scope: Scope) -> list[ColumnElement[bool]]:
    clauses = [_c.c.started_at >= scope.start, _c.c.started_at < scope.end]
    if scope.manager_id is not None:
        clauses.append(_c.c.manager_id == scope.manager_id)
    if scope.team_id is not None:
        clauses.append(_c.c.team_id == scope.team_id)
    if scope.checklist is not None:
        clauses.append(_c.c.checklist_key == scope.checklist)
    return clauses


def _local_period(bucket: Bucket, tz: str, moment: Any) -> ColumnElement[datetime]:
    """The local wall-clock start of the bucket holding `moment` (a naive timestamp)."""
    # The bucket is one of three literals (typed), inlined so GROUP BY matches the SELECT.
    unit = literal_column(f"'{bucket}'")
    return func.date_trunc(unit, func.timezone(tz, moment))


def manager_exists(session: Session, manager_id: str) -> bool:
    """Whether any call of the manager was ever stored (one index probe)."""
    stmt = select(_r.c.manager_id).where(_r.c.manager_id == manager_id).limit(1)
    return session.execute(stmt).first() is not None


def team_exists(session: Session, team_id: str) -> bool:
    """Whether any call of the team was ever stored (one index probe)."""
    stmt = select(_r.c.team_id).where(_r.c.team_id == team_id).limit(1)
    return session.execute(stmt).first() is not None


def series(
    session: Session, scope: Scope, *, bucket: Bucket, tz: str, last: datetime
) -> Sequence[Row[Any]]:
    """One row per bucket from the bucket of `scope.start` to that of `last`, empty ones too."""
    step = literal_column(f"interval '1 {bucket}'")
    bounds = select(
        func.generate_series(
            _local_period(bucket, tz, scope.start), _local_period(bucket, tz, last), step
        ).label("period")
    ).subquery("periods")
    slots = (
        select(_local_period(bucket, tz, _r.c.slot_start).label("period"), *_sums())
        .where(*_rollup_where(scope))
        .group_by(literal_column("1"))
        .subquery("sums")
    )
    stmt = (
        select(
            bounds.c.period,
            *(func.coalesce(slots.c[name], 0).label(name) for name in _sum_names()),
        )
        .select_from(bounds.outerjoin(slots, slots.c.period == bounds.c.period))
        .order_by(bounds.c.period)
    )
    return session.execute(stmt).all()


def _sum_names() -> tuple[str, ...]:
    return ("calls", "total_sum", *_QUESTION_COLUMNS, "violations")


def item_counts_by_period(
    session: Session, scope: Scope, *, bucket: Bucket, tz: str
) -> Sequence[Row[Any]]:
    """(period, item key, passed, calls) for every item seen in each non-empty bucket."""
    kv = func.jsonb_each_text(_r.c.item_passed).table_valued("key", "value").alias("kv")
    stmt = (
        select(
            _local_period(bucket, tz, _r.c.slot_start).label("period"),
            kv.c.key,
            func.sum(cast(kv.c.value, BigInteger)).label("passed"),
            func.sum(_r.c.calls).label("calls"),
        )
        .select_from(_r)
        .join(kv, true())
        .where(*_rollup_where(scope))
        .group_by(literal_column("1"), kv.c.key)
    )
    return session.execute(stmt).all()


def totals(session: Session, scope: Scope) -> Row[Any]:
    """The roll-up sums over the whole scope (one row; calls 0 when empty)."""
    stmt = select(*(func.coalesce(col, 0).label(col.name) for col in _sums())).where(
        *_rollup_where(scope)
    )
    return session.execute(stmt).one()


def item_counts(session: Session, scope: Scope) -> Sequence[Row[Any]]:
    """(item key, passed, calls) over the whole scope."""
    kv = func.jsonb_each_text(_r.c.item_passed).table_valued("key", "value").alias("kv")
    stmt = (
        select(
            kv.c.key,
            func.sum(cast(kv.c.value, BigInteger)).label("passed"),
            func.sum(_r.c.calls).label("calls"),
        )
        .select_from(_r)
        .join(kv, true())
        .where(*_rollup_where(scope))
        .group_by(kv.c.key)
        .order_by(kv.c.key)
    )
    return session.execute(stmt).all()


def by_manager(session: Session, scope: Scope) -> Sequence[Row[Any]]:
    """Roll-up sums per manager within the scope (a team's leaderboard)."""
    stmt = select(_r.c.manager_id, *_sums()).where(*_rollup_where(scope)).group_by(_r.c.manager_id)
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
    ids = func.unnest(cast(list(manager_ids), _ARRAY_TEXT)).table_valued("id").render_derived("m")
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
    stmt = select(_c.c.grade, func.count()).where(*_call_where(scope)).group_by(_c.c.grade)
    return {grade: int(n) for grade, n in session.execute(stmt)}


def ranked_calls(session: Session, scope: Scope, *, best: bool, limit: int) -> Sequence[Row[Any]]:
    """The highest (or lowest) scored calls in the scope, newest first on ties."""
    order = _c.c.total.desc() if best else _c.c.total.asc()
    stmt = (
        select(
            _c.c.id,
            _c.c.external_id,
            _c.c.started_at,
            _c.c.started_at_offset_min,
            _c.c.total,
            _c.c.grade,
            _c.c.checklist_key,
        )
        .where(*_call_where(scope))
        .order_by(order, _c.c.started_at.desc(), _c.c.id.desc())
        .limit(limit)
    )
    return session.execute(stmt).all()


def _violations_of(scope: Scope) -> Select[Any]:
    return select().select_from(_c.join(_v, _v.c.call_id == _c.c.id)).where(*_call_where(scope))


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
            func.row_number()
            .over(partition_by=(_v.c.phrase, _v.c.call_id), order_by=_v.c.utterance)
            .label("in_call"),
        )
        .where(_v.c.phrase.in_(phrases))
        .subquery("hits")
    )
    ranked = select(
        hits,
        func.row_number()
        .over(
            partition_by=hits.c.phrase,
            order_by=(hits.c.in_call, hits.c.started_at.desc(), hits.c.call_id.desc()),
        )
        .label("rank"),
    ).subquery("ranked")
    stmt = (
        select(ranked).where(ranked.c.rank <= per_phrase).order_by(ranked.c.phrase, ranked.c.rank)
    )
    return session.execute(stmt).all()
