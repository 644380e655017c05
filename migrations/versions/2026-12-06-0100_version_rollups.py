"""The calls of the latest series per local day and month and checklist version:
`version_rollup_day` and `version_rollup_month`.

An answer without a version lists the versions of the scores it counts. That list came from
expanding the `versions` map of every day row in the window: a year of all teams unnested
~73,000 maps (~100 ms at 1,000,000 calls). The same counts, one row a version, per local day
and per local month of the zone in `day_rollup_zone` (and manager, team and checklist), are
~2,400 month rows a year of 200 managers and the day rows of the window's edges that are not
whole months, as the phrase hits are counted. Ingest upserts them with the day rows
(`call_writes`), from the same deltas; a zone change rebuilds them from the day rows
(`calls.set_day_zone`), as this migration fills them.

Revision ID: 2026_12_06_0100
Revises: 2026_12_06_0400
Create Date: 2026-12-06 01:00:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_06_0100"
down_revision: str | None = "2026_12_06_0400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (("version_rollup_day", "day"), ("version_rollup_month", "month"))
ROLE = "callqa_app"
# As migration 2026-12-03-0805 keys every tenant table.
OWN = (
    "organisation_id = current_setting('callqa.organisation_id', true)"
    f" OR (current_user <> '{ROLE}' AND current_setting('callqa.maintenance', true) = 'on')"
)
FILL_DAYS = """
INSERT INTO version_rollup_day (organisation_id, day, manager_id, team_id, checklist_key,
    version, calls)
SELECT d.organisation_id, d.day, d.manager_id, d.team_id, d.checklist_key, v.key,
    sum(v.value::integer)
FROM manager_rollup_day AS d CROSS JOIN jsonb_each_text(d.versions) AS v
WHERE d.checklist_version = ''
GROUP BY 1, 2, 3, 4, 5, 6
HAVING sum(v.value::integer) <> 0
ORDER BY 1, 2, 3, 4, 5, 6
"""
FILL_MONTHS = """
INSERT INTO version_rollup_month (organisation_id, month, manager_id, team_id, checklist_key,
    version, calls)
SELECT organisation_id, date_trunc('month', day)::date, manager_id, team_id, checklist_key,
    version, sum(calls)
FROM version_rollup_day
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6
"""


def upgrade() -> None:
    for table, period in TABLES:
        op.create_table(
            table,
            sa.Column("organisation_id", sa.Text(), server_default=sa.text("'default'")),
            sa.Column(period, sa.Date()),
            sa.Column("manager_id", sa.Text()),
            sa.Column("team_id", sa.Text()),
            sa.Column("checklist_key", sa.Text()),
            sa.Column("version", sa.Text()),
            sa.Column("calls", sa.Integer(), nullable=False),
            # Led by the period after the organisation: windows over all teams read a range.
            sa.PrimaryKeyConstraint(
                "organisation_id",
                period,
                "manager_id",
                "team_id",
                "checklist_key",
                "version",
                name=f"pk_{table}",
            ),
            # Room for ingest's additions: an update stays on its page, as in the other roll-ups.
            postgresql_with={"fillfactor": 70},
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {ROLE}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant ON {table} USING ({OWN}) WITH CHECK ({OWN})")
    op.execute(FILL_DAYS)
    op.execute(FILL_MONTHS)


def downgrade() -> None:
    for table, _period in reversed(TABLES):
        op.drop_table(table)
