"""The `reporting.scores` view, the stored phrase hits of corrected calls, and an index of the
scores added by rescoring.

The view: every score of every call, one row per checklist version it was
scored with, and whether it is the call's latest under that checklist (`latest`), the score the
latest series (`reporting.daily_managers`, `daily_teams`, trends and reports without a version)
counts. `reporting.calls` keeps the score a call was ingested with, which a rescoring leaves as
it was; a BI panel of grades or totals beside the daily views reads `scores WHERE latest`.

A call's `call_violation` rows now follow its reviewers' violation corrections (as the roll-ups
always did): the calls corrected before get theirs here, a hit a reviewer dismissed deleted, one
a reviewer added (a phrase of the call's checklist version the machine did not find there)
inserted; the downgrade puts the machine's hits back from the call's score, as the code before
kept them.

Roles granted reporting before this revision run `callqa db grant-reporting ROLE` again to read
it (the grant now covers the `call_score` columns under it).

Revision ID: 2026_12_05_0200
Revises: 2026_12_05_0100
Create Date: 2026-12-05 02:00:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_12_05_0200"
down_revision: str | None = "2026_12_05_0100"
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


# The text of a hit's utterance, the manager's turn where two share the index (as an ingest
# stores it).
SPOKEN = """(SELECT u.value->>'text'
    FROM jsonb_array_elements(c.utterances) WITH ORDINALITY AS u(value, n)
    WHERE (u.value->>'index')::int = {utterance}
    ORDER BY (u.value->>'speaker' = c.score->'manager'->>'speaker') DESC NULLS LAST, u.n
    LIMIT 1)"""
HIT_COLUMNS = (
    "organisation_id, call_id, utterance, phrase, matched, replacement, utterance_text, "
    "start_s, end_s"
)
DISMISSED = """
DELETE FROM call_violation AS v USING call_correction AS k
WHERE k.target = 'violation' AND k.valid = false
    AND v.organisation_id = k.organisation_id AND v.call_id = k.call_id
    AND v.utterance = k.utterance AND v.phrase = k.phrase
"""
ADDED = f"""
INSERT INTO call_violation ({HIT_COLUMNS})
SELECT k.organisation_id, k.call_id, k.utterance, k.phrase, k.phrase,
    listed.replacement, {SPOKEN.format(utterance="k.utterance")}, NULL, NULL
FROM call_correction AS k
JOIN call AS c ON c.organisation_id = k.organisation_id AND c.id = k.call_id
CROSS JOIN LATERAL (
    SELECT f.value->>'replacement' AS replacement
    FROM checklist_version AS cv
    CROSS JOIN jsonb_array_elements(cv.document->'forbidden_phrases') AS f(value)
    WHERE cv.organisation_id IN (c.organisation_id, 'default') AND cv.key = c.checklist_key
        AND cv.version = c.checklist_version AND f.value->>'phrase' = k.phrase
    LIMIT 1
) AS listed
WHERE k.target = 'violation' AND k.valid = true AND NOT EXISTS (
    SELECT 1 FROM call_violation AS v
    WHERE v.organisation_id = k.organisation_id AND v.call_id = k.call_id
        AND v.utterance = k.utterance AND v.phrase = k.phrase
)
ORDER BY k.organisation_id, k.call_id, k.utterance
"""
CORRECTED = """
SELECT DISTINCT organisation_id, call_id FROM call_correction WHERE target = 'violation'
"""
MACHINE_HITS = f"""
WITH corrected AS ({CORRECTED}), gone AS (
    DELETE FROM call_violation AS v USING corrected AS k
    WHERE v.organisation_id = k.organisation_id AND v.call_id = k.call_id
)
INSERT INTO call_violation ({HIT_COLUMNS})
SELECT c.organisation_id, c.id, (h.value->>'utterance')::int, h.value->>'phrase',
    h.value->>'matched', h.value->>'replacement',
    {SPOKEN.format(utterance="(h.value->>'utterance')::int")},
    (h.value->>'start')::float8, (h.value->>'end')::float8
FROM corrected AS k
JOIN call AS c ON c.organisation_id = k.organisation_id AND c.id = k.call_id
CROSS JOIN jsonb_array_elements(c.score->'violations') AS h(value)
"""


def upgrade() -> None:
    # The scores added by rescoring: until an organisation has one, each of its calls' latest
    # score is the one it was ingested with, and the latest series reads calls alone.
    op.create_index(
        "ix_call_score_added",
        "call_score",
        ["organisation_id", "call_id"],
        postgresql_where=sa.text("score IS NOT NULL"),
    )
    op.execute(DISMISSED)
    op.execute(ADDED)
    op.execute(f"CREATE VIEW reporting.scores WITH (security_invoker = true) AS {SELECT}")
    quoted = COMMENT.replace("'", "''")
    op.execute(f"COMMENT ON VIEW reporting.scores IS '{quoted}'")


def downgrade() -> None:
    op.execute("DROP VIEW reporting.scores")
    op.execute(MACHINE_HITS)
    op.drop_index("ix_call_score_added", table_name="call_score")
