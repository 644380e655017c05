"""Checklist versions and which checklist a team (or everyone) is scored with.

`checklist_version` holds each version of a checklist as its resolved document (base merged in,
language data attached), immutable, keyed by the SHA-256 of its canonical JSON; `pushed_at`
orders them, the latest being the one used when a call names no version. `source` is the text
as it was pushed. `checklist_assignment` gives a team ('' for the default of all teams) a
checklist, pinned to a version or (NULL) following the latest; a pinned version cannot be
deleted. Both keys lead with `organisation_id` ('default' until organisations exist).

Revision ID: 2026_12_02_1600
Revises: 2026_11_23_1500
Create Date: 2026-12-02 16:00:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "2026_12_02_1600"
down_revision: str | None = "2026_11_23_1500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checklist_version",
        sa.Column("organisation_id", sa.Text(), server_default=sa.text("'default'")),
        sa.Column("key", sa.Text()),
        sa.Column("version", sa.Text()),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("document", postgresql.JSONB(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "pushed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("organisation_id", "key", "version"),
    )
    op.create_index(
        "ix_checklist_version_organisation_id_key_pushed_at",
        "checklist_version",
        ["organisation_id", "key", "pushed_at"],
    )
    op.create_table(
        "checklist_assignment",
        sa.Column("organisation_id", sa.Text(), server_default=sa.text("'default'")),
        sa.Column("team_id", sa.Text()),
        sa.Column("checklist_key", sa.Text(), nullable=False),
        sa.Column("checklist_version", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("organisation_id", "team_id"),
        sa.ForeignKeyConstraint(
            ["organisation_id", "checklist_key", "checklist_version"],
            [
                "checklist_version.organisation_id",
                "checklist_version.key",
                "checklist_version.version",
            ],
            name="fk_checklist_assignment_version",
        ),
    )


def downgrade() -> None:
    op.drop_table("checklist_assignment")
    op.drop_index(
        "ix_checklist_version_organisation_id_key_pushed_at", table_name="checklist_version"
    )
    op.drop_table("checklist_version")
