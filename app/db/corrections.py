"""Queries of reviewers' corrections, reviews and the calibration they feed.

A call's corrections are written with its row locked (`lock_call`, FOR UPDATE) and before its
roll-ups are updated: the ingest's lock order (the call, then the roll-ups in key order). Its
`call_violation` rows follow its corrected ingest score in the same transaction (`set_hits`),
so every read of phrase hits agrees with the roll-ups.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, delete, func, insert, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from app.db.models import Call, CallCorrection, CallReview, CallViolation
from app.db.scope import CALL, visible
from app.tenancy import LOCAL, Tenant


def lock_call(session: Session, call_id: int, tenant: Tenant = LOCAL) -> Any:
    """The call's row (but transcript and utterances) locked for its corrections, with its
    utterances' indexes; None if the tenant may see no such call."""
    indexes = func.jsonb_path_query_array(Call.utterances, text("'$[*].index'::jsonpath"))
    stmt = (
        select(
            Call.organisation_id,
            Call.id,
            Call.manager_id,
            Call.team_id,
            Call.started_at,
            Call.checklist_key,
            Call.checklist_version,
            Call.score,
            indexes.label("indexes"),
        )
        .where(Call.id == call_id, *visible(CALL, tenant))
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


def corrections_of_calls(
    session: Session, organisation_id: str, call_ids: Sequence[int]
) -> dict[int, list[CallCorrection]]:
    """The corrections of those of `call_ids` that have any, each call's oldest first."""
    stmt = (
        select(CallCorrection)
        .where(
            CallCorrection.organisation_id == organisation_id,
            CallCorrection.call_id.in_(list(call_ids)),
        )
        .order_by(CallCorrection.call_id, CallCorrection.id)
    )
    found: dict[int, list[CallCorrection]] = {}
    for row in session.scalars(stmt):
        found.setdefault(row.call_id, []).append(row)
    return found


def add_corrections(session: Session, rows: Sequence[dict[str, Any]]) -> list[CallCorrection]:
    """Store corrections; the stored rows, with their ids and times."""
    stmt = insert(CallCorrection).returning(CallCorrection)
    return list(session.scalars(stmt, list(rows)))


def delete_corrections(
    session: Session, organisation_id: str, call_id: int, correction_ids: Sequence[int]
) -> int:
    """Delete some of a call's corrections; how many it had."""
    stmt = (
        delete(CallCorrection)
        .where(
            CallCorrection.organisation_id == organisation_id,
            CallCorrection.call_id == call_id,
            CallCorrection.id.in_(list(correction_ids)),
        )
        .returning(CallCorrection.id)
    )
    return len(session.execute(stmt).all())


# A corrected call's phrase hits not stored yet, each with its utterance's text (the manager's
# turn where two share the index, as an ingest stores it).
_INSERT_HITS = text(
    """
INSERT INTO call_violation (organisation_id, call_id, utterance, phrase, matched, replacement,
    utterance_text, start_s, end_s)
SELECT c.organisation_id, c.id, h.utterance, h.phrase, h.matched, h.replacement,
    (SELECT u.value->>'text'
        FROM jsonb_array_elements(c.utterances) WITH ORDINALITY AS u(value, n)
        WHERE (u.value->>'index')::int = h.utterance
        ORDER BY (u.value->>'speaker' = c.score->'manager'->>'speaker') DESC NULLS LAST, u.n
        LIMIT 1),
    h.start_s, h.end_s
FROM call AS c
CROSS JOIN jsonb_to_recordset(CAST(:hits AS jsonb)) AS h(utterance integer, phrase text,
    matched text, replacement text, start_s float8, end_s float8)
WHERE c.organisation_id = :org AND c.id = :call
ORDER BY h.utterance
"""
)


def set_hits(
    session: Session, organisation_id: str, call_id: int, hits: Sequence[dict[str, Any]]
) -> None:
    """Bring a call's `call_violation` rows to the phrase hits of its corrected ingest score:
    rows of a hit no longer there deleted, hits not stored yet inserted (by utterance and
    phrase, the key a correction names), the others left as the ingest stored them."""
    v = CallViolation
    keys = {(int(h["utterance"]), str(h["phrase"])) for h in hits}
    of_call = (v.organisation_id == organisation_id, v.call_id == call_id)
    gone = delete(v).where(*of_call)
    if keys:
        gone = gone.where(tuple_(v.utterance, v.phrase).not_in(sorted(keys)))
    session.execute(gone)
    rows = session.execute(select(v.utterance, v.phrase).where(*of_call))
    stored = {(int(r.utterance), str(r.phrase)) for r in rows}
    new = [
        {
            "utterance": h["utterance"],
            "phrase": h["phrase"],
            "matched": h["matched"],
            "replacement": h["replacement"],
            "start_s": h.get("start"),
            "end_s": h.get("end"),
        }
        for h in hits
        if (int(h["utterance"]), str(h["phrase"])) not in stored
    ]
    if new:
        params = {"org": organisation_id, "call": call_id, "hits": json.dumps(new)}
        session.execute(_INSERT_HITS, params)


def save_review(session: Session, row: dict[str, Any]) -> CallReview:
    """Mark a call reviewed, or bring its review's reviewer, time and items up to date."""
    changing = [c for c in row if c not in ("organisation_id", "call_id")] + ["reviewed_at"]
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


# The reviewed calls a calibration covers; its filters are NULL when unset.
_REVIEWED = """
r.organisation_id = :org AND r.checklist_key = :checklist
    AND (CAST(:start AS timestamptz) IS NULL OR r.started_at >= :start)
    AND (CAST(:end AS timestamptz) IS NULL OR r.started_at < :end)
    AND (CAST(:team AS text) IS NULL OR r.team_id = :team)
    AND (CAST(:teams AS text[]) IS NULL OR r.team_id = ANY(CAST(:teams AS text[])))
"""
_SHAPES = text(
    f"""
SELECT max(cardinality(r.question_counts)),
    max(length(r.items) - length(replace(r.items, ' ', '')) + 1)  -- keys, not split per row
FROM call_review AS r WHERE {_REVIEWED}
"""
)


@lru_cache(maxsize=32)
def _tally_sql(categories: int, items: int) -> TextClause:
    """The reviews per (categories, items) shape: their number, the machine's questions per
    category slot, and per item bit the reviews both passed (`tp`), only the machine passed
    (`fp`) and only the reviewer passed (`fn`); integer sums, one scan."""
    sums = [f"sum(r.question_counts[{n + 1}])" for n in range(categories)]
    for bit in range(items):
        sums += [
            f"sum(((r.machine_passed & r.passed) >> {bit}) & 1)",
            f"sum(((r.machine_passed & ~r.passed) >> {bit}) & 1)",
            f"sum(((~r.machine_passed & r.passed) >> {bit}) & 1)",
        ]
    return text(
        f"SELECT r.categories, r.items, count(*), {', '.join(sums) or 'NULL'} "
        f"FROM call_review AS r WHERE {_REVIEWED} GROUP BY r.categories, r.items"
    )


# The corrections of the reviewed calls (one per target: a new one replaces the old), with
# the reviewer's answer in the words of `machine` (a category or 'none', 'violation' or
# 'none', 'passed' or 'failed'), counted by (target, machine, answer, words).
_CORRECTIONS = text(
    f"""
SELECT k.target, k.machine,
    CASE k.target
        WHEN 'question' THEN CASE WHEN k.valid IS false THEN 'none'
                                  ELSE coalesce(k.category, k.machine) END
        WHEN 'violation' THEN CASE WHEN k.valid THEN 'violation' ELSE 'none' END
        ELSE CASE WHEN k.passed THEN 'passed' ELSE 'failed' END
    END AS answer,
    lower(k.words) AS words, count(*) AS n
FROM call_correction AS k
JOIN call_review AS r ON r.organisation_id = k.organisation_id AND r.call_id = k.call_id
WHERE {_REVIEWED}
GROUP BY 1, 2, 3, 4
"""
)


@dataclass(frozen=True, slots=True)
class Shape:
    """Reviews of one (categories, items) shape: their number, the machine's questions per
    category, and per item (tp, fp, fn) flattened: both passed, only the machine, only people."""

    categories: list[str]
    items: list[str]
    reviews: int
    questions: list[int]
    verdicts: list[int]


def calibration_tally(
    session: Session,
    tenant: Tenant,
    checklist: str,
    *,
    start: datetime | None,
    end: datetime | None,
    team_id: str | None,
) -> tuple[list[Shape], Sequence[Any]]:
    """Over the tenant's reviewed calls of a checklist that started in [start, end) (of one
    team): per shape (category keys, item keys) the reviews' number and sums (`_tally_sql`),
    and their corrections counted by (target, machine, answer, words). A tenant narrowed to
    teams counts only those teams' calls."""
    teams = None if tenant.teams is None else sorted(tenant.teams)
    params: dict[str, Any] = {"org": tenant.organisation_id, "checklist": checklist}
    params |= {"team": team_id, "teams": teams, "start": start, "end": end}
    categories, items = session.execute(_SHAPES, params).one()
    shapes = []
    if categories is not None:
        for row in session.execute(_tally_sql(categories, items or 0), params):
            sums = [int(v or 0) for v in row[3:]]
            shapes.append(
                Shape(
                    row[0].split(),
                    row[1].split(),
                    int(row[2]),
                    sums[:categories],
                    sums[categories:],
                )
            )
    return shapes, session.execute(_CORRECTIONS, params).all()
