"""Ingest: score calls, store each with its questions, violations and roll-up, idempotently.

One flow serves a single call and a batch of a thousand. Items are scored first (CPU), then
written set-based inside a SAVEPOINT; if the database refuses that bulk write, each item is
retried in its own SAVEPOINT so one bad item never takes the good ones down and no call is
ever stored without its children. The session scope of the caller commits; this module only
flushes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from app.db import repositories as repo
from app.db.repositories import CallKey
from app.services import records
from app.services.errors import CallqaError, Conflict, InvalidInput
from app.services.records import ScoredCall
from app.services.schemas import CallIn
from app.services.scoring import score_request

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """What became of one call: 201 stored, 200 already stored, or an error status."""

    index: int
    status: int
    external_id: str | None = None
    call_id: int | None = None
    error: CallqaError | None = None
    score: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class IngestedCall:
    """The answer to a single-call ingest."""

    created: bool
    id: int
    external_id: str
    manager_id: str
    team_id: str | None
    started_at: datetime
    score: dict[str, Any]


def score_call(call: CallIn) -> ScoredCall:
    """Score a validated call; raises the family member that says why it cannot be."""
    result = score_request(call)
    return ScoredCall(
        call=call,
        content_hash=call.content_hash(),
        score=result.to_dict(),
        utterances=records.utterance_rows(result.transcript.utterances),
    )


def _store(session: Session, batch: Sequence[ScoredCall]) -> dict[CallKey, int]:
    """Insert new calls and, for exactly those inserted, their children and roll-ups."""
    ids = repo.insert_calls(session, [records.call_row(s) for s in batch])
    stored = [(ids[s.key], s) for s in batch if s.key in ids]
    repo.insert_questions(session, [r for cid, s in stored for r in records.question_rows(cid, s)])
    repo.insert_violations(
        session, [r for cid, s in stored for r in records.violation_rows(cid, s)]
    )
    repo.upsert_rollups(session, records.merge_rollups([records.rollup_delta(s) for _, s in stored]))
    return ids


def _refused(exc: DBAPIError) -> CallqaError:
    """A database refusal of one item's values (not an outage) as a 422."""
    diag = getattr(exc.orig, "diag", None)
    reason = getattr(diag, "message_primary", None) or str(exc.orig)
    return InvalidInput.at("", f"the database refused this call: {reason}")


def _store_each(
    session: Session, batch: Sequence[ScoredCall], failed: dict[CallKey, CallqaError]
) -> dict[CallKey, int]:
    """Fallback after a bulk failure: one SAVEPOINT per item, isolating the bad ones."""
    ids: dict[CallKey, int] = {}
    for scored in batch:
        try:
            with session.begin_nested():
                ids.update(_store(session, [scored]))
        except (DataError, IntegrityError) as exc:
            log.warning("call %s refused by the database: %s", scored.key, exc.orig)
            failed[scored.key] = _refused(exc)
    return ids


def _store_all(
    session: Session, batch: Sequence[ScoredCall]
) -> tuple[dict[CallKey, int], dict[CallKey, CallqaError]]:
    failed: dict[CallKey, CallqaError] = {}
    try:
        with session.begin_nested():
            return _store(session, batch), failed
    except (DataError, IntegrityError) as exc:
        if len(batch) == 1:
            failed[batch[0].key] = _refused(exc)
            return {}, failed
    return _store_each(session, batch, failed), failed


def ingest_many(session: Session, items: Sequence[CallIn | CallqaError]) -> list[ItemOutcome]:
    """Ingest calls (or pass through their validation errors); outcomes in input order."""
    outcomes: dict[int, ItemOutcome] = {}
    first: dict[CallKey, tuple[int, ScoredCall]] = {}
    repeats: list[tuple[int, ScoredCall]] = []
    for index, item in enumerate(items):
        if isinstance(item, CallqaError):
            outcomes[index] = ItemOutcome(index, item.status, error=item)
            continue
        try:
            scored = score_call(item)
        except CallqaError as exc:
            outcomes[index] = ItemOutcome(index, exc.status, item.external_id, error=exc)
            continue
        if scored.key in first:
            repeats.append((index, scored))
        else:
            first[scored.key] = (index, scored)

    ids, failed = _store_all(session, [s for _, s in first.values()])
    for key, error in failed.items():
        index = first[key][0]
        outcomes[index] = ItemOutcome(index, error.status, key[1], error=error)
    for key, call_id in ids.items():
        index, scored = first[key]
        outcomes[index] = ItemOutcome(index, 201, key[1], call_id, score=scored.score)

    # Calls already stored (before, or by a concurrent request) and repeats within the batch.
    pending = [(i, s) for k, (i, s) in first.items() if k not in ids and k not in failed]
    pending += repeats
    existing = repo.get_existing(session, {s.key for _, s in pending})
    for index, scored in pending:
        found = existing.get(scored.key)
        if found is None:
            lost = Conflict("an earlier item with this external_id was not stored")
            outcomes[index] = ItemOutcome(index, lost.status, scored.key[1], error=lost)
        elif found[1] == scored.content_hash:
            outcomes[index] = ItemOutcome(index, 200, scored.key[1], found[0])
        else:
            clash = Conflict.at(
                "/external_id",
                "a call with this external_id was already stored with different content",
            )
            outcomes[index] = ItemOutcome(index, clash.status, scored.key[1], found[0], clash)
    return [outcomes[i] for i in range(len(items))]


def ingest_call(session: Session, call: CallIn) -> IngestedCall:
    """Ingest one call; raise its error, or answer with the new or the already stored call."""
    outcome = ingest_many(session, [call])[0]
    if outcome.error is not None:
        raise outcome.error
    assert outcome.call_id is not None
    if outcome.score is not None:
        return IngestedCall(
            True,
            outcome.call_id,
            call.external_id,
            call.manager_id,
            call.team_id,
            call.started_at,
            outcome.score,
        )
    row = repo.get_calls_brief(session, [outcome.call_id])[outcome.call_id]
    return IngestedCall(
        False,
        row.id,
        row.external_id,
        row.manager_id,
        row.team_id,
        records.with_offset(row.started_at, row.started_at_offset_min),
        row.score,
    )
