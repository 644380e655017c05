"""Roll-ups per organisation and checklist version: the four roll-up tables are re-keyed with
`organisation_id` leading every key, then `checklist_version`, where '' is the series of each
call's latest score under the checklist and a version is the series of its scores alone.

The manager roll-ups gain `versions`, {version: calls} of the scores summed in a row, so the
latest series can say which versions its calls were counted with.

Existing rows become the '' series (they hold the scores calls were ingested with); each
version's series is counted again from the stored scores (`call_score`, whose JSON is the
call's own for the ingest version), so scores added by rescoring before this migration are in
their version's series too. Down, the version series are dropped and the '' series keeps the
old keys.

Revision ID: 2026_12_03_0810
Revises: 2026_12_03_0840
Create Date: 2026-12-03 08:10:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "2026_12_03_0810"
down_revision: str | None = "2026_12_03_0840"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = ["calls", "total_sum", "questions", "violations", "question_counts"]
# table: (old primary key, time column, what the manager and team indexes include)
TABLES = {
    "manager_rollup": (
        ["manager_id", "team_id", "checklist_key", "slot_start"],
        "slot_start",
        (["checklist_key", *SUMS, "item_passed"], ["manager_id", "checklist_key", *SUMS]),
    ),
    "manager_rollup_day": (
        ["manager_id", "team_id", "checklist_key", "day"],
        "day",
        (["checklist_key", *SUMS, "item_passed"], ["manager_id", "checklist_key", *SUMS]),
    ),
    "violation_rollup_day": (
        ["day", "manager_id", "team_id", "checklist_key", "phrase"],
        "day",
        (
            ["team_id", "checklist_key", "phrase", "said"],
            ["manager_id", "checklist_key", "phrase", "said"],
        ),
    ),
    "violation_rollup_month": (
        ["month", "manager_id", "team_id", "checklist_key", "phrase"],
        "month",
        (
            ["team_id", "checklist_key", "phrase", "said"],
            ["manager_id", "checklist_key", "phrase", "said"],
        ),
    ),
}
SERIES = ["organisation_id", "checklist_version"]

# Every stored score with the call it belongs to: the JSON of a version added by rescoring, or
# the call's own for the version it was ingested with.
SCORES = """
SELECT cs.organisation_id, cs.checklist_version, c.manager_id, coalesce(c.team_id, '') AS team_id,
    cs.checklist_key, c.started_at, cs.total, coalesce(cs.score, c.score) AS score
FROM call_score AS cs JOIN call AS c ON c.id = cs.call_id
"""
ITEMS = """(SELECT coalesce(jsonb_object_agg(i->>'key', (i->>'passed')::boolean::int), '{}')
    FROM jsonb_array_elements(coalesce(s.score->'items', '[]')) AS i)"""
QUESTIONS = """(SELECT coalesce(sum(n.value::int), 0)
    FROM jsonb_each_text(coalesce(s.score->'question_counts', '{}')) AS n)"""
ZONE = "(SELECT zone FROM day_rollup_zone)"
KEY = "organisation_id, checklist_version, manager_id, team_id, checklist_key"

SLOT = "date_bin('15 minutes', c.started_at, '1970-01-01 00:00+00')"
# The versions of the calls in each existing row: those they were ingested with.
LATEST_VERSIONS = f"""
UPDATE manager_rollup AS r SET versions = v.versions
FROM (
    SELECT manager_id, team_id, checklist_key, slot_start, jsonb_object_agg(version, n) AS versions
    FROM (
        SELECT c.manager_id, coalesce(c.team_id, '') AS team_id, c.checklist_key,
            {SLOT} AS slot_start, c.checklist_version AS version, count(*) AS n
        FROM call AS c
        GROUP BY 1, 2, 3, 4, 5
    ) AS per_version
    GROUP BY 1, 2, 3, 4
) AS v
WHERE (r.manager_id, r.team_id, r.checklist_key, r.slot_start)
    = (v.manager_id, v.team_id, v.checklist_key, v.slot_start)
"""
LATEST_DAY_VERSIONS = f"""
UPDATE manager_rollup_day AS r SET versions = v.versions
FROM (
    SELECT {KEY}, (slot_start AT TIME ZONE {ZONE})::date AS day,
        jsonb_sum_counts(versions) AS versions
    FROM manager_rollup
    GROUP BY 1, 2, 3, 4, 5, 6
) AS v
WHERE (r.organisation_id, r.checklist_version, r.manager_id, r.team_id, r.checklist_key, r.day)
    = (v.organisation_id, v.checklist_version, v.manager_id, v.team_id, v.checklist_key, v.day)
"""
VERSION_SLOTS = f"""
INSERT INTO manager_rollup ({KEY}, slot_start, calls, total_sum, questions, violations,
    question_counts, item_passed, versions)
SELECT {KEY}, date_bin('15 minutes', s.started_at, '1970-01-01 00:00+00'), count(*), sum(s.total),
    sum({QUESTIONS}), sum(jsonb_array_length(coalesce(s.score->'violations', '[]'))),
    coalesce(jsonb_sum_counts(s.score->'question_counts'), '{{}}'), jsonb_sum_counts({ITEMS}),
    jsonb_build_object(checklist_version, count(*))
FROM ({SCORES}) AS s
GROUP BY 1, 2, 3, 4, 5, 6
"""
VERSION_DAYS = f"""
INSERT INTO manager_rollup_day ({KEY}, day, calls, total_sum, questions, violations,
    question_counts, item_passed, versions)
SELECT {KEY}, (slot_start AT TIME ZONE {ZONE})::date, sum(calls), sum(total_sum),
    sum(questions), sum(violations), jsonb_sum_counts(question_counts),
    jsonb_sum_counts(item_passed), jsonb_sum_counts(versions)
FROM manager_rollup WHERE checklist_version <> ''
GROUP BY 1, 2, 3, 4, 5, 6
"""
VERSION_HIT_DAYS = f"""
INSERT INTO violation_rollup_day ({KEY}, day, phrase, said)
SELECT {KEY}, (s.started_at AT TIME ZONE {ZONE})::date, v->>'phrase', count(*)
FROM ({SCORES}) AS s CROSS JOIN jsonb_array_elements(coalesce(s.score->'violations', '[]')) AS v
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
VERSION_HIT_MONTHS = f"""
INSERT INTO violation_rollup_month ({KEY}, month, phrase, said)
SELECT {KEY}, date_trunc('month', day)::date, phrase, sum(said)
FROM violation_rollup_day WHERE checklist_version <> ''
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""


def _indexes(table: str, leading: list[str]) -> None:
    """The manager and team covering indexes of a roll-up, after `leading` columns."""
    _, time, (by_manager, by_team) = TABLES[table]
    for column, include in (("manager_id", by_manager), ("team_id", by_team)):
        name = f"ix_{table}_{column}_{time}_covering"
        op.create_index(name, table, [*leading, column, time], postgresql_include=include)


def _drop_keys(table: str) -> None:
    _, time, _ = TABLES[table]
    op.execute(f"ALTER TABLE {table} DROP CONSTRAINT pk_{table}")
    for column in ("manager_id", "team_id"):
        op.drop_index(f"ix_{table}_{column}_{time}_covering", table_name=table)


def upgrade() -> None:
    for table, (key, _, _) in TABLES.items():
        _drop_keys(table)
        op.add_column(
            table,
            sa.Column("organisation_id", sa.Text(), server_default="default", nullable=False),
        )
        op.add_column(
            table, sa.Column("checklist_version", sa.Text(), server_default="", nullable=False)
        )
        op.alter_column(table, "checklist_version", server_default=None)
        op.create_primary_key(f"pk_{table}", table, [*SERIES, *key])
        _indexes(table, SERIES)
    for table in ("manager_rollup", "manager_rollup_day"):
        op.add_column(table, sa.Column("versions", JSONB(), server_default="{}", nullable=False))
    for statement in (
        LATEST_VERSIONS,
        LATEST_DAY_VERSIONS,
        VERSION_SLOTS,
        VERSION_DAYS,
        VERSION_HIT_DAYS,
        VERSION_HIT_MONTHS,
    ):
        op.execute(statement)


def downgrade() -> None:
    for table, (key, _, _) in TABLES.items():
        op.execute(f"DELETE FROM {table} WHERE checklist_version <> ''")
        _drop_keys(table)
        op.drop_column(table, "checklist_version")
        op.drop_column(table, "organisation_id")
        if table.startswith("manager_"):
            op.drop_column(table, "versions")
        op.create_primary_key(f"pk_{table}", table, key)
        _indexes(table, [])
