"""Scores per checklist version: `call_score` holds one row per call and checklist version it
was scored under, so rescoring adds a version and never overwrites one.

Keyed by (organisation_id, call_id, checklist_key, checklist_version), organisation first so
the access issue does not re-key it. A row's `score` is the JSON of a version added after
ingest; for the version a call was ingested with it is NULL, since that JSON is `call.score`
(~20 KB a call, not stored twice). Back-filled here with every stored call's own version.

Revision ID: 2026_12_02_1710
Revises: 2026_12_02_1700
Create Date: 2026-12-02 17:10:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "2026_12_02_1710"
down_revision: str | None = "2026_12_02_1700"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAS_LZ4 = """
SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'
"""


def upgrade() -> None:
    op.create_table(
        "call_score",
        sa.Column(
            "organisation_id", sa.Text(), server_default=sa.text("'default'"), nullable=False
        ),
        sa.Column("call_id", sa.BigInteger(), nullable=False),
        sa.Column("checklist_key", sa.Text(), nullable=False),
        sa.Column("checklist_version", sa.Text(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("grade", sa.Text(), nullable=False),
        sa.Column("score", JSONB(), nullable=True),
        sa.Column(
            "scored_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.CheckConstraint("grade IN ('green', 'yellow', 'red')", name=op.f("ck_call_score_grade")),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_call_score_call_id_call"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id",
            "call_id",
            "checklist_key",
            "checklist_version",
            name=op.f("pk_call_score"),
        ),
    )
    setting = "SET COMPRESSION lz4" if op.get_bind().execute(sa.text(HAS_LZ4)).scalar() else ""
    if setting:
        op.execute(f"ALTER TABLE call_score ALTER COLUMN score {setting}")
    op.execute(
        """
INSERT INTO call_score (call_id, checklist_key, checklist_version, total, grade, scored_at)
SELECT id, checklist_key, checklist_version, total, grade, created_at FROM call
"""
    )


def downgrade() -> None:
    op.drop_table("call_score")
