"""Checklist versions an organisation only holds for its scores' sake are marked `adopted`.

An organisation's scores refer to their version by a key within the organisation, so a call
scored under a built-in (stored once, in the organisation 'default') copies that version into
its organisation first. Such a copy is not a checklist the organisation pushed: its latest
version of a key is the newest it pushed itself, else the built-in's. Until now no organisation
but 'default' could push, so every row of another organisation is such a copy.

Revision ID: 2026_12_04_0200
Revises: 2026_12_03_0900
Create Date: 2026-12-04 02:00:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_04_0200"
down_revision: str | None = "2026_12_04_0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "checklist_version",
        sa.Column("adopted", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.execute("UPDATE checklist_version SET adopted = true WHERE organisation_id <> 'default'")


def downgrade() -> None:
    op.drop_column("checklist_version", "adopted")
