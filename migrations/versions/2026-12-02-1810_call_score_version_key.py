"""Scores refer to their checklist version by a foreign key, so a version cannot be deleted
while a concurrent ingest or rescoring is storing scores under it.

The key's check takes a KEY SHARE lock on the version row: a DELETE of the version waits for the
scoring transaction and then finds its scores (409), or wins and the score's INSERT fails. It is
NOT VALID: calls stored before versions were kept in the database may name versions that were
never stored, and those rows are not checked; every new row is. No index backs the key on
the scores' side: deleting a version (rare, by an admin) reads call_score once, while an index
would cost every ingest a B-tree insert.

Revision ID: 2026_12_02_1810
Revises: 2026_12_02_1800
Create Date: 2026-12-02 18:10:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_02_1810"
down_revision: str | None = "2026_12_02_1800"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "fk_call_score_checklist_version"


def upgrade() -> None:
    op.execute(
        f"ALTER TABLE call_score ADD CONSTRAINT {NAME} "
        "FOREIGN KEY (organisation_id, checklist_key, checklist_version) "
        "REFERENCES checklist_version (organisation_id, key, version) NOT VALID"
    )


def downgrade() -> None:
    op.drop_constraint(NAME, "call_score", type_="foreignkey")
