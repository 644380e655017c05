"""Only the package's built-in checklists are shared, not everything of the organisation
'default'.

The `builtin` row-level policy let every organisation read every checklist version of
'default', so a checklist pushed in local mode (organisation 'default') was shared with all.
Versions now carry `builtin`, set where the package's checklists are stored, and the policy
reads it. The versions marked here are those stored from the package as it is now (their
`source` is its file's text); `callqa serve` and the CLI mark the package's versions again on
start. An older built-in's version no longer shipped stays readable to 'default' only: an
organisation that scored or pinned it holds its own copy (`adopted`). Assignments of 'default'
are its own: their `builtin` policy goes.

Revision ID: 2026_12_05_0300
Revises: 2026_12_04_0200
Create Date: 2026-12-05 03:00:00 UTC
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.engine.resources import BUILTIN_DIR

revision: str = "2026_12_05_0300"
down_revision: str | None = "2026_12_04_0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MARK = sa.text(
    "UPDATE checklist_version SET builtin = true"
    " WHERE organisation_id = 'default' AND key = :key AND source = :source"
)


def upgrade() -> None:
    op.add_column(
        "checklist_version",
        sa.Column("builtin", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        op.execute(_MARK.bindparams(key=path.stem, source=path.read_text(encoding="utf-8")))
    op.execute("DROP POLICY builtin ON checklist_version")
    op.execute(
        "CREATE POLICY builtin ON checklist_version FOR SELECT"
        " USING (organisation_id = 'default' AND builtin)"
    )
    op.execute("DROP POLICY builtin ON checklist_assignment")


def downgrade() -> None:
    for table in ("checklist_version", "checklist_assignment"):
        op.execute(f"DROP POLICY IF EXISTS builtin ON {table}")
        op.execute(
            f"CREATE POLICY builtin ON {table} FOR SELECT USING (organisation_id = 'default')"
        )
    op.drop_column("checklist_version", "builtin")
