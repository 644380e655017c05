"""Scoring stored calls again under a checklist version, beside their old scores.

The call for the rescoring job: it adds a version's scores and never overwrites one, and is
idempotent per (call, version), so a job killed mid-way and run again counts no call twice.
Roll-ups are not yet kept per checklist version, so a version added here is not in trends
yet: its roll-up deltas (`records.rollup_delta` of each result) are to be written with
`call_writes.add_to_rollups` once the roll-up keys carry the version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.db import call_writes
from app.db import repositories as repo
from app.engine import Checklist, EngineError, score
from app.engine.speakers import GIVEN


@dataclass(frozen=True, slots=True)
class RescoreCounts:
    """What became of the calls asked for: newly scored, scored under the version before,
    or skipped (no such call, its transcript gone, or one the engine cannot read)."""

    scored: int
    already: int
    skipped: int


def rescore_calls(session: Session, call_ids: Sequence[int], rules: Checklist) -> RescoreCounts:
    """Score the stored transcripts of `call_ids` under a checklist version (stored or
    built-in, as `services.checklists` resolves it) and add the scores; the counts of what
    became of them."""
    wanted = set(call_ids)
    rows = repo.rescore_inputs(session, sorted(wanted), rules.key, rules.version)
    skipped, already, new = len(wanted) - len(rows), 0, []
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
        new.append(
            {
                "organisation_id": row.organisation_id,
                "call_id": row.id,
                "checklist_key": result.checklist_key,
                "checklist_version": result.checklist_version,
                "total": result.total,
                "grade": result.grade,
                "score": result.to_dict(),
            }
        )
    added = call_writes.add_scores(session, new)
    return RescoreCounts(len(added), already + len(new) - len(added), skipped)
