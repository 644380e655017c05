"""An index on call.external_id, for GET /v1/calls?external_id= without a source.

The unique (source, external_id) index serves lookups that name the source; without one,
PostgreSQL before 18 cannot skip through its leading column and would read the whole table.
On a large live database, create it by hand with CREATE INDEX CONCURRENTLY and `alembic stamp`
this revision instead (CREATE INDEX blocks writes to the table while it runs).

Revision ID: 2026_12_02_1650
Revises: 2026_12_02_1600
Create Date: 2026-12-02 17:00:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_02_1650"
down_revision: str | None = "2026_12_02_1600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_call_external_id", "call", ["external_id"])


def downgrade() -> None:
    op.drop_index("ix_call_external_id", table_name="call")
