"""The `reporting.scores` view: every score of every call, one row per checklist version it was
scored with, and whether it is the call's latest under that checklist (`latest`), the score the
latest series (`reporting.daily_managers`, `daily_teams`, trends and reports without a version)
counts. `reporting.calls` keeps the score a call was ingested with, which a rescoring leaves as
it was; a BI panel of grades or totals beside the daily views reads `scores WHERE latest`.

Roles granted reporting before this revision run `callqa db grant-reporting ROLE` again to read
it (the grant now covers the `call_score` columns under it).

Revision ID: 2026_12_05_0200
Revises: 2026_12_04_0200
Create Date: 2026-12-05 02:00:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_05_0200"
down_revision: str | None = "2026_12_04_0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMENT = (
    "One row per score of a call under a checklist version: who, when, total and grade "
    "(green, yellow, red); latest: the call's newest score under that checklist, the one "
    "the daily views count (rescoring adds scores, never replaces one)."
)
# Latest: no later score under the checklist (the last written, the higher version on a tie:
# the rule of every reader of the latest score); NOT EXISTS probes the key of call_score per
# row, so a filter on started_at still narrows the calls first.
SELECT = """
SELECT c.organisation_id, s.call_id, c.source, c.external_id, c.manager_id, c.manager_name,
    c.team_id, c.started_at, s.checklist_key, s.checklist_version, s.total, s.grade,
    s.scored_at,
    NOT EXISTS (
        SELECT 1 FROM public.call_score AS later
        WHERE later.organisation_id = s.organisation_id AND later.call_id = s.call_id
            AND later.checklist_key = s.checklist_key
            AND (later.scored_at, later.checklist_version) > (s.scored_at, s.checklist_version)
    ) AS latest
FROM public.call_score AS s JOIN public.call AS c
    ON c.organisation_id = s.organisation_id AND c.id = s.call_id
"""


def upgrade() -> None:
    op.execute(f"CREATE VIEW reporting.scores WITH (security_invoker = true) AS {SELECT}")
    quoted = COMMENT.replace("'", "''")
    op.execute(f"COMMENT ON VIEW reporting.scores IS '{quoted}'")


def downgrade() -> None:
    op.execute("DROP VIEW reporting.scores")
