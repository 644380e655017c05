"""Every call row belongs to an organisation, and organisation_id leads the call tables' keys
and indexes (so the schema can be distributed by organisation, Citus-style); erased calls
leave a tombstone; retention marks calls whose transcript it removed.

Existing rows belong to the organisation 'default' (local mode). Call ids stay globally
unique (one identity), so URLs keep working; the keys become (organisation_id, id).

Revision ID: 2026_12_03_0800
Revises: 2026_12_03_0840
Create Date: 2026-12-03 08:00:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_03_0800"
down_revision: str | None = "2026_12_03_0810"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHILDREN = ("call_question", "call_violation", "call_score", "call_correction", "call_review")
ORG = "organisation_id text NOT NULL DEFAULT 'default'"

# (name, table, old columns, new columns, INCLUDE) of the plain indexes re-led by organisation.
INDEXES = (
    ("ix_call_external_id", "call", "external_id", "organisation_id, external_id", ""),
    ("ix_call_started_at", "call", "started_at, id", "organisation_id, started_at, id", ""),
    (
        "ix_call_team_id_started_at",
        "call",
        "team_id, started_at, id",
        "organisation_id, team_id, started_at, id",
        "",
    ),
    (
        "ix_call_manager_id_started_at_covering",
        "call",
        "manager_id, started_at, id",
        "organisation_id, manager_id, started_at, id",
        " INCLUDE (checklist_key, total, grade)",
    ),
    ("ix_call_question_call_id", "call_question", "call_id", "organisation_id, call_id", ""),
    (
        "ix_call_violation_call_id_covering",
        "call_violation",
        "call_id",
        "organisation_id, call_id",
        " INCLUDE (phrase)",
    ),
    ("ix_call_violation_phrase", "call_violation", "phrase", "organisation_id, phrase", ""),
)


def _indexes(new: bool) -> None:
    for name, table, old_columns, new_columns, include in INDEXES:
        op.execute(f"DROP INDEX {name}")
        op.execute(
            f"CREATE INDEX {name} ON {table} ({new_columns if new else old_columns}){include}"
        )


def upgrade() -> None:
    for table in CHILDREN:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_call_id_call")
    op.execute(f"ALTER TABLE call ADD COLUMN {ORG}, ADD COLUMN transcript_removed_at timestamptz")
    op.execute(
        "ALTER TABLE call DROP CONSTRAINT pk_call, DROP CONSTRAINT uq_call_source_external_id"
    )
    op.execute(
        "ALTER TABLE call ADD CONSTRAINT pk_call PRIMARY KEY (organisation_id, id), "
        "ADD CONSTRAINT uq_call_organisation_id_source_external_id "
        "UNIQUE (organisation_id, source, external_id)"
    )
    for table in ("call_question", "call_violation"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN {ORG}, DROP CONSTRAINT pk_{table}")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (organisation_id, id)"
        )
    for table in CHILDREN:
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_call FOREIGN KEY "
            "(organisation_id, call_id) REFERENCES call (organisation_id, id) ON DELETE CASCADE"
        )
    _indexes(new=True)
    op.execute(
        "CREATE TABLE call_tombstone ("
        f" {ORG}, source text NOT NULL, external_id text NOT NULL,"
        " erased_at timestamptz NOT NULL DEFAULT now(),"
        " CONSTRAINT pk_call_tombstone PRIMARY KEY (organisation_id, source, external_id))"
    )


def downgrade() -> None:
    op.execute("DROP TABLE call_tombstone")
    # Two organisations' calls of one (source, external_id) cannot both stay: keep the oldest.
    op.execute(
        "DELETE FROM call AS c USING call AS o WHERE o.source = c.source"
        " AND o.external_id = c.external_id AND o.id < c.id"
    )
    _indexes(new=False)
    for table in CHILDREN:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_call")
    for table in ("call_question", "call_violation"):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT pk_{table}, DROP COLUMN organisation_id")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (id)")
    op.execute(
        "ALTER TABLE call DROP CONSTRAINT pk_call,"
        " DROP CONSTRAINT uq_call_organisation_id_source_external_id,"
        " DROP COLUMN transcript_removed_at, DROP COLUMN organisation_id"
    )
    op.execute(
        "ALTER TABLE call ADD CONSTRAINT pk_call PRIMARY KEY (id), "
        "ADD CONSTRAINT uq_call_source_external_id UNIQUE (source, external_id)"
    )
    for table in CHILDREN:
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_call_id_call FOREIGN KEY (call_id)"
            " REFERENCES call (id) ON DELETE CASCADE"
        )
