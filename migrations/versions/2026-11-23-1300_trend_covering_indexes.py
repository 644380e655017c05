"""Covering indexes for trends, leaderboards and the trainer report.

The roll-up and call rows of one manager (or team) are scattered over the heap, one page per
row, because ingest interleaves everyone's calls. These indexes carry the columns the trend,
leaderboard and report queries read, so a year of a manager is an index-only range scan of a
few hundred contiguous pages instead of thousands of heap pages. Measured with bench/trends.py
on 1,000,000 calls (200 managers x 365 days), 2 cores, p95: trends 108 -> under 20 ms,
leaderboard 262 -> under 50 ms, the JSON report from about 400 -> under 150 ms.

Index-only scans need the visibility map, which (auto)vacuum keeps; rows newer than the last
vacuum are still read from the table. CREATE INDEX locks writes to its table while it runs
(seconds per million rows): on a large live database, create the same indexes by hand with
CREATE INDEX CONCURRENTLY and `alembic stamp` this revision instead.

Revision ID: 2026_11_23_1300
Revises: 2026_11_23_1200
Create Date: 2026-11-23 13:00:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_11_23_1300"
down_revision: str | None = "2026_11_23_1200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SUMS = ["calls", "total_sum", "q_expertise", "q_personal", "q_motivation", "q_other"]
_SUMS += ["violations"]
# (name, table, key columns, included columns)
INDEXES = (
    (
        "ix_manager_rollup_manager_id_slot_start_covering",
        "manager_rollup",
        ["manager_id", "slot_start"],
        ["checklist_key", *_SUMS, "item_passed"],
    ),
    (
        "ix_manager_rollup_team_id_slot_start_covering",
        "manager_rollup",
        ["team_id", "slot_start"],
        ["manager_id", "checklist_key", *_SUMS],
    ),
    (
        "ix_call_manager_id_started_at_covering",
        "call",
        ["manager_id", "started_at", "id"],
        ["checklist_key", "total", "grade"],
    ),
    (
        "ix_call_violation_call_id_covering",
        "call_violation",
        ["call_id"],
        ["phrase"],
    ),
)


def upgrade() -> None:
    for name, table, columns, include in INDEXES:
        op.create_index(name, table, columns, postgresql_include=include)


def downgrade() -> None:
    for name, table, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
