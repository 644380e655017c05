"""Retention's queries: which organisations there are, and removing the texts of a batch of old
calls in place (transcript, utterances, question and evidence texts and the words evidence
notes quote, the words of phrase hits, the longest monologue), keeping every number, score and
roll-up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session


def organisations(session: Session) -> list[tuple[str, int | None]]:
    """Every organisation with its own retention period (None: the global one), from the
    organisation table (not tenant data, so row-level security does not hide it)."""
    rows = session.execute(text("SELECT id, retention_days FROM organisation ORDER BY id"))
    return [(r.id, r.retention_days) for r in rows]


# A score's JSON (`SCORE`, replaced by the column) with its texts emptied, the keys kept so the
# score's contract holds: the evidence and question texts, the words an evidence note quotes
# after its part code (`name: меня зовут` becomes `name: `; a phrase's note holds the
# checklist's words and stays), the words of the phrase hits and the longest monologue's text.
_WITHOUT_TEXTS = """jsonb_set(jsonb_set(jsonb_set(jsonb_set(SCORE,
    '{items}', coalesce((SELECT jsonb_agg(i || jsonb_build_object('evidence', coalesce((
        SELECT jsonb_agg(e || '{"text": ""}' || CASE WHEN e->>'note' ~ '^[a-z_]+: '
            THEN jsonb_build_object('note', substring(e->>'note' FROM '^[a-z_]+: ')) ELSE '{}' END)
        FROM jsonb_array_elements(i->'evidence') e), '[]'::jsonb)))
        FROM jsonb_array_elements(SCORE->'items') i), '[]'::jsonb)),
    '{questions}', coalesce((SELECT jsonb_agg(q || '{"text": ""}')
        FROM jsonb_array_elements(SCORE->'questions') q), '[]'::jsonb)),
    '{violations}', coalesce((SELECT jsonb_agg(v || '{"matched": ""}')
        FROM jsonb_array_elements(SCORE->'violations') v), '[]'::jsonb)),
    '{metrics,longest_monologue_text}', '""', false)"""

_EXPIRE = text(
    f"""
WITH old AS (
    SELECT id FROM call
    WHERE organisation_id = :org AND started_at < :before AND transcript_removed_at IS NULL
    ORDER BY id LIMIT :limit FOR UPDATE
), calls AS (
    UPDATE call AS c SET transcript = '', utterances = '[]'::jsonb,
        score = {_WITHOUT_TEXTS.replace("SCORE", "c.score")}, transcript_removed_at = now()
    FROM old WHERE c.organisation_id = :org AND c.id = old.id
    RETURNING c.id
), scores AS (
    UPDATE call_score AS s SET score = {_WITHOUT_TEXTS.replace("SCORE", "s.score")}
    FROM calls WHERE s.organisation_id = :org AND s.call_id = calls.id AND s.score IS NOT NULL
), questions AS (
    UPDATE call_question AS q SET text = ''
    FROM calls WHERE q.organisation_id = :org AND q.call_id = calls.id
), hits AS (
    UPDATE call_violation AS v SET utterance_text = NULL, matched = ''
    FROM calls WHERE v.organisation_id = :org AND v.call_id = calls.id
)
SELECT count(*) FROM calls
"""
)
_COUNT = text(
    """
SELECT count(*) FROM call
WHERE organisation_id = :org AND started_at < :before AND transcript_removed_at IS NULL
"""
)


def remove_texts(session: Session, organisation_id: str, before: datetime, limit: int) -> int:
    """Remove the texts of up to `limit` calls of the organisation started before `before`
    whose texts are still there; how many."""
    params = {"org": organisation_id, "before": before, "limit": limit}
    return int(session.execute(_EXPIRE, params).scalar_one())


def count_expired(session: Session, organisation_id: str, before: datetime) -> int:
    """How many of the organisation's calls started before `before` still have their texts."""
    return int(session.execute(_COUNT, {"org": organisation_id, "before": before}).scalar_one())
