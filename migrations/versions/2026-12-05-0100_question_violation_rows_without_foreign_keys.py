"""A call's question and violation rows no longer carry a foreign key to their call.

The foreign key's check runs once per inserted row (a 1,500-word call has ~40 such rows): about
a tenth of PostgreSQL's CPU per ingested call. Those rows are written only by the one write path
(`call_writes.store_calls`), in the transaction that inserts their call, and removed with it by
the erasure (`calls.erase_call`), which now deletes them itself instead of ON DELETE CASCADE.
The way back deletes any row whose call is gone, then restores the keys.

Revision ID: 2026_12_05_0100
Revises: 2026_12_04_0200
Create Date: 2026-12-05 01:00:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_05_0100"
down_revision: str | None = "2026_12_04_0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("call_question", "call_violation")


def upgrade() -> None:
    for table in TABLES:
        op.drop_constraint(f"fk_{table}_call", table, type_="foreignkey")


def downgrade() -> None:
    for table in TABLES:
        op.execute(
            f"DELETE FROM {table} AS x WHERE NOT EXISTS (SELECT 1 FROM call AS c"
            " WHERE c.organisation_id = x.organisation_id AND c.id = x.call_id)"
        )
        op.create_foreign_key(
            f"fk_{table}_call",
            table,
            "call",
            ["organisation_id", "call_id"],
            ["organisation_id", "id"],
            ondelete="CASCADE",
        )
