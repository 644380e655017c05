"""Queries of reviewers' corrections, reviews and the calibration they feed.

A call's corrections are written with its row locked (`lock_call`, FOR UPDATE) and before its
roll-ups are updated: the ingest's lock order (the call, then the roll-ups in key order).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from app.db.models import Call, CallCorrection, CallReview


def lock_call(session: Session, call_id: int) -> Any:
    """The call's row (but transcript and utterances) locked for its corrections, with its
    utterances' indexes; None if there is no such call."""
    indexes = func.jsonb_path_query_array(Call.utterances, text("'$[*].index'::jsonpath"))
    stmt = (
        select(
            Call.id,
            Call.manager_id,
            Call.team_id,
            Call.started_at,
            Call.checklist_key,
            Call.checklist_version,
            Call.score,
            indexes.label("indexes"),
        )
        .where(Call.id == call_id)
        .with_for_update()
    )
    return session.execute(stmt).one_or_none()


def list_corrections(session: Session, organisation_id: str, call_id: int) -> list[CallCorrection]:
    """A call's corrections, oldest first (a later one on the same target wins)."""
    stmt = (
        select(CallCorrection)
        .where(CallCorrection.organisation_id == organisation_id, CallCorrection.call_id == call_id)
        .order_by(CallCorrection.id)
    )
    return list(session.scalars(stmt))


def add_corrections(session: Session, rows: Sequence[dict[str, Any]]) -> list[CallCorrection]:
    """Store corrections; the stored rows, with their ids and times."""
    stmt = insert(CallCorrection).returning(CallCorrection)
    return list(session.scalars(stmt, list(rows)))


def delete_correction(
    session: Session, organisation_id: str, call_id: int, correction_id: int
) -> bool:
    """Delete one of a call's corrections; False if it has none of that id."""
    stmt = (
        delete(CallCorrection)
        .where(
            CallCorrection.organisation_id == organisation_id,
            CallCorrection.call_id == call_id,
            CallCorrection.id == correction_id,
        )
        .returning(CallCorrection.id)
    )
    return session.execute(stmt).first() is not None


def save_review(session: Session, row: dict[str, Any]) -> CallReview:
    """Mark a call reviewed, or bring its review's reviewer, time and items up to date."""
    changing = ("reviewer", "reviewed_at", "machine_questions", "machine_items", "items")
    values = pg_insert(CallReview).values(**row, reviewed_at=func.now())
    stmt = (
        values.on_conflict_do_update(
            index_elements=["organisation_id", "call_id"],
            set_={c: values.excluded[c] for c in changing},
        )
        .returning(CallReview)
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one()


def get_review(session: Session, organisation_id: str, call_id: int) -> CallReview | None:
    return session.get(CallReview, (organisation_id, call_id))


# The reviewed calls a calibration covers; its filters are NULL when unset.
_REVIEWED = """
SELECT r.call_id, r.machine_questions, r.machine_items, r.items
FROM call_review AS r
WHERE r.organisation_id = :org AND r.checklist_key = :checklist
    AND (CAST(:start AS timestamptz) IS NULL OR r.started_at >= :start)
    AND (CAST(:end AS timestamptz) IS NULL OR r.started_at < :end)
    AND (CAST(:team AS text) IS NULL OR r.team_id = :team)
"""
# The latest correction of each target of the reviewed calls, with the reviewer's answer in
# the words of `machine`: a category or 'none', 'violation' or 'none', 'passed' or 'failed'.
_LATEST = f"""
SELECT DISTINCT ON (k.call_id, k.target, k.utterance, k.span, k.phrase, k.item)
    k.target, k.machine, k.words,
    CASE k.target
        WHEN 'question' THEN CASE WHEN k.valid IS false THEN 'none'
                                  ELSE coalesce(k.category, k.machine) END
        WHEN 'violation' THEN CASE WHEN k.valid THEN 'violation' ELSE 'none' END
        ELSE CASE WHEN k.passed THEN 'passed' ELSE 'failed' END
    END AS answer
FROM call_correction AS k
JOIN ({_REVIEWED}) AS rv ON rv.call_id = k.call_id
WHERE k.organisation_id = :org
ORDER BY k.call_id, k.target, k.utterance, k.span, k.phrase, k.item, k.id DESC
"""
_CALIBRATION = text(
    f"""
WITH reviewed AS MATERIALIZED ({_REVIEWED}), latest AS MATERIALIZED ({_LATEST})
SELECT 'calls' AS kind, NULL AS key, NULL AS machine, NULL AS answer, NULL AS words,
    count(*) AS n
FROM reviewed
UNION ALL
SELECT 'question', q.key, NULL, NULL, NULL, sum(q.value::int)
FROM reviewed, jsonb_each_text(reviewed.machine_questions) AS q
GROUP BY q.key
UNION ALL
SELECT 'item', m.key, m.value, reviewed.items ->> m.key, NULL, count(*)
FROM reviewed, jsonb_each_text(reviewed.machine_items) AS m
GROUP BY m.key, m.value, reviewed.items ->> m.key
UNION ALL
SELECT 'correction:' || target, NULL, machine, answer, lower(words), count(*)
FROM latest
GROUP BY target, machine, answer, lower(words)
"""
)


def calibration_counts(
    session: Session,
    organisation_id: str,
    checklist: str,
    start: datetime | None,
    end: datetime | None,
    team_id: str | None,
) -> Sequence[Any]:
    """In one statement, over the reviewed calls of a checklist: their number; the machine's
    questions per category; each item's (machine, corrected) pass or fail with counts; and
    the latest correction of each target grouped by (target, machine, answer, words)."""
    params = {"org": organisation_id, "checklist": checklist, "start": start, "end": end}
    return session.execute(_CALIBRATION, params | {"team": team_id}).all()
