"""Access control: organisations, API keys and the audit log.

An organisation carries its settings (retention, masking, rate limit) and the secret its share
links are signed with when CALLQA_SECRET_KEY is unset (stored here, so every replica signs and
checks alike). A key is stored only as the SHA-256 of its secret. The audit log leads with
`organisation_id`, like every tenant table, so it can be distributed by organisation later.
The organisation `default` is the one of local mode.

Revision ID: 2026_12_03_0820
Revises: 2026_12_03_0835
Create Date: 2026-12-03 08:20:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_12_03_0820"
down_revision: str | None = "2026_12_03_0835"  # re-chained after main's head
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 244 random bits from the built-in gen_random_uuid() (no pgcrypto needed).
NOW = sa.text("now()")
RANDOM_SECRET = "replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')"


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("mask", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=True),
        sa.Column("share_secret", sa.Text(), server_default=sa.text(RANDOM_SECRET), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), primary_key=True),
        sa.Column("organisation_id", sa.Text(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("teams", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("secret_sha256", sa.LargeBinary(), nullable=False, unique=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_key_organisation_id", "api_key", ["organisation_id"])
    op.create_table(
        "audit_log",
        sa.Column("organisation_id", sa.Text(), primary_key=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), primary_key=True),
        sa.Column("key_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("call_id", sa.BigInteger(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.execute("INSERT INTO organisation (id, name) VALUES ('default', 'default')")


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_index("ix_api_key_organisation_id", table_name="api_key")
    op.drop_table("api_key")
    op.drop_table("organisation")
