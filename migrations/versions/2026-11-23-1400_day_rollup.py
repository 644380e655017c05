"""Per-day roll-ups in the configured zone; drop indexes the covering ones made redundant.

A manager makes ~14 calls a day, so the 15-minute slots of `manager_rollup` barely compress
(~4,300 rows per manager-year, each with its jsonb of item counts): a year's trend spent most of
its time summing them. `manager_rollup_day` holds the same sums per local day of one zone (the
zone in `day_rollup_zone`, CALLQA_TIMEZONE when this migration runs), ~365 rows per
manager-year, so trends, leaderboards and reports in that zone sum a tenth of the rows; every
other zone still reads the exact slots. Ingest upserts both tables in one transaction. Back-filled
here from the slots, which is exact: every real zone's midnight is a slot boundary.

The plain (manager_id, slot_start), (team_id, slot_start), (manager_id, started_at, id) and
(call_id) indexes have the same keys as covering indexes of 2026-11-23-1300, which serve every
scan they served; dropping them saves their upkeep on every ingest.

Revision ID: 2026_11_23_1400
Revises: 2026_11_23_1300
Create Date: 2026-11-23 14:00:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from app.settings import get_settings

revision: str = "2026_11_23_1400"
down_revision: str | None = "2026_11_23_1300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SUMS = ["calls", "total_sum", "q_expertise", "q_personal", "q_motivation", "q_other"]
_SUMS += ["violations"]
# (name, table, columns) of the indexes that covering indexes with the same keys replace.
REDUNDANT = (
    ("ix_manager_rollup_manager_id_slot_start", "manager_rollup", ["manager_id", "slot_start"]),
    ("ix_manager_rollup_team_id_slot_start", "manager_rollup", ["team_id", "slot_start"]),
    ("ix_call_manager_id_started_at", "call", ["manager_id", "started_at", "id"]),
    ("ix_call_violation_call_id", "call_violation", ["call_id"]),
)
# Each day's slot item counts are expanded and re-summed key by key within the day (~4x
# faster than folding them with jsonb_add_counts, or than one global expansion).
BACKFILL = f"""
INSERT INTO manager_rollup_day
SELECT manager_id, team_id, checklist_key, (slot_start AT TIME ZONE z.zone)::date,
    {", ".join(f"sum({c})" for c in _SUMS)},
    (
        SELECT coalesce(jsonb_object_agg(kv.key, kv.n), '{{}}'::jsonb)
        FROM (
            SELECT pair.key, sum(pair.value::bigint) AS n
            FROM unnest(array_agg(item_passed)) AS slot(items)
            CROSS JOIN jsonb_each_text(slot.items) AS pair
            GROUP BY pair.key
        ) AS kv
    )
FROM manager_rollup CROSS JOIN day_rollup_zone AS z
GROUP BY 1, 2, 3, 4
"""


def upgrade() -> None:
    op.create_table(
        "day_rollup_zone",
        sa.Column("singleton", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("zone", sa.Text(), nullable=False),
        sa.CheckConstraint("singleton", name=op.f("ck_day_rollup_zone_singleton")),
        sa.PrimaryKeyConstraint("singleton", name=op.f("pk_day_rollup_zone")),
    )
    op.create_table(
        "manager_rollup_day",
        sa.Column("manager_id", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("checklist_key", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("total_sum", sa.Float(), nullable=False),
        sa.Column("q_expertise", sa.Integer(), nullable=False),
        sa.Column("q_personal", sa.Integer(), nullable=False),
        sa.Column("q_motivation", sa.Integer(), nullable=False),
        sa.Column("q_other", sa.Integer(), nullable=False),
        sa.Column("violations", sa.Integer(), nullable=False),
        sa.Column("item_passed", JSONB(), nullable=False),
        sa.PrimaryKeyConstraint(
            "manager_id", "team_id", "checklist_key", "day", name=op.f("pk_manager_rollup_day")
        ),
    )
    zone = sa.table("day_rollup_zone", sa.column("zone", sa.Text()))
    op.execute(zone.insert().values(zone=get_settings().timezone))
    op.execute(BACKFILL)
    # Built after the back-fill: one sorted build instead of row-by-row inserts.
    op.create_index(
        "ix_manager_rollup_day_manager_id_day_covering",
        "manager_rollup_day",
        ["manager_id", "day"],
        postgresql_include=["checklist_key", *_SUMS, "item_passed"],
    )
    op.create_index(
        "ix_manager_rollup_day_team_id_day_covering",
        "manager_rollup_day",
        ["team_id", "day"],
        postgresql_include=["manager_id", "checklist_key", *_SUMS],
    )
    for name, table, _ in REDUNDANT:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in reversed(REDUNDANT):
        op.create_index(name, table, columns)
    op.drop_table("manager_rollup_day")
    op.drop_table("day_rollup_zone")
