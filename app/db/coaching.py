"""Queries of the coaching section: model questions of a category from the best calls of a
scope, and the team a manager works in.

Model questions read `call` through the covering (manager_id | team_id, started_at) indexes
within the window, best total first, and `call_question` by its call_id index; a report asks
for a handful, so only the best calls' questions are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Row, Select, select
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from app.db.scope import CALL, QUESTION, Scope, Shape, bind, params_of, where

_c, _q = CALL, QUESTION


@lru_cache(maxsize=16)
def _model_questions_stmt(shape: Shape) -> Select[Any]:
    return (
        select(
            _c.c.id.label("call_id"),
            _c.c.total,
            _c.c.started_at,
            _c.c.started_at_offset_min,
            _q.c.utterance,
            _q.c.text,
        )
        .join(_q, _q.c.call_id == _c.c.id)
        .where(*where(_c, "started_at", shape), _q.c.category == bind("category", Text()))
        .order_by(_c.c.total.desc(), _c.c.started_at.desc(), _c.c.id.desc(), _q.c.utterance)
        .limit(bind("limit", Integer()))
    )


def model_questions(
    session: Session, scope: Scope, category: str, *, limit: int
) -> Sequence[Row[Any]]:
    """Questions of `category` asked in the scope's calls, the best scored calls first (newest
    first on ties) and in the order asked: call_id, total, started_at, its offset, utterance,
    text."""
    params = params_of(scope) | {"category": category, "limit": limit}
    return session.execute(_model_questions_stmt(scope.shape), params).all()


def manager_team(session: Session, manager_id: str) -> str | None:
    """The team of the manager's newest call that names one (None if none does)."""
    stmt = (
        select(_c.c.team_id)
        .where(_c.c.manager_id == manager_id, _c.c.team_id.is_not(None))
        .order_by(_c.c.started_at.desc(), _c.c.id.desc())
        .limit(1)
    )
    team: str | None = session.execute(stmt).scalar_one_or_none()
    return team
