"""Background jobs: the procrastinate queue's schema (pinned) and callqa's own `job` rows.

The queue is procrastinate 3.10.0's schema, applied from the copy of its `schema.sql` kept
beside the migrations (`migrations/sql/procrastinate-3.10.0.sql`), so this revision creates the
same objects whatever procrastinate version is installed later; a later procrastinate upgrade
comes with a migration of its own that applies procrastinate's migration files.

`job` is what a user asks for and reads back (`POST /v1/rescore`, `GET /v1/jobs/{id}`): kind,
parameters, status and progress. It leads its key with `organisation_id` ('default' until
organisations exist). Its parts are procrastinate jobs, enqueued in the same transaction.

Revision ID: 2026_12_02_1800
Revises: 2026_12_02_1710
Create Date: 2026-12-02 18:00:00 UTC
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_12_02_1800"
down_revision: str | None = "2026_12_02_1710"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_SCHEMA = Path(__file__).resolve().parents[1] / "sql" / "procrastinate-3.10.0.sql"

# Everything procrastinate's schema creates is named procrastinate_*: dropped by kind.
_DROP_QUEUE = r"""
DO $$
DECLARE name text;
BEGIN
    FOR name IN SELECT tablename FROM pg_tables
                WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\_%'
    LOOP EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', name); END LOOP;
    FOR name IN SELECT p.oid::regprocedure::text FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\_%'
    LOOP EXECUTE 'DROP FUNCTION IF EXISTS ' || name || ' CASCADE'; END LOOP;
    FOR name IN SELECT t.typname FROM pg_type t
                JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\_%'
                  AND t.typtype IN ('e', 'c')
    LOOP EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', name); END LOOP;
END $$;
"""


def _run_script(script: str) -> None:
    """Several statements, with % and : as SQL means them: sent as one simple query on the
    migration's own connection (no parameters, so nothing is read as a placeholder)."""
    raw = op.get_bind().connection.driver_connection
    assert raw is not None
    raw.execute(script)


def upgrade() -> None:
    _run_script(QUEUE_SCHEMA.read_text(encoding="utf-8"))
    op.create_table(
        "job",
        sa.Column("organisation_id", sa.Text(), server_default=sa.text("'default'")),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False)),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("params", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default=sa.text("'queued'")),
        sa.Column("total", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("done", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("skipped", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("parts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("parts_done", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("organisation_id", "id"),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name="ck_job_status",
        ),
    )
    op.create_index("ix_job_id", "job", ["id"], unique=True)


def downgrade() -> None:
    op.drop_table("job")
    _run_script(_DROP_QUEUE)
