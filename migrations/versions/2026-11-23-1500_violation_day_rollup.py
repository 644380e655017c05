"""Forbidden-phrase hits per manager, team, checklist, local day (and month) and phrase.

Top violations joined `call` with `call_violation` over the whole window: ~1 s for a team's
year of a million calls, ~1.5 s for all teams. `violation_rollup_day` holds the hits per local
day of the zone in `day_rollup_zone`, and `violation_rollup_month` the same per local calendar
month, so a window of whole days of that zone is counted from the months inside it plus the
days at its edges, with no join: all teams' year of 200 managers is ~17,000 month rows and at
most two months of day rows, where the days alone were ~250,000 rows (~70 ms of aggregation
on one core, too much for a 100 ms answer). The example utterances still come from
`call_violation`, a few index probes from the newest day a phrase was said. Ingest upserts both
tables in the same transaction as the calls. Back-filled here: the days from the stored hits,
each under the local day of its call's start, and the months from the days.

Each primary key leads with the period, so it also serves windows over all teams; the covering
indexes serve a manager's and a team's windows, index-only.

Revision ID: 2026_11_23_1500
Revises: 2026_11_23_1400
Create Date: 2026-11-23 15:00:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_23_1500"
down_revision: str | None = "2026_11_23_1400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# In key order, so each primary key is built by appending and the heap is clustered by period.
BACKFILL_DAYS = """
INSERT INTO violation_rollup_day (day, manager_id, team_id, checklist_key, phrase, said)
SELECT (c.started_at AT TIME ZONE z.zone)::date, c.manager_id, coalesce(c.team_id, ''),
    c.checklist_key, v.phrase, count(*)
FROM call_violation AS v
JOIN call AS c ON c.id = v.call_id
CROSS JOIN day_rollup_zone AS z
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
"""
BACKFILL_MONTHS = """
INSERT INTO violation_rollup_month (month, manager_id, team_id, checklist_key, phrase, said)
SELECT date_trunc('month', day)::date, manager_id, team_id, checklist_key, phrase, sum(said)
FROM violation_rollup_day
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
"""
TABLES = (("violation_rollup_day", "day"), ("violation_rollup_month", "month"))


def upgrade() -> None:
    for table, period in TABLES:
        op.create_table(
            table,
            sa.Column(period, sa.Date(), nullable=False),
            sa.Column("manager_id", sa.Text(), nullable=False),
            sa.Column("team_id", sa.Text(), nullable=False),
            sa.Column("checklist_key", sa.Text(), nullable=False),
            sa.Column("phrase", sa.Text(), nullable=False),
            sa.Column("said", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint(
                period, "manager_id", "team_id", "checklist_key", "phrase", name=f"pk_{table}"
            ),
        )
    op.execute(BACKFILL_DAYS)
    op.execute(BACKFILL_MONTHS)
    # Built after the back-fill: one sorted build instead of row-by-row inserts.
    for table, period in TABLES:
        op.create_index(
            f"ix_{table}_manager_id_{period}_covering",
            table,
            ["manager_id", period],
            postgresql_include=["team_id", "checklist_key", "phrase", "said"],
        )
        op.create_index(
            f"ix_{table}_team_id_{period}_covering",
            table,
            ["team_id", period],
            postgresql_include=["manager_id", "checklist_key", "phrase", "said"],
        )


def downgrade() -> None:
    for table, _ in reversed(TABLES):
        op.drop_table(table)
