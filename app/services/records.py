"""Turning a scored call into the rows it is stored as (pure: no session, no I/O).

Kept apart from the ingest flow so the mapping from the score contract to table rows can be read
(and tested) on its own.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from app.db.call_writes import CallRows, RollupDelta
from app.db.calls import CallKey, StoredScore
from app.engine.result import ScoreResult
from app.services.schemas import CallIn
from app.tenancy import DEFAULT_ORGANISATION

ROLLUP_SLOT = timedelta(minutes=15)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ScoredCall:
    """A validated call with its score, ready to store."""

    call: CallIn
    content_hash: str
    result: ScoreResult
    score: dict[str, Any]  # the result's JSON contract, stored with the call
    utterances: list[dict[str, Any]]

    @property
    def key(self) -> CallKey:
        return (self.call.source, self.call.external_id)


def slot_start(moment: datetime) -> datetime:
    """The 15-minute UTC slot a moment falls in (exact for day buckets in any real zone)."""
    return _EPOCH + ((moment - _EPOCH) // ROLLUP_SLOT) * ROLLUP_SLOT


def offset_minutes(moment: datetime) -> int:
    """The UTC offset of an aware time, in minutes."""
    offset = moment.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def with_offset(moment: datetime, minutes: int) -> datetime:
    """A stored UTC time shown again in the offset the caller gave."""
    return moment.astimezone(timezone(timedelta(minutes=minutes)))


def raw_transcript(transcript: str | dict[str, Any] | list[Any]) -> str:
    """The transcript as received: the text itself, or the JSON text of a JSON transcript."""
    if isinstance(transcript, str):
        return transcript
    return json.dumps(transcript, ensure_ascii=False)


def utterance_rows(utterances: Any) -> list[dict[str, Any]]:
    """The engine's parsed utterances as JSON objects."""
    return [
        {"index": u.index, "speaker": u.speaker, "text": u.text, "start": u.start, "end": u.end}
        for u in utterances
    ]


def call_row(scored: ScoredCall) -> dict[str, Any]:
    """The `call` row."""
    c, score = scored.call, scored.score
    return {
        "source": c.source,
        "external_id": c.external_id,
        "manager_id": c.manager_id,
        "manager_name": c.manager_name,
        "team_id": c.team_id,
        "started_at": c.started_at,
        "started_at_offset_min": offset_minutes(c.started_at),
        "duration_s": c.duration_s,
        "format": score.get("format") or c.format,
        "transcript": raw_transcript(c.transcript),
        "content_hash": scored.content_hash,
        "utterances": scored.utterances,
        "metadata": c.metadata or {},
        "checklist_key": score["checklist"]["key"],
        "checklist_version": str(score["checklist"]["version"]),
        "total": score["total"],
        "grade": score["grade"],
        "score": score,
    }


def question_rows(result: ScoreResult) -> list[dict[str, Any]]:
    """One `call_question` row per question the manager asked (call_id added on write)."""
    return [
        {"utterance": q.utterance, "category": q.category, "text": q.text, "start_s": q.start}
        for q in result.questions
    ]


def _texts_by_index(scored: ScoredCall) -> dict[int, str]:
    """Utterance text per index, preferring the manager's turn where two share an index."""
    manager = scored.result.manager.speaker
    texts: dict[int, str] = {}
    for u in scored.utterances:
        if u["index"] not in texts or u["speaker"] == manager:
            texts[u["index"]] = u["text"]
    return texts


def violation_rows(scored: ScoredCall) -> list[dict[str, Any]]:
    """One `call_violation` row per forbidden-phrase hit, with its utterance's text."""
    violations = scored.result.violations
    texts = _texts_by_index(scored) if violations else {}
    return [
        {
            "utterance": v.utterance,
            "phrase": v.phrase,
            "matched": v.matched,
            "replacement": v.replacement,
            "utterance_text": texts.get(v.utterance),
            "start_s": v.start,
            "end_s": v.end,
        }
        for v in violations
    ]


def score_delta(
    score: dict[str, Any],
    manager_id: str,
    team_id: str | None,
    started_at: datetime,
    organisation_id: str = DEFAULT_ORGANISATION,
) -> RollupDelta:
    """What one call of the organisation with this score JSON (as scored, as stored, or
    corrected) adds to the roll-ups: the only place their rules live, for ingest, corrections
    and taking a stored call out again alike."""
    return RollupDelta(
        manager_id=manager_id,
        team_id=team_id or "",
        checklist_key=score["checklist"]["key"],
        checklist_version=score["checklist"]["version"],
        slot_start=slot_start(started_at),
        total=float(score["total"]),
        question_counts={c: int(n) for c, n in score["question_counts"].items()},
        violations=len(score["violations"]),
        item_passed={i["key"]: int(i["passed"]) for i in score["items"]},
        phrases=dict(Counter(v["phrase"] for v in score["violations"])),
        organisation_id=organisation_id,
    )


def stored_delta(
    score: StoredScore,
    manager_id: str,
    team_id: str | None,
    started_at: datetime,
    organisation_id: str = DEFAULT_ORGANISATION,
) -> RollupDelta:
    """What a stored score (read back reduced, as `StoredScore`) added to the roll-ups."""
    reduced = {
        "checklist": {"key": score.checklist_key, "version": score.checklist_version},
        "total": score.total,
        "question_counts": score.question_counts,
        "violations": [{"phrase": p} for p in score.phrases],
        "items": [{"key": k, "passed": n} for k, n in score.item_passed.items()],
    }
    return score_delta(reduced, manager_id, team_id, started_at, organisation_id)


def call_rows(scored: ScoredCall, organisation_id: str = DEFAULT_ORGANISATION) -> CallRows:
    """Everything an ingest writes for one call, in `organisation_id`."""
    c = scored.call
    return CallRows(
        key=scored.key,
        call=call_row(scored) | {"organisation_id": organisation_id},
        questions=question_rows(scored.result),
        violations=violation_rows(scored),
        delta=score_delta(scored.score, c.manager_id, c.team_id, c.started_at, organisation_id),
    )
