"""Webhooks and their outbox: `webhook` (a receiver URL, its secret and the events it wants)
and `webhook_delivery` (one row per event and webhook, written in the transaction of the call
or job it tells about, so no event is lost or sent for a write that rolled back).

A delivery row is also the delivery log: status, attempts and the last answer. Its `event_id`
is the `X-Callqa-Delivery` header, the same on every retry and redelivery. Both tables lead
their keys with `organisation_id` ('default' until organisations exist); a webhook's deletion
takes its deliveries with it.

Revision ID: 2026_12_03_0830
Revises: 2026_12_03_0805
Create Date: 2026-12-03 08:30:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_12_03_0830"
down_revision: str | None = "2026_12_03_0805"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
    )


def upgrade() -> None:
    op.create_table(
        "webhook",
        sa.Column("organisation_id", sa.Text(), server_default=sa.text("'default'")),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False)),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        _now(),
        sa.PrimaryKeyConstraint("organisation_id", "id", name="pk_webhook"),
    )
    op.create_index("ix_webhook_id", "webhook", ["id"], unique=True)
    op.create_table(
        "webhook_delivery",
        sa.Column("organisation_id", sa.Text(), server_default=sa.text("'default'")),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False)),
        sa.Column("webhook_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "event_id", sa.Uuid(), nullable=False, server_default=sa.text("gen_random_uuid()")
        ),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("call_id", sa.BigInteger(), nullable=True),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        _now(),
        sa.Column("status", sa.Text(), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("organisation_id", "id", name="pk_webhook_delivery"),
        sa.ForeignKeyConstraint(
            ["organisation_id", "webhook_id"],
            ["webhook.organisation_id", "webhook.id"],
            name="fk_webhook_delivery_organisation_id_webhook",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'retrying', 'delivered', 'failed')",
            name="ck_webhook_delivery_status",
        ),
    )
    op.create_index("ix_webhook_delivery_id", "webhook_delivery", ["id"], unique=True)
    op.create_index(
        "ix_webhook_delivery_organisation_id_webhook_id",
        "webhook_delivery",
        ["organisation_id", "webhook_id", "id"],
    )


def downgrade() -> None:
    op.drop_table("webhook_delivery")
    op.drop_table("webhook")
