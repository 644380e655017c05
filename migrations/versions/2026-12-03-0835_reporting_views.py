"""The `reporting` schema: stable, documented SQL views for BI tools (Grafana, Metabase,
Superset) that read with a read-only role (`callqa db grant-reporting ROLE`).

The views are the contract; the tables under them may change. They are `security_invoker`,
so they check the reader's own privileges and row-level security, never their owner's. No view
shows a call's transcript, utterances or metadata (the grant leaves those columns out too).
Each view is described with COMMENT, so a BI tool shows what it means.

Revision ID: 2026_12_03_0835
Revises: 2026_12_03_0830
Create Date: 2026-12-03 08:35:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_03_0835"
down_revision: str | None = "2026_12_03_0830"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name: (comment, SELECT). Roll-ups are summed per key, so a view answers the same whether
# the roll-up tables hold one series or several (e.g. per checklist version) under it.
VIEWS: dict[str, tuple[str, str]] = {
    "calls": (
        "One row per stored call: who, when, and its score under the checklist version it was "
        "ingested with (grade: green, yellow, red).",
        """
SELECT c.organisation_id, c.id AS call_id, c.source, c.external_id, c.manager_id,
    c.manager_name, c.team_id, c.started_at, c.duration_s, c.checklist_key, c.checklist_version,
    c.total, c.grade, c.created_at
FROM public.call AS c
""",
    ),
    "questions": (
        "One row per question the manager asked in a call, with its category.",
        """
SELECT c.organisation_id, q.call_id, c.manager_id, c.team_id, c.started_at, c.checklist_key,
    q.utterance, q.category, q.text AS question, q.start_s
FROM public.call_question AS q JOIN public.call AS c
    ON c.organisation_id = q.organisation_id AND c.id = q.call_id
""",
    ),
    "violations": (
        "One row per forbidden phrase said in a call, with its suggested replacement.",
        """
SELECT c.organisation_id, v.call_id, c.manager_id, c.team_id, c.started_at, c.checklist_key,
    v.utterance, v.phrase, v.matched, v.replacement, v.start_s
FROM public.call_violation AS v JOIN public.call AS c
    ON c.organisation_id = v.organisation_id AND c.id = v.call_id
""",
    ),
    "items": (
        "One row per checklist item of a call's score: passed or not, points of max_points.",
        """
SELECT c.organisation_id, c.id AS call_id, c.manager_id, c.team_id, c.started_at,
    c.checklist_key, i.value ->> 'key' AS item_key, i.value ->> 'title' AS item_title,
    (i.value ->> 'passed')::boolean AS passed, (i.value ->> 'points')::float8 AS points,
    (i.value ->> 'max_points')::float8 AS max_points
FROM public.call AS c CROSS JOIN LATERAL jsonb_array_elements(c.score -> 'items') AS i(value)
""",
    ),
    "daily_managers": (
        "Per manager, team, checklist and local day (CALLQA_TIMEZONE): calls, average score, "
        "questions and forbidden phrases, each call counted with its latest score.",
        """
SELECT d.organisation_id, d.day, d.manager_id, nullif(d.team_id, '') AS team_id, d.checklist_key,
    sum(d.calls)::bigint AS calls, sum(d.total_sum) / nullif(sum(d.calls), 0) AS avg_total,
    sum(d.questions)::bigint AS questions, sum(d.violations)::bigint AS violations
FROM public.manager_rollup_day AS d
WHERE d.checklist_version = ''
GROUP BY d.organisation_id, d.day, d.manager_id, d.team_id, d.checklist_key
HAVING sum(d.calls) > 0
""",
    ),
    "daily_teams": (
        "Per team, checklist and local day: calls, average score, questions, forbidden phrases "
        "and managers who called.",
        """
SELECT d.organisation_id, d.day, nullif(d.team_id, '') AS team_id, d.checklist_key,
    sum(d.calls)::bigint AS calls, sum(d.total_sum) / nullif(sum(d.calls), 0) AS avg_total,
    sum(d.questions)::bigint AS questions, sum(d.violations)::bigint AS violations,
    count(DISTINCT d.manager_id) FILTER (WHERE d.calls > 0) AS managers
FROM public.manager_rollup_day AS d
WHERE d.checklist_version = ''
GROUP BY d.organisation_id, d.day, d.team_id, d.checklist_key
HAVING sum(d.calls) > 0
""",
    ),
}


def upgrade() -> None:
    op.execute("CREATE SCHEMA reporting")
    op.execute(
        "COMMENT ON SCHEMA reporting IS 'Stable read-only views of callqa for BI tools; "
        "grant with: callqa db grant-reporting ROLE'"
    )
    for name, (comment, select) in VIEWS.items():
        op.execute(f"CREATE VIEW reporting.{name} WITH (security_invoker = true) AS {select}")
        quoted = comment.replace("'", "''")
        op.execute(f"COMMENT ON VIEW reporting.{name} IS '{quoted}'")


def downgrade() -> None:
    op.execute("DROP SCHEMA reporting CASCADE")
