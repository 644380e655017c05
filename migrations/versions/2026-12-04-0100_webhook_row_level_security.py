"""Row-level security on the webhooks and their outbox, as on every other tenant table
(migration 0805): a query that forgets its organisation filter sees, and writes, only the
webhooks and deliveries of its transaction's organisation. The job worker sends each delivery
in its event's organisation (the queued task carries it): tasks queued before, which name one
delivery only, get its organisation here; the downgrade splits tasks of several deliveries
back into one task per delivery, the form the code before this revision reads.

Revision ID: 2026_12_04_0100
Revises: 2026_12_03_0900
Create Date: 2026-12-04 01:00:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_04_0100"
down_revision: str | None = "2026_12_03_0900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "callqa_app"
TABLES = ("webhook", "webhook_delivery")
OWN = (
    "organisation_id = current_setting('callqa.organisation_id', true)"
    f" OR (current_user <> '{ROLE}' AND current_setting('callqa.maintenance', true) = 'on')"
)


TASK = "callqa.deliver_webhook"
_ADD_ORGANISATION = f"""
UPDATE procrastinate_jobs AS j
SET args = j.args || jsonb_build_object('organisation_id', d.organisation_id)
FROM webhook_delivery AS d
WHERE j.task_name = '{TASK}' AND j.status IN ('todo', 'doing')
    AND d.id = (j.args ->> 'delivery_id')::bigint AND j.args ->> 'organisation_id' IS NULL
"""
_ONE_PER_TASK = f"""
SELECT procrastinate_defer_jobs_v1(ARRAY(
    SELECT ROW('webhooks', '{TASK}', 0,
               'callqa.webhook:' || d.webhook_id || ':'
                   || coalesce('call:' || d.call_id, 'job:' || d.job_id),
               NULL, jsonb_build_object('delivery_id', d.id), NULL)::procrastinate_job_to_defer_v1
    FROM procrastinate_jobs AS j
    CROSS JOIN LATERAL jsonb_array_elements_text(j.args -> 'ids') AS x(id)
    JOIN webhook_delivery AS d ON d.id = x.id::bigint
    WHERE j.task_name = '{TASK}' AND j.status = 'todo'
    ORDER BY d.id
))
"""
_DROP_SEVERAL = f"""
DELETE FROM procrastinate_jobs
WHERE task_name = '{TASK}' AND status = 'todo' AND args -> 'ids' IS NOT NULL
"""


def upgrade() -> None:
    op.execute(_ADD_ORGANISATION)
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant ON {table} USING ({OWN}) WITH CHECK ({OWN})")


def downgrade() -> None:
    op.execute(_ONE_PER_TASK)
    op.execute(_DROP_SEVERAL)
    for table in TABLES:
        op.execute(f"DROP POLICY tenant ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
