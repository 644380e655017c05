"""Calls whose texts retention removed before lose the words their scores still quoted.

Retention emptied evidence, question and phrase-hit texts but left the words an evidence note
quotes after its part code («name: меня зовут», a manager's name) and the longest monologue's
text. Retention now removes them too; this applies the same to the calls it had already done.
Going down puts nothing back: the words are gone, as retention means them to be.

Revision ID: 2026_12_06_0400
Revises: 2026_12_05_0200
Create Date: 2026-12-06 04:00:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_06_0400"
down_revision: str | None = "2026_12_05_0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A score (`SCORE`) with its notes' quoted words and the longest monologue's text emptied.
_WITHOUT_WORDS = """jsonb_set(jsonb_set(SCORE,
    '{items}', coalesce((SELECT jsonb_agg(i || jsonb_build_object('evidence', coalesce((
        SELECT jsonb_agg(e || CASE WHEN e->>'note' ~ '^[a-z_]+: '
            THEN jsonb_build_object('note', substring(e->>'note' FROM '^[a-z_]+: ')) ELSE '{}' END)
        FROM jsonb_array_elements(i->'evidence') e), '[]'::jsonb)))
        FROM jsonb_array_elements(SCORE->'items') i), '[]'::jsonb)),
    '{metrics,longest_monologue_text}', '""', false)"""


def upgrade() -> None:
    op.execute(
        f"UPDATE call SET score = {_WITHOUT_WORDS.replace('SCORE', 'score')}"
        " WHERE transcript_removed_at IS NOT NULL"
    )
    op.execute(
        f"UPDATE call_score AS s SET score = {_WITHOUT_WORDS.replace('SCORE', 's.score')}"
        " FROM call AS c WHERE c.organisation_id = s.organisation_id AND c.id = s.call_id"
        " AND c.transcript_removed_at IS NOT NULL AND s.score IS NOT NULL"
    )


def downgrade() -> None:
    """Nothing to put back (see above); the schema is unchanged."""
