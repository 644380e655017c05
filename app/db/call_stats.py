"""Call-level queries of the report and of top violations: grades, best and worst calls, the
phrases said most and their example utterances, the newest call of each manager.

Each reads `call` through the covering (manager_id | team_id, started_at, id) INCLUDE (total,
grade, checklist_key) indexes and `call_violation` through (call_id) INCLUDE (phrase), bounded
by the window; the table itself is read only for the handful of rows shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Row, Select, cast, distinct, func, select, true, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by, distinct_on
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from app.db.scope import CALL, VIOLATION, Scope, Shape, bind, params_of, where

_c, _v = CALL, VIOLATION


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


@lru_cache(maxsize=16)
def _grades_stmt(shape: Shape) -> Select[Any]:
    return (
        select(_c.c.grade, func.count().label("n"))
        .where(*where(_c, "started_at", shape))
        .group_by(_c.c.grade)
    )


def grade_counts(session: Session, scope: Scope) -> dict[str, int]:
    """Calls per grade within the scope."""
    rows = session.execute(_grades_stmt(scope.shape), params_of(scope))
    return {row.grade: int(row.n) for row in rows}


@lru_cache(maxsize=16)
def _ranked_stmt(shape: Shape, best: bool) -> Select[Any]:
    order = _c.c.total.desc() if best else _c.c.total.asc()
    top = (
        select(_c.c.id, _c.c.total, _c.c.started_at)
        .where(*where(_c, "started_at", shape))
        .order_by(order, _c.c.started_at.desc(), _c.c.id.desc())
        .limit(bind("limit", Integer()))
        .subquery("top")
    )
    columns = ("id", "external_id", "started_at", "started_at_offset_min", "total", "grade")
    return (
        select(*(_c.c[name] for name in columns))
        .join(top, top.c.id == _c.c.id)
        .order_by(top.c.total.desc() if best else top.c.total.asc())
        .order_by(top.c.started_at.desc(), top.c.id.desc())
    )


def ranked_calls(session: Session, scope: Scope, *, best: bool, limit: int) -> Sequence[Row[Any]]:
    """The highest (or lowest) scored calls in the scope, newest first on ties; the ranking
    reads only the covering index, the table only for the rows kept."""
    stmt = _ranked_stmt(scope.shape, best)
    return session.execute(stmt, params_of(scope) | {"limit": limit}).all()


def _violations_of(shape: Shape) -> Select[Any]:
    join = _c.join(_v, _v.c.call_id == _c.c.id)
    return select().select_from(join).where(*where(_c, "started_at", shape))


@lru_cache(maxsize=16)
def _top_stmt(shape: Shape) -> Select[Any]:
    said = func.count().label("said")
    newest = func.array_agg(aggregate_order_by(_c.c.id, _c.c.started_at.desc(), _c.c.id.desc()))
    return (
        _violations_of(shape)
        .add_columns(
            _v.c.phrase,
            said,
            func.count(distinct(_c.c.manager_id)).label("managers"),
            newest[1 : bind("newest", Integer())].label("newest"),
        )
        .group_by(_v.c.phrase)
        .order_by(said.desc(), _v.c.phrase)
        .limit(bind("limit", Integer()))
    )


def top_phrases(
    session: Session, scope: Scope, *, limit: int, newest: int = 1
) -> Sequence[Row[Any]]:
    """The phrases said most in the scope: phrase, said (times), managers, and the ids of the newest
    calls with it (2 x `newest` of them: a call that said it twice appears twice)."""
    params = params_of(scope) | {"limit": limit, "newest": 2 * newest}
    return session.execute(_top_stmt(scope.shape), params).all()


def phrase_hits(session: Session, pairs: Sequence[tuple[int, str]]) -> Sequence[Any]:
    """The first hit of each (call id, phrase): utterance, its text, the words said, the
    replacement, and when the call started."""
    if not pairs:
        return []
    stmt = (
        select(
            _v.c.call_id,
            _v.c.phrase,
            _v.c.utterance,
            _v.c.utterance_text,
            _v.c.matched,
            _v.c.replacement,
            _c.c.started_at,
            _c.c.started_at_offset_min,
        )
        .ext(distinct_on(_v.c.call_id, _v.c.phrase))
        .join(_c, _c.c.id == _v.c.call_id)
        .where(tuple_(_v.c.call_id, _v.c.phrase).in_(list(pairs)))
        .order_by(_v.c.call_id, _v.c.phrase, _v.c.utterance)
    )
    return session.execute(stmt).all()


def phrase_managers(session: Session, scope: Scope, phrases: Sequence[str]) -> Sequence[Row[Any]]:
    """(phrase, manager_id, said) for the given phrases within the scope."""
    if not phrases:
        return []
    said = func.count().label("said")
    stmt = (
        _violations_of(scope.shape)
        .add_columns(_v.c.phrase, _c.c.manager_id, said)
        .where(_v.c.phrase.in_(list(phrases)))
        .group_by(_v.c.phrase, _c.c.manager_id)
        .order_by(_v.c.phrase, said.desc(), _c.c.manager_id)
    )
    rows: Sequence[Row[Any]] = session.execute(stmt, params_of(scope)).all()
    return rows
