"""Row-level security on the audit log, as on every other tenant table (migration 0805): an
organisation's admins read its own entries only, even through a query without the filter.

Revision ID: 2026_12_03_0900
Revises: 2026_12_03_0820
Create Date: 2026-12-03 09:00:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_03_0900"
down_revision: str | None = "2026_12_03_0820"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "callqa_app"
OWN = (
    "organisation_id = current_setting('callqa.organisation_id', true)"
    f" OR (current_user <> '{ROLE}' AND current_setting('callqa.maintenance', true) = 'on')"
)


def upgrade() -> None:
    op.execute("ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_log FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant ON audit_log USING ({OWN}) WITH CHECK ({OWN})")


def downgrade() -> None:
    op.execute("DROP POLICY tenant ON audit_log")
    op.execute("ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY")
