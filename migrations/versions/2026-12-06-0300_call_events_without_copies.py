"""A call's webhook events no longer copy the call: their body is made from the call row when
sent.

Each `webhook_delivery` row of a call event held the call as its 201 answer shows it, its whole
score with it (~6.6 KB compressed, two or three events per call): compressed and written at
ingest for each event, read back for each delivery. Now `data` is NULL for the call events
written from here on (the call is `call_id`'s row, its score stored once); a job's events keep
theirs. Call events written before keep their `data` and are sent as they were written.

The downgrade writes the copies back into the rows without one (the call as the 201 answer
shows it, `started_at` in the offset the caller gave, as orjson writes a time) and deletes those
whose call is gone (there is nothing to send for them), as `data` is NOT NULL again.

Revision ID: 2026_12_06_0300
Revises: 2026_12_06_0100
Create Date: 2026-12-06 03:00:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_06_0300"
down_revision: str | None = "2026_12_06_0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The call's start time as the caller gave it: its local time at the stored offset, the
# microseconds only when there are any, and the offset as +HH:MM.
_STARTED_AT = """
    to_char(c.started_at AT TIME ZONE make_interval(mins => c.started_at_offset_min),
            'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN extract(microseconds FROM c.started_at)::bigint % 1000000 = 0 THEN ''
            ELSE to_char(c.started_at, '.US') END
    || CASE WHEN c.started_at_offset_min < 0 THEN '-' ELSE '+' END
    || lpad((abs(c.started_at_offset_min) / 60)::text, 2, '0') || ':'
    || lpad((abs(c.started_at_offset_min) % 60)::text, 2, '0')
"""


def upgrade() -> None:
    op.alter_column("webhook_delivery", "data", nullable=True)


def downgrade() -> None:
    op.execute(
        f"""
        UPDATE webhook_delivery AS d SET data = jsonb_build_object(
            'id', c.id, 'external_id', c.external_id, 'manager_id', c.manager_id,
            'team_id', c.team_id, 'started_at', {_STARTED_AT}, 'score', c.score)
        FROM call AS c
        WHERE d.data IS NULL AND c.organisation_id = d.organisation_id AND c.id = d.call_id
        """
    )
    op.execute("DELETE FROM webhook_delivery WHERE data IS NULL")
    op.alter_column("webhook_delivery", "data", nullable=False)
