"""Calls, their questions and violations, and per-manager 15-minute roll-ups.

Revision ID: 2026_11_23_1200
Revises:
Create Date: 2026-11-23 12:00:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "2026_11_23_1200"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Adds two {key: count} objects key by key; the roll-up upsert merges item pass counts with it
# inside PostgreSQL, so concurrent ingests never lose an increment.
JSONB_ADD_COUNTS = """
CREATE FUNCTION jsonb_add_counts(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(key, n), '{}'::jsonb)
    FROM (
        SELECT key, sum(value::bigint) AS n
        FROM (
            SELECT * FROM jsonb_each_text(coalesce(a, '{}'::jsonb))
            UNION ALL
            SELECT * FROM jsonb_each_text(coalesce(b, '{}'::jsonb))
        ) AS pairs
        GROUP BY key
    ) AS sums
$$
"""


# The three large columns (~60 KB a call together) are written on every ingest and read
# rarely. pglz compression of them costs about 1 ms of server CPU per call, a third of the
# database's share at 300 calls/s on two cores; lz4 costs a tenth of that. So: lz4 where the
# server has it (any packaged PostgreSQL 14+), else stored uncompressed (the embedded build).
BULKY_COLUMNS = ("transcript", "utterances", "score")
HAS_LZ4 = """
SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'
"""


def _store_bulky_columns_cheaply() -> None:
    has_lz4 = op.get_bind().execute(sa.text(HAS_LZ4)).scalar()
    setting = "SET COMPRESSION lz4" if has_lz4 else "SET STORAGE EXTERNAL"
    for column in BULKY_COLUMNS:
        op.execute(f"ALTER TABLE call ALTER COLUMN {column} {setting}")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False)


def upgrade() -> None:
    op.create_table(
        "call",
        _id(),
        sa.Column("source", sa.Text(), server_default=sa.text("'default'"), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("manager_id", sa.Text(), nullable=False),
        sa.Column("manager_name", sa.Text(), nullable=True),
        sa.Column("team_id", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at_offset_min", sa.SmallInteger(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("utterances", JSONB(), nullable=False),
        sa.Column("metadata", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("checklist_key", sa.Text(), nullable=False),
        sa.Column("checklist_version", sa.Text(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("grade", sa.Text(), nullable=False),
        sa.Column("score", JSONB(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("grade IN ('green', 'yellow', 'red')", name=op.f("ck_call_grade")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_call_source_external_id")),
    )
    op.create_index("ix_call_manager_id_started_at", "call", ["manager_id", "started_at", "id"])
    op.create_index("ix_call_team_id_started_at", "call", ["team_id", "started_at", "id"])
    op.create_index("ix_call_started_at", "call", ["started_at", "id"])
    _store_bulky_columns_cheaply()

    op.create_table(
        "call_question",
        _id(),
        sa.Column("call_id", sa.BigInteger(), nullable=False),
        sa.Column("utterance", sa.Integer(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_call_question_call_id_call"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_question")),
    )
    op.create_index(op.f("ix_call_question_call_id"), "call_question", ["call_id"])

    op.create_table(
        "call_violation",
        _id(),
        sa.Column("call_id", sa.BigInteger(), nullable=False),
        sa.Column("utterance", sa.Integer(), nullable=False),
        sa.Column("phrase", sa.Text(), nullable=False),
        sa.Column("matched", sa.Text(), nullable=False),
        sa.Column("replacement", sa.Text(), nullable=True),
        sa.Column("utterance_text", sa.Text(), nullable=True),
        sa.Column("start_s", sa.Float(), nullable=True),
        sa.Column("end_s", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call.id"],
            name=op.f("fk_call_violation_call_id_call"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_violation")),
    )
    op.create_index(op.f("ix_call_violation_call_id"), "call_violation", ["call_id"])
    op.create_index(op.f("ix_call_violation_phrase"), "call_violation", ["phrase"])

    op.create_table(
        "manager_rollup",
        sa.Column("manager_id", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("checklist_key", sa.Text(), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("total_sum", sa.Float(), nullable=False),
        sa.Column("q_expertise", sa.Integer(), nullable=False),
        sa.Column("q_personal", sa.Integer(), nullable=False),
        sa.Column("q_motivation", sa.Integer(), nullable=False),
        sa.Column("q_other", sa.Integer(), nullable=False),
        sa.Column("violations", sa.Integer(), nullable=False),
        sa.Column("item_passed", JSONB(), nullable=False),
        sa.PrimaryKeyConstraint(
            "manager_id", "team_id", "checklist_key", "slot_start", name=op.f("pk_manager_rollup")
        ),
    )
    op.create_index(
        "ix_manager_rollup_manager_id_slot_start", "manager_rollup", ["manager_id", "slot_start"]
    )
    op.create_index(
        "ix_manager_rollup_team_id_slot_start", "manager_rollup", ["team_id", "slot_start"]
    )
    op.execute(JSONB_ADD_COUNTS)


def downgrade() -> None:
    op.execute("DROP FUNCTION jsonb_add_counts(jsonb, jsonb)")
    op.drop_table("manager_rollup")
    op.drop_table("call_violation")
    op.drop_table("call_question")
    op.drop_table("call")
