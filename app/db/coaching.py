"""Queries of the coaching section: model questions of a category from the best calls of a
scope, and the team a manager works in.

Model questions read `call` through the (manager_id | team_id, started_at) indexes within the
window, best total first by the scores the scope's series counts (`call_stats.scored_calls`),
and `call_question` by its call_id index; a report asks for a handful, so only the best calls'
questions are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Row, Select, and_, select
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from app.db.call_stats import reads_scores, scored_calls
from app.db.call_writes import LATEST
from app.db.scope import CALL, QUESTION, Scope, Shape, bind, params_of

_c, _q = CALL, QUESTION


@lru_cache(maxsize=32)
def _model_questions_stmt(shape: Shape, versioned: bool, scores: bool) -> Select[Any]:
    scored, score, conditions = scored_calls(shape, versioned, scores)
    asked = and_(_q.c.organisation_id == _c.c.organisation_id, _q.c.call_id == _c.c.id)
    return (
        select(
            _c.c.id.label("call_id"),
            score.c.total,
            _c.c.started_at,
            _c.c.started_at_offset_min,
            _q.c.utterance,
            _q.c.text,
        )
        .select_from(scored.join(_q, asked))
        .where(*conditions, _q.c.category == bind("category", Text()))
        .order_by(score.c.total.desc(), _c.c.started_at.desc(), _c.c.id.desc(), _q.c.utterance)
        .limit(bind("limit", Integer()))
    )


def model_questions(
    session: Session, scope: Scope, category: str, *, limit: int
) -> Sequence[Row[Any]]:
    """Questions of `category` asked in the scope's calls, the best scored calls first (by the
    scores the scope's series counts, newest first on ties) and in the order asked: call_id,
    total, started_at, its offset, utterance, text."""
    params = params_of(scope) | {"category": category, "limit": limit}
    versioned = scope.version != LATEST
    stmt = _model_questions_stmt(scope.shape, versioned, reads_scores(session, scope))
    return session.execute(stmt, params).all()


def manager_team(session: Session, organisation_id: str, manager_id: str) -> str | None:
    """The team of the manager's newest call that names one (None if none does). The
    organisation leads the (manager_id, started_at) index: without it this scans the calls."""
    stmt = (
        select(_c.c.team_id)
        .where(
            _c.c.organisation_id == organisation_id,
            _c.c.manager_id == manager_id,
            _c.c.team_id.is_not(None),
        )
        .order_by(_c.c.started_at.desc(), _c.c.id.desc())
        .limit(1)
    )
    team: str | None = session.execute(stmt).scalar_one_or_none()
    return team
