"""Reviewers' corrections of a call's answers and the calls they reviewed.

A correction sits beside the machine's answer (which stays in the score): a question that is
no question or has another category, a violation that is none or was missed, an item passed
or failed. `machine` and `words` keep what the engine answered and on which words, so
calibration reads them without re-scoring. A review row marks a call looked at (with or
without corrections) and keeps what calibration compares in a form PostgreSQL sums fast: the
machine's question counts aligned to `categories` (their keys, space-separated), and its items'
verdicts as bits aligned to `items` (bit i: item i passed) by the machine and as corrected; with
the call's checklist, team and start (copied: a call never changes them). A calibration report
then reads this table alone with integer sums: ~15x faster than splitting strings or expanding
a JSON object per review.

Revision ID: 2026_12_03_0840
Revises: 2026_12_02_1810
Create Date: 2026-12-03 08:40:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "2026_12_03_0840"
down_revision: str | None = "2026_12_02_1810"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _organisation() -> sa.Column[str]:
    return sa.Column("organisation_id", sa.Text(), server_default=sa.text("'default'"))


def upgrade() -> None:
    op.create_table(
        "call_correction",
        _organisation(),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False)),
        sa.Column("call_id", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("utterance", sa.Integer()),
        sa.Column("span", ARRAY(sa.Integer())),
        sa.Column("phrase", sa.Text()),
        sa.Column("item", sa.Text()),
        sa.Column("category", sa.Text()),
        sa.Column("valid", sa.Boolean()),
        sa.Column("passed", sa.Boolean()),
        sa.Column("note", sa.Text()),
        sa.Column("machine", sa.Text()),
        sa.Column("words", sa.Text()),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "target IN ('question', 'violation', 'item')", name="ck_call_correction_target"
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name="fk_call_correction_call_id_call", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("organisation_id", "id", name="pk_call_correction"),
    )
    op.create_index(
        "ix_call_correction_organisation_id_call_id",
        "call_correction",
        ["organisation_id", "call_id"],
    )
    op.create_table(
        "call_review",
        _organisation(),
        sa.Column("call_id", sa.BigInteger(), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column(
            "reviewed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("checklist_key", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text()),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("question_counts", ARRAY(sa.Integer()), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("machine_passed", sa.BigInteger(), nullable=False),
        sa.Column("passed", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name="fk_call_review_call_id_call", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("organisation_id", "call_id", name="pk_call_review"),
    )

    op.create_index(
        "ix_call_review_organisation_id_checklist_key_started_at",
        "call_review",
        ["organisation_id", "checklist_key", "started_at"],
    )


def downgrade() -> None:
    op.drop_table("call_review")
    op.drop_table("call_correction")
