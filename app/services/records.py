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

from app.db.repositories import CallKey
from app.services.schemas import CallIn

ROLLUP_SLOT = timedelta(minutes=15)
# Roll-up columns that are {key: count} maps (by category key, by item key).
COUNT_MAPS = ("question_counts", "item_passed")
_ROLLUP_KEY = ("manager_id", "team_id", "checklist_key", "slot_start")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ScoredCall:
    """A validated call with its score, ready to store."""

    call: CallIn
    content_hash: str
    score: dict[str, Any]
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


def question_rows(call_id: int, scored: ScoredCall) -> list[dict[str, Any]]:
    """One `call_question` row per question in the score."""
    return [
        {
            "call_id": call_id,
            "utterance": q["utterance"],
            "category": q["category"],
            "text": q["text"],
            "start_s": q.get("start"),
        }
        for q in scored.score.get("questions", [])
    ]


def _texts_by_index(scored: ScoredCall) -> dict[int, str]:
    """Utterance text per index, preferring the manager's turn where two share an index."""
    manager = (scored.score.get("manager") or {}).get("speaker")
    texts: dict[int, str] = {}
    for u in scored.utterances:
        if u["index"] not in texts or u["speaker"] == manager:
            texts[u["index"]] = u["text"]
    return texts


def violation_rows(call_id: int, scored: ScoredCall) -> list[dict[str, Any]]:
    """One `call_violation` row per forbidden-phrase hit, with its utterance's text."""
    violations = scored.score.get("violations", [])
    texts = _texts_by_index(scored) if violations else {}
    return [
        {
            "call_id": call_id,
            "utterance": v["utterance"],
            "phrase": v["phrase"],
            "matched": v["matched"],
            "replacement": v.get("replacement"),
            "utterance_text": texts.get(v["utterance"]),
            "start_s": v.get("start"),
            "end_s": v.get("end"),
        }
        for v in violations
    ]


def rollup_delta(scored: ScoredCall) -> dict[str, Any]:
    """What one call adds to its manager's 15-minute slot."""
    score = scored.score
    counts = {c: int(n) for c, n in (score.get("question_counts") or {}).items()}
    delta: dict[str, Any] = {
        "manager_id": scored.call.manager_id,
        "team_id": scored.call.team_id or "",
        "checklist_key": score["checklist"]["key"],
        "slot_start": slot_start(scored.call.started_at),
        "calls": 1,
        "total_sum": float(score["total"]),
        "questions": sum(counts.values()),
        "violations": len(score.get("violations", [])),
        "question_counts": counts,
        "item_passed": {i["key"]: int(bool(i["passed"])) for i in score.get("items", [])},
    }
    return delta


def phrase_hits(scored: ScoredCall) -> list[dict[str, Any]]:
    """What one call adds to the violation day roll-up: its hits per phrase. The call's start,
    not its day: the day follows in the database, in the zone stored with the day rows."""
    said = Counter(v["phrase"] for v in scored.score.get("violations", []))
    call = scored.call
    return [
        {
            "manager_id": call.manager_id,
            "team_id": call.team_id or "",
            "checklist_key": scored.score["checklist"]["key"],
            "started_at": call.started_at,
            "phrase": phrase,
            "said": n,
        }
        for phrase, n in said.items()
    ]


def merge_rollups(deltas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sum deltas that share a slot: one upsert may not touch the same row twice."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for d in deltas:
        key = tuple(d[k] for k in _ROLLUP_KEY)
        into = merged.get(key)
        if into is None:
            merged[key] = {**d, **{name: dict(d[name]) for name in COUNT_MAPS}}
            continue
        for name in ("calls", "total_sum", "questions", "violations"):
            into[name] += d[name]
        for name in COUNT_MAPS:
            for k, n in d[name].items():
                into[name][k] = into[name].get(k, 0) + n
    return list(merged.values())
