"""Question counts by the checklist's own categories: one jsonb map per roll-up row, no column
per category.

`q_expertise`, `q_personal`, `q_motivation` and `q_other` fixed the three categories of
`realty_phone`, so any other checklist's questions were counted as `other`. The roll-ups now
hold `questions` (all questions asked) and `question_counts` ({category key: n}, `other`
included), added on conflict with `jsonb_add_counts` like `item_passed`. The old columns move
into the map without loss and come back out of it on the way down; the covering indexes are
rebuilt with the new columns.

`jsonb_sum_counts`, the aggregate of `jsonb_add_counts`, lets one INSERT ... SELECT ... GROUP BY
sum the maps of the calls of one write that share a roll-up row, so roll-up deltas are summed
in one place, inside PostgreSQL, for a single call and a batch alike.

Revision ID: 2026_12_02_1700
Revises: 2026_12_02_1650
Create Date: 2026-12-02 17:00:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "2026_12_02_1700"
down_revision: str | None = "2026_12_02_1650"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("q_expertise", "q_personal", "q_motivation", "q_other")
# (table, time column) of the two roll-ups.
TABLES = (("manager_rollup", "slot_start"), ("manager_rollup_day", "day"))


def _covering(table: str, time: str, sums: list[str]) -> None:
    """The covering indexes of a roll-up over `sums` (as migrations 1300 and 1400 built them)."""
    op.create_index(
        f"ix_{table}_manager_id_{time}_covering",
        table,
        ["manager_id", time],
        postgresql_include=["checklist_key", *sums, "item_passed"],
    )
    op.create_index(
        f"ix_{table}_team_id_{time}_covering",
        table,
        ["team_id", time],
        postgresql_include=["manager_id", "checklist_key", *sums],
    )


def _drop_covering(table: str, time: str) -> None:
    op.drop_index(f"ix_{table}_manager_id_{time}_covering", table_name=table)
    op.drop_index(f"ix_{table}_team_id_{time}_covering", table_name=table)


def upgrade() -> None:
    # Strict, with no initial state: the first map is the state, so the group of a single
    # call (the common case) costs no function call at all.
    op.execute(
        "CREATE FUNCTION jsonb_sum_counts_step(a jsonb, b jsonb) RETURNS jsonb"
        " LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT jsonb_add_counts(a, b)'"
    )
    op.execute(
        "CREATE AGGREGATE jsonb_sum_counts(jsonb) (SFUNC = jsonb_sum_counts_step, STYPE = jsonb)"
    )
    for table, time in TABLES:
        _drop_covering(table, time)
        op.add_column(table, sa.Column("questions", sa.Integer()))
        op.add_column(table, sa.Column("question_counts", JSONB()))
        # The three categories of realty_phone by name; any other checklist's questions were
        # all in q_other already.
        op.execute(
            f"""
UPDATE {table} SET
    questions = q_expertise + q_personal + q_motivation + q_other,
    question_counts = CASE WHEN checklist_key = 'realty_phone' THEN jsonb_build_object(
        'expertise', q_expertise, 'personal', q_personal, 'motivation', q_motivation,
        'other', q_other
    ) ELSE jsonb_build_object('other', q_other) END
"""
        )
        op.alter_column(table, "questions", nullable=False)
        op.alter_column(table, "question_counts", nullable=False)
        for column in OLD:
            op.drop_column(table, column)
        _covering(table, time, ["calls", "total_sum", "questions", "violations", "question_counts"])


def downgrade() -> None:
    for table, time in TABLES:
        _drop_covering(table, time)
        # violations and item_passed are re-added after the four, so the columns stand in
        # their old order again (older code inserts into these tables by position).
        for column in (*OLD, "violations_", "item_passed_"):
            kind = JSONB() if column == "item_passed_" else sa.Integer()
            op.add_column(table, sa.Column(column, kind))
        # Categories other than the three fold into q_other, as they did before.
        op.execute(
            f"""
UPDATE {table} SET
    q_expertise = coalesce((question_counts ->> 'expertise')::int, 0),
    q_personal = coalesce((question_counts ->> 'personal')::int, 0),
    q_motivation = coalesce((question_counts ->> 'motivation')::int, 0),
    q_other = questions - coalesce((question_counts ->> 'expertise')::int, 0)
        - coalesce((question_counts ->> 'personal')::int, 0)
        - coalesce((question_counts ->> 'motivation')::int, 0),
    violations_ = violations,
    item_passed_ = item_passed
"""
        )
        for column in ("questions", "question_counts", "violations", "item_passed"):
            op.drop_column(table, column)
        for column in ("violations", "item_passed"):
            op.alter_column(table, f"{column}_", new_column_name=column)
        for column in (*OLD, "violations", "item_passed"):
            op.alter_column(table, column, nullable=False)
        _covering(table, time, ["calls", "total_sum", *OLD, "violations"])
    op.execute("DROP AGGREGATE jsonb_sum_counts(jsonb)")
    op.execute("DROP FUNCTION jsonb_sum_counts_step(jsonb, jsonb)")
