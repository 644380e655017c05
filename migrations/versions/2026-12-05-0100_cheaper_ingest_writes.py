"""Cheaper ingest writes: no foreign key from question and violation rows to their call; the
roll-ups' secondary indexes hold no column an ingest adds to, so adding is a HOT update.

The foreign key's check runs once per inserted row (a 1,500-word call has ~40 such rows): about
a tenth of PostgreSQL's CPU per ingested call. Those rows are written only by the one write path
(`call_writes.store_calls`), in the transaction that inserts their call, and removed with it by
the erasure (`calls.erase_call`), which now deletes them itself instead of ON DELETE CASCADE.
The way back deletes any row whose call is gone, then restores the keys.

Every ingest adds to ~4 `manager_rollup(_day)` rows and ~2 per phrase hit in
`violation_rollup_day/month`. Their manager and team indexes carried the sums (counts, totals,
the question and item maps) as INCLUDE columns for index-only scans, so every addition was a
new row version in all three indexes (with the maps copied into two). Now they hold only the
key columns, and the tables leave a third of each page free (fillfactor 70), so an addition
stays on its page and touches no index; reads fetch the sums from the row.

Revision ID: 2026_12_05_0100
Revises: 2026_12_05_0400
Create Date: 2026-12-05 01:00:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_05_0100"
down_revision: str | None = "2026_12_05_0400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("call_question", "call_violation")

_SUMS = ["calls", "total_sum", "questions", "violations", "question_counts"]
# (table, name now (was _covering for _keys), key columns, INCLUDE before, INCLUDE now)
INDEXES = [
    (
        table,
        f"ix_{table}_{who}_{period}_keys",
        ["organisation_id", "checklist_version", who, period],
        before,
        now,
    )
    for table, period, by_manager, by_team, now_manager, now_team in (
        (
            "manager_rollup",
            "slot_start",
            ["checklist_key", *_SUMS, "item_passed"],
            ["manager_id", "checklist_key", *_SUMS],
            ["checklist_key"],
            ["manager_id", "checklist_key"],
        ),
        (
            "manager_rollup_day",
            "day",
            ["checklist_key", *_SUMS, "item_passed"],
            ["manager_id", "checklist_key", *_SUMS],
            ["checklist_key"],
            ["manager_id", "checklist_key"],
        ),
        (
            "violation_rollup_day",
            "day",
            ["team_id", "checklist_key", "phrase", "said"],
            ["manager_id", "checklist_key", "phrase", "said"],
            ["team_id", "checklist_key", "phrase"],
            ["manager_id", "checklist_key", "phrase"],
        ),
        (
            "violation_rollup_month",
            "month",
            ["team_id", "checklist_key", "phrase", "said"],
            ["manager_id", "checklist_key", "phrase", "said"],
            ["team_id", "checklist_key", "phrase"],
            ["manager_id", "checklist_key", "phrase"],
        ),
    )
    for who, before, now in (
        ("manager_id", by_manager, now_manager),
        ("team_id", by_team, now_team),
    )
]
ROLLUPS = ("manager_rollup", "manager_rollup_day", "violation_rollup_day", "violation_rollup_month")


def upgrade() -> None:
    for table in TABLES:
        op.drop_constraint(f"fk_{table}_call", table, type_="foreignkey")
    for table, name, columns, _before, now in INDEXES:
        op.drop_index(name.replace("_keys", "_covering"), table_name=table)
        op.create_index(name, table, columns, postgresql_include=now)
    for table in ROLLUPS:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def downgrade() -> None:
    for table in ROLLUPS:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    for table, name, columns, before, _now in INDEXES:
        op.drop_index(name, table_name=table)
        covering = name.replace("_keys", "_covering")
        op.create_index(covering, table, columns, postgresql_include=before)
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
