"""Scoring stored calls again under a checklist version, beside their old scores.

The call for the rescoring job: it adds a version's scores and never overwrites one, and is
idempotent per (call, version), so a job killed mid-way and run again counts no call twice.
A call newly scored adds its score to the version's roll-up series, and to the latest series
the difference from the latest score it had under the checklist (`call_writes.series_deltas`).
The calls are locked first (`calls.lock_calls`), so rescorings of the same calls under two
versions at once take turns, each replacing the score the other added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.db import call_writes
from app.db import calls as repo
from app.db.call_writes import RollupDelta
from app.engine import Checklist, EngineError, score
from app.engine.speakers import GIVEN
from app.services.records import score_delta, stored_delta
from app.tenancy import DEFAULT_ORGANISATION


@dataclass(frozen=True, slots=True)
class RescoreCounts:
    """What became of the calls asked for: newly scored, scored under the version before,
    or skipped (no such call, its transcript gone, or one the engine cannot read)."""

    scored: int
    already: int
    skipped: int


def rescore_calls(
    session: Session,
    call_ids: Sequence[int],
    rules: Checklist,
    organisation_id: str = DEFAULT_ORGANISATION,
) -> RescoreCounts:
    """Score the stored transcripts of `call_ids` under a checklist version (stored or
    built-in, as `services.checklists` resolves it) and add the scores; the counts of what
    became of them."""
    wanted = set(call_ids)
    # Before reading their latest scores: a concurrent rescoring of the same calls under
    # another version must not subtract the same latest score from the latest series twice.
    repo.lock_calls(session, sorted(wanted), organisation_id)
    rows = repo.rescore_inputs(session, sorted(wanted), rules.key, rules.version, organisation_id)
    skipped, already, new = len(wanted) - len(rows), 0, []
    deltas: dict[int, list[RollupDelta]] = {}
    for row in rows:
        if row.done:
            already += 1
            continue
        if not row.transcript:  # removed since (retention): nothing to score
            skipped += 1
            continue
        manager = row.manager or {}  # a manager named at ingest stays; any other is found again
        speaker = manager.get("speaker") if manager.get("reason") == GIVEN else None
        try:
            result = score(row.transcript, rules, format=row.format, manager_speaker=speaker)
        except EngineError:
            skipped += 1
            continue
        scored = result.to_dict()  # once: the stored JSON and the roll-up delta's source
        new.append(
            {
                "organisation_id": organisation_id,
                "call_id": row.id,
                "checklist_key": result.checklist_key,
                "checklist_version": result.checklist_version,
                "total": result.total,
                "grade": result.grade,
                "score": scored,
            }
        )
        at = (row.manager_id, row.team_id, row.started_at, organisation_id)
        replaced = stored_delta(row.latest, *at) if row.latest else None
        deltas[row.id] = call_writes.series_deltas(score_delta(scored, *at), replaced)
    added = call_writes.add_scores(session, new)
    call_writes.add_to_rollups(session, [d for i in sorted(added) for d in deltas[i]])
    return RescoreCounts(len(added), already + len(new) - len(added), skipped)
