"""Ingest: score calls, store each with its questions, violations and roll-up, idempotently.

A batch of up to a thousand is scored (CPU) and written set-based a chunk at a time, each
chunk inside a SAVEPOINT; if the database refuses a bulk write, each of its items is retried in
its own SAVEPOINT, so one bad item never takes the good ones down. The roll-ups of every call
stored (slots, days, phrase hits per day and month) are upserted at the end, in the same
transaction. A single call is written with the same rows in one round trip, its latency being
what the platform waits for. Either way no call is ever committed without its questions,
violations and roll-ups. The caller's session scope commits; this module only flushes.
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
from app.services.checklists import ChecklistFinder
from app.services.errors import CallqaError, Conflict, InvalidInput
from app.services.records import ScoredCall
from app.services.schemas import CallIn
from app.services.scoring import score_request

log = logging.getLogger(__name__)

# Items scored and written per step of a batch: large enough for set-based writes, small
# enough that a 1,000-call batch keeps only this many scores in memory.
CHUNK = 50


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """What became of one call: 201 stored, 200 already stored, or an error status."""

    index: int
    status: int
    external_id: str | None = None
    call_id: int | None = None
    error: CallqaError | None = None


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


def score_call(call: CallIn, checklists: ChecklistFinder) -> ScoredCall:
    """Score a validated call; raises the family member that says why it cannot be."""
    result = score_request(call, checklists.for_request(call))
    return ScoredCall(
        call=call,
        content_hash=call.content_hash(),
        score=result.to_dict(),
        utterances=records.utterance_rows(result.transcript.utterances),
    )


def _store(session: Session, batch: Sequence[ScoredCall]) -> dict[CallKey, int]:
    """Insert new calls and, for exactly those inserted, their questions and violations."""
    ids = repo.insert_calls(session, [records.call_row(s) for s in batch])
    stored = [(ids[s.key], s) for s in batch if s.key in ids]
    repo.insert_questions(session, [r for cid, s in stored for r in records.question_rows(cid, s)])
    repo.insert_violations(
        session, [r for cid, s in stored for r in records.violation_rows(cid, s)]
    )
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
    """Store a chunk in a SAVEPOINT, so a refusal leaves the transaction usable; after a
    refusal, each item in its own."""
    failed: dict[CallKey, CallqaError] = {}
    try:
        with session.begin_nested():
            return _store(session, batch), failed
    except (DataError, IntegrityError) as exc:
        if len(batch) == 1:
            failed[batch[0].key] = _refused(exc)
            return {}, failed
    return _store_each(session, batch, failed), failed


def _clash() -> Conflict:
    return Conflict.at(
        "/external_id", "a call with this external_id was already stored with different content"
    )


def _resolve(
    session: Session, pending: list[tuple[int, CallKey, str]], outcomes: dict[int, ItemOutcome]
) -> None:
    """Outcomes of calls not inserted: stored before (200 or 409) or repeats in the batch."""
    existing = repo.get_existing(session, {key for _, key, _ in pending})
    for index, key, content_hash in pending:
        found = existing.get(key)
        if found is None:
            lost = Conflict("an earlier item with this external_id was not stored")
            outcomes[index] = ItemOutcome(index, lost.status, key[1], error=lost)
        elif found[1] == content_hash:
            outcomes[index] = ItemOutcome(index, 200, key[1], found[0])
        else:
            clash = _clash()
            outcomes[index] = ItemOutcome(index, clash.status, key[1], found[0], clash)


def _key(item: CallIn | CallqaError) -> CallKey:
    return ("", "") if isinstance(item, CallqaError) else (item.source, item.external_id)


def ingest_many(session: Session, items: Sequence[CallIn | CallqaError]) -> list[ItemOutcome]:
    """Ingest calls (or pass through their validation errors); outcomes in input order.

    Items are scored and stored CHUNK at a time, so a batch of a thousand never holds a
    thousand scores in memory at once. Locks are always taken in one global order, so
    overlapping concurrent batches wait for each other instead of deadlocking: calls go in
    (source, external_id) order, and the roll-ups of the whole batch in sorted upserts at the
    end (slots, their days, then the phrase hits per day and month).
    """
    outcomes: dict[int, ItemOutcome] = {}
    seen: set[CallKey] = set()
    pending: list[tuple[int, CallKey, str]] = []
    deltas: list[dict[str, Any]] = []
    hits: list[dict[str, Any]] = []
    order = sorted(range(len(items)), key=lambda i: _key(items[i]))  # stable: first wins
    checklists = ChecklistFinder(session)
    for start in range(0, len(order), CHUNK):
        fresh: list[tuple[int, ScoredCall]] = []
        for index in order[start : start + CHUNK]:
            item = items[index]
            if isinstance(item, CallqaError):
                outcomes[index] = ItemOutcome(index, item.status, error=item)
                continue
            try:
                scored = score_call(item, checklists)
            except CallqaError as exc:
                outcomes[index] = ItemOutcome(index, exc.status, item.external_id, error=exc)
                continue
            if scored.key in seen:  # a repeat within the batch: resolved against the first
                pending.append((index, scored.key, scored.content_hash))
            else:
                seen.add(scored.key)
                fresh.append((index, scored))
        ids, failed = _store_all(session, [s for _, s in fresh])
        for index, scored in fresh:
            key = scored.key
            if key in ids:
                deltas.append(records.rollup_delta(scored))
                hits += records.phrase_hits(scored)
                outcomes[index] = ItemOutcome(index, 201, key[1], ids[key])
            elif key in failed:
                outcomes[index] = ItemOutcome(index, failed[key].status, key[1], error=failed[key])
            else:  # stored before, or by a concurrent request that won the race
                pending.append((index, key, scored.content_hash))
    # Same transaction as the calls: a call is never committed without its roll-ups.
    repo.upsert_rollups(session, records.merge_rollups(deltas))
    repo.upsert_violation_rollups(session, hits)
    if pending:
        _resolve(session, pending, outcomes)
    return [outcomes[i] for i in range(len(items))]


def ingest_call(session: Session, call: CallIn) -> IngestedCall:
    """Ingest one call; raise its error, or answer with the new or the already stored call.

    One round trip writes the call with everything that goes with it (`repo.store_call`);
    a call already stored is answered from the database: the same content is a 200, other
    content a 409.
    """
    scored = score_call(call, ChecklistFinder(session))
    try:
        call_id = repo.store_call(
            session,
            records.call_row(scored),
            records.question_rows(0, scored),  # 0: the pipeline takes the id from the new row
            records.violation_rows(0, scored),
            records.rollup_delta(scored),
            records.phrase_hits(scored),
        )
    except (DataError, IntegrityError) as exc:
        raise _refused(exc) from exc
    if call_id is not None:
        return IngestedCall(
            True, call_id, call.external_id, call.manager_id, call.team_id, call.started_at,
            scored.score,
        )  # fmt: skip
    # Stored before: ON CONFLICT waited for any concurrent writer of this key, so it is there.
    call_id, content_hash = repo.get_existing(session, [scored.key])[scored.key]
    if content_hash != scored.content_hash:
        raise _clash()
    row = repo.get_calls_brief(session, [call_id])[call_id]
    return IngestedCall(
        False,
        row.id,
        row.external_id,
        row.manager_id,
        row.team_id,
        records.with_offset(row.started_at, row.started_at_offset_min),
        row.score,
    )
