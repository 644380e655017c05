"""Scoring stored calls again under a checklist version, beside their old scores.

The call for the rescoring job: it adds a version's scores and never overwrites one, and is
idempotent per (call, version), so a job killed mid-way and run again counts no call twice.
A call newly scored adds its score to the version's roll-up series, and to the latest series
the difference from the latest score it had under the checklist (`call_writes.series_deltas`);
a call with corrections, its scores as the roll-ups hold them, corrected
(`corrections.held_score`).

Three steps, so that no transaction stays open (holding row locks, or cut by
idle_in_transaction_session_timeout on a busy machine) while the CPU scores: `read_calls`
reads the texts, `score_calls` scores them with no database, `store_scores` writes them in a
transaction of its own. It locks the calls first (`calls.lock_calls`) and reads their latest
scores only then, so rescorings of the same calls under two versions at once take turns, each
replacing the score the other added; a call given the version's score meanwhile is not
counted again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.db import call_writes
from app.db import calls as repo
from app.db import corrections as corrections_db
from app.db.call_writes import RollupDelta
from app.db.calls import LatestScore, RescoreText
from app.db.models import CallCorrection
from app.engine import Checklist, EngineError, score
from app.engine.speakers import GIVEN
from app.services import corrections
from app.services.records import score_delta, stored_delta
from app.tenancy import DEFAULT_ORGANISATION


@dataclass(frozen=True, slots=True)
class RescoreCounts:
    """What became of the calls asked for: newly scored, scored under the version before,
    or skipped (no such call, its transcript gone, or one the engine cannot read)."""

    scored: int
    already: int
    skipped: int


@dataclass(frozen=True, slots=True)
class Scored:
    """Calls scored again, not stored yet: the score rows, and what became of the others."""

    texts: dict[int, RescoreText]
    rows: list[dict[str, Any]]
    already: int
    skipped: int


def rescore_calls(
    session: Session,
    call_ids: Sequence[int],
    rules: Checklist,
    organisation_id: str = DEFAULT_ORGANISATION,
) -> RescoreCounts:
    """Score the stored transcripts of `call_ids` under a checklist version (stored or
    built-in, as `services.checklists` resolves it) and add the scores, in the session's
    transaction; the counts of what became of them."""
    texts = read_calls(session, call_ids, rules, organisation_id)
    return store_scores(session, score_calls(texts, len(set(call_ids)), rules), organisation_id)


def read_calls(
    session: Session,
    call_ids: Sequence[int],
    rules: Checklist,
    organisation_id: str = DEFAULT_ORGANISATION,
) -> list[RescoreText]:
    """The stored calls among `call_ids` as scoring them under `rules` needs them."""
    wanted = sorted(set(call_ids))
    return repo.rescore_texts(session, wanted, rules.key, rules.version, organisation_id)


def score_calls(texts: Sequence[RescoreText], asked: int, rules: Checklist) -> Scored:
    """Score the calls read (of `asked` calls) that lack the version's score; no database."""
    skipped, already, rows = asked - len(texts), 0, []
    for row in texts:
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
        rows.append(
            {
                "call_id": row.id,
                "checklist_key": result.checklist_key,
                "checklist_version": result.checklist_version,
                "total": result.total,
                "grade": result.grade,
                "score": result.to_dict(),  # once: the stored JSON and the roll-up delta's source
            }
        )
    return Scored({t.id: t for t in texts}, rows, already, skipped)


def store_scores(
    session: Session, scored: Scored, organisation_id: str = DEFAULT_ORGANISATION
) -> RescoreCounts:
    """Add the scores (in the session's transaction) with their roll-up deltas; the counts."""
    ids = [r["call_id"] for r in scored.rows]
    if not ids:
        return RescoreCounts(0, scored.already, scored.skipped)
    key, version = scored.rows[0]["checklist_key"], scored.rows[0]["checklist_version"]
    # Before reading their latest scores: a concurrent rescoring of the same calls under
    # another version must not subtract the same latest score from the latest series twice.
    repo.lock_calls(session, ids, organisation_id)
    latest = repo.latest_scores(session, ids, key, version, organisation_id)
    reviewed = corrections_db.corrections_of_calls(session, organisation_id, ids)
    new, gone, already = [], 0, scored.already
    deltas: dict[int, list[RollupDelta]] = {}
    for row in scored.rows:
        found = latest.get(row["call_id"])
        if found is None:  # removed since it was read (erasure)
            gone += 1
            continue
        if found.done:  # scored under the version since it was read
            already += 1
            continue
        new.append(row | {"organisation_id": organisation_id})
        call = scored.texts[row["call_id"]]
        fixes = reviewed.get(call.id, [])
        deltas[call.id] = _deltas(session, row["score"], call, found, fixes, organisation_id)
    added = call_writes.add_scores(session, new)
    call_writes.add_to_rollups(session, [d for i in sorted(added) for d in deltas[i]])
    return RescoreCounts(len(added), already + len(new) - len(added), scored.skipped + gone)


def _deltas(
    session: Session,
    score: dict[str, Any],
    call: RescoreText,
    found: LatestScore,
    reviewed: Sequence[CallCorrection],
    organisation_id: str,
) -> list[RollupDelta]:
    """What a call's new score adds to the roll-ups (`call_writes.series_deltas`): as scored,
    the latest score it replaces as read back reduced; for a call with corrections, both as
    the roll-ups hold them, corrected (`corrections.held_score`)."""
    at = (call.manager_id, call.team_id, call.started_at, organisation_id)
    if not reviewed:
        replaced = stored_delta(found.latest, *at) if found.latest else None
        return call_writes.series_deltas(score_delta(score, *at), replaced)

    def held(of: dict[str, Any]) -> RollupDelta:
        return score_delta(corrections.held_score(session, organisation_id, of, reviewed), *at)

    key = score["checklist"]["key"]
    before = repo.latest_score_json(session, call.id, key, organisation_id)
    return call_writes.series_deltas(held(score), held(before) if before else None)
