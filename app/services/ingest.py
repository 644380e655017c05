"""Ingest: score calls, store each with its questions, violations and roll-up, idempotently.

A batch of up to a thousand is scored (CPU) and written set-based a chunk at a time, each
chunk in a transaction of its own (opened by the caller's session scope, which commits) with a
SAVEPOINT around its bulk writes; if the database refuses a bulk write, each of its items is
retried in its own SAVEPOINT, so one bad item never takes the good ones down. A single call is
written the same way, as a chunk of one (`call_writes.store_calls`: the calls' INSERT, then
their questions, violations and roll-up deltas in one round trip). No call is ever committed
without its questions, violations and roll-ups, and no transaction is open while calls are
scored. This module only flushes; the scope commits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from app.db import call_writes
from app.db import calls as repo
from app.db.calls import CallKey
from app.db.models import CALL_SCORE_VERSION_KEY
from app.db.session import SessionScope, is_transient
from app.engine import Checklist
from app.engine.masking import masker
from app.i18n import _
from app.services import records
from app.services.checklists import ChecklistFinder
from app.services.errors import (
    CallqaError,
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    ServiceUnavailable,
)
from app.services.masking import masking_for
from app.services.records import ScoredCall
from app.services.schemas import CallIn
from app.services.scoring import score_request
from app.tenancy import LOCAL, Tenant

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


def score_call(
    call: CallIn,
    checklist: Checklist,
    max_words: int | None = None,
    *,
    tenant: Tenant = LOCAL,
) -> ScoredCall:
    """Score a validated call; raises the family member that says why it cannot be. Where the
    organisation masks personal data, the call is scored first and stored masked: the same
    score, and the content hash of the call as sent (a retry still finds it)."""
    result = score_request(call, checklist, max_words)
    content_hash = call.content_hash()
    if masking_for(tenant):
        mask = masker(checklist)
        result = mask.mask_result(result)
        call = call.model_copy(update={"transcript": mask.mask_value(call.transcript)})
    return ScoredCall(
        call=call,
        content_hash=content_hash,
        result=result,
        score=result.to_dict(),
        utterances=records.utterance_rows(result.transcript.utterances),
    )


def _store(session: Session, batch: Sequence[ScoredCall], tenant: Tenant) -> dict[CallKey, int]:
    """Insert new calls and, for exactly those inserted, their questions, violations and
    roll-up deltas (the one write path)."""
    org = tenant.organisation_id
    return call_writes.store_calls(session, [records.call_rows(s, org) for s in batch])


def _not_their_team() -> Forbidden:
    return Forbidden.at("/team_id", _("this key may post calls of its own teams only"))


def _erased() -> Gone:
    return Gone.at(
        "/external_id", _("the call with this external_id was erased; it is not stored again")
    )


def _refused(exc: DBAPIError) -> CallqaError:
    """A database refusal of one item's values (not an outage) as a 422; its checklist version
    deleted while it was being scored, as a 409 to send it again."""
    diag = getattr(exc.orig, "diag", None)
    if getattr(diag, "constraint_name", None) == CALL_SCORE_VERSION_KEY:
        return Conflict(
            _(
                "the checklist version this call was scored with was deleted meanwhile; "
                "send it again"
            )
        )
    reason = getattr(diag, "message_primary", None) or str(exc.orig)
    return InvalidInput.at("", _("the database refused this call: %(reason)s", reason=reason))


def _store_each(
    session: Session,
    batch: Sequence[ScoredCall],
    failed: dict[CallKey, CallqaError],
    tenant: Tenant,
) -> dict[CallKey, int]:
    """Fallback after a bulk failure: one SAVEPOINT per item, isolating the bad ones."""
    ids: dict[CallKey, int] = {}
    for scored in batch:
        try:
            with session.begin_nested():
                ids.update(_store(session, [scored], tenant))
        except (DataError, IntegrityError) as exc:
            # Not exc.orig: its DETAIL can quote the whole row, transcript included.
            failed[scored.key] = _refused(exc)
            log.warning("call %s: %s", scored.key, failed[scored.key].detail)
    return ids


def _store_all(
    session: Session, batch: Sequence[ScoredCall], tenant: Tenant
) -> tuple[dict[CallKey, int], dict[CallKey, CallqaError]]:
    """Store a chunk in a SAVEPOINT, so a refusal leaves the transaction usable; after a
    refusal, each item in its own."""
    failed: dict[CallKey, CallqaError] = {}
    try:
        with session.begin_nested():
            return _store(session, batch, tenant), failed
    except (DataError, IntegrityError) as exc:
        if len(batch) == 1:
            failed[batch[0].key] = _refused(exc)
            return {}, failed
    return _store_each(session, batch, failed, tenant), failed


def _clash() -> Conflict:
    return Conflict.at(
        "/external_id",
        _("a call with this external_id was already stored with different content"),
    )


def _resolve(
    session: Session,
    pending: list[tuple[int, CallKey, str]],
    outcomes: dict[int, ItemOutcome],
    first_failure: dict[CallKey, ItemOutcome],
    tenant: Tenant,
) -> None:
    """Outcomes of calls not inserted: stored before (200 or 409), or repeats in the batch
    (answered like the first item of their key when that one was not stored)."""
    existing = repo.get_existing(session, {key for _, key, _ in pending}, tenant)
    for index, key, content_hash in pending:
        found = existing.get(key)
        if found is None:
            first = first_failure.get(key)
            error = (
                first.error
                if first and first.error
                else Conflict(_("an earlier item with this external_id was not stored"))
            )
            outcomes[index] = ItemOutcome(index, error.status, key[1], error=error)
        elif found[1] == content_hash:
            outcomes[index] = ItemOutcome(index, 200, key[1], found[0])
        else:
            clash = _clash()
            outcomes[index] = ItemOutcome(index, clash.status, key[1], found[0], clash)


def _key(item: CallIn | CallqaError) -> CallKey:
    return ("", "") if isinstance(item, CallqaError) else (item.source, item.external_id)


def _store_chunk(
    session: Session,
    fresh: Sequence[tuple[int, ScoredCall]],
    outcomes: dict[int, ItemOutcome],
    tenant: Tenant,
) -> list[tuple[int, CallKey, str]]:
    """Store one chunk with its roll-ups (one transaction); the items found stored before.
    Of the calls not inserted, those the organisation erased are refused (410)."""
    ids, failed = _store_all(session, [s for _, s in fresh], tenant)
    left = [s.key for _, s in fresh if s.key not in ids and s.key not in failed]
    failed |= {key: _erased() for key in repo.erased(session, left, tenant)}
    stored_before: list[tuple[int, CallKey, str]] = []
    for index, scored in fresh:
        key = scored.key
        if key in ids:
            outcomes[index] = ItemOutcome(index, 201, key[1], ids[key])
        elif key in failed:
            outcomes[index] = ItemOutcome(index, failed[key].status, key[1], error=failed[key])
        else:  # stored before, or by a concurrent request that won the race
            stored_before.append((index, key, scored.content_hash))
    return stored_before


def _checklists(
    scope: SessionScope,
    items: Sequence[CallIn | CallqaError],
    chunk: Sequence[int],
    outcomes: dict[int, ItemOutcome],
    tenant: Tenant,
) -> dict[int, Checklist]:
    """The checklist of each call of a chunk, found in a short transaction of its own (the
    calls are then scored with none open); an item whose checklist is unknown gets its error,
    so does an item that failed validation or is of a team the tenant may not post for."""
    found: dict[int, Checklist] = {}
    with scope() as session:
        finder = ChecklistFinder(session, tenant)
        for index in chunk:
            item = items[index]
            if isinstance(item, CallqaError):
                outcomes[index] = ItemOutcome(index, item.status, error=item)
                continue
            if not tenant.sees_team(item.team_id):
                error = _not_their_team()
                outcomes[index] = ItemOutcome(index, error.status, item.external_id, error=error)
                continue
            try:
                found[index] = finder.for_request(item)
            except CallqaError as exc:
                outcomes[index] = ItemOutcome(index, exc.status, item.external_id, error=exc)
    return found


def _busy(index: int, key: CallKey) -> ItemOutcome:
    error = ServiceUnavailable(_("the database was too busy to store this call in time; retry it"))
    return ItemOutcome(index, error.status, key[1], error=error)


def ingest_many(
    scope: SessionScope,
    items: Sequence[CallIn | CallqaError],
    max_words: int | None = None,
    *,
    tenant: Tenant = LOCAL,
) -> list[ItemOutcome]:
    """Ingest calls (or pass through their validation errors); outcomes in input order.

    Items are scored CHUNK at a time with no transaction open, then each chunk is stored with
    its roll-ups in a transaction of its own (`scope`), so a batch of a thousand never holds
    a thousand scores in memory, nor its locks for longer than one chunk's writes. Locks are
    taken in one global order, here and in the single-call path: calls in (source,
    external_id) order, then the roll-ups in sorted upserts (slots, their days, the phrase hits
    per day and month). A chunk that cannot get its locks or a connection in time is rolled
    back and its items answered 503 — retried, they are stored once.
    """
    outcomes: dict[int, ItemOutcome] = {}
    seen: set[CallKey] = set()
    pending: list[tuple[int, CallKey, str]] = []
    first_failure: dict[CallKey, ItemOutcome] = {}
    order = sorted(range(len(items)), key=lambda i: _key(items[i]))  # stable: first wins
    for start in range(0, len(order), CHUNK):
        chunk = order[start : start + CHUNK]
        checklists = _checklists(scope, items, chunk, outcomes, tenant)
        fresh: list[tuple[int, ScoredCall]] = []
        for index in chunk:
            item = items[index]
            if isinstance(item, CallqaError) or index in outcomes:
                continue
            try:
                scored = score_call(item, checklists[index], max_words, tenant=tenant)
            except CallqaError as exc:
                outcomes[index] = ItemOutcome(index, exc.status, item.external_id, error=exc)
                continue
            if scored.key in seen:  # a repeat within the batch: resolved against the first
                pending.append((index, scored.key, scored.content_hash))
            else:
                seen.add(scored.key)
                fresh.append((index, scored))
        try:
            with scope() as session:
                pending += _store_chunk(session, fresh, outcomes, tenant)
        except (DBAPIError, PoolTimeout) as exc:
            if not is_transient(exc):
                raise
            log.warning("a batch chunk of %d calls was not stored in time: %s", len(fresh), exc)
            for index, scored in fresh:
                outcomes[index] = first_failure[scored.key] = _busy(index, scored.key)
    if pending:
        with scope() as session:
            _resolve(session, pending, outcomes, first_failure, tenant)
    return [outcomes[i] for i in range(len(items))]


def ingest_call(
    session: Session, call: CallIn, max_words: int | None = None, *, tenant: Tenant = LOCAL
) -> IngestedCall:
    """Ingest one call for `tenant`; raise its error, or answer with the new or the already
    stored call.

    Written the same way as a batch (`call_writes.store_calls`); a call already stored is
    answered from the database: the same content is a 200, other content a 409; a call the
    organisation erased, a 410.
    """
    if not tenant.sees_team(call.team_id):
        raise _not_their_team()
    checklist = ChecklistFinder(session, tenant).for_request(call)
    scored = score_call(call, checklist, max_words, tenant=tenant)
    try:
        call_id = _store(session, [scored], tenant).get(scored.key)
    except (DataError, IntegrityError) as exc:
        raise _refused(exc) from exc
    if call_id is not None:
        return IngestedCall(
            True, call_id, call.external_id, call.manager_id, call.team_id, call.started_at,
            scored.score,
        )  # fmt: skip
    if repo.erased(session, [scored.key], tenant):
        raise _erased()
    # Stored before: ON CONFLICT waited for any concurrent writer of this key, so it is there.
    call_id, content_hash = repo.get_existing(session, [scored.key], tenant)[scored.key]
    if content_hash != scored.content_hash:
        raise _clash()
    row = repo.get_calls_brief(session, [call_id], tenant)[call_id]
    return IngestedCall(
        False,
        row.id,
        row.external_id,
        row.manager_id,
        row.team_id,
        records.with_offset(row.started_at, row.started_at_offset_min),
        row.score,
    )
