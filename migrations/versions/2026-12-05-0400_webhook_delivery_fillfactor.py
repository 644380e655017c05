"""Outbox rows keep room on their page for the update that logs their delivery.

Every webhook_delivery row is written once and updated once (or a few times, on retries) when
it is sent. With full pages each such update moved the row to another page and added an entry
to each of the table's three indexes; with half of each page free it stays on its page (a
heap-only tuple, no index entry), which spares PostgreSQL three index writes per delivery
logged (and the vacuuming of them). The payload (`data`) is stored out of line (TOAST), so a
row on the page is small.

Revision ID: 2026_12_05_0400
Revises: 2026_12_05_0300
Create Date: 2026-12-05 04:00:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_05_0400"
down_revision: str | None = "2026_12_05_0300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE webhook_delivery SET (fillfactor = 50)")


def downgrade() -> None:
    op.execute("ALTER TABLE webhook_delivery RESET (fillfactor)")
