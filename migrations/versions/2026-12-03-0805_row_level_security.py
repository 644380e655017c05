"""Row-level security on every tenant table, keyed by the transaction's organisation, and the
role requests and jobs run as, so a query that forgets its organisation filter cannot leak.

Policies compare `organisation_id` with the setting `callqa.organisation_id`, which callqa sets
per transaction (`app.db.session`); unset, no row matches. RLS is FORCEd, so it holds for the
tables' owner too, and superusers and BYPASSRLS roles are the only way round it: requests and
jobs therefore `SET ROLE callqa_app` (NOLOGIN, no BYPASSRLS) and migrations run as the owner,
which alone may see every organisation, in transactions that turn `callqa.maintenance` on
(migrations, rebuilding the day roll-ups).
Checklists of the organisation 'default' (the built-ins) are readable by every organisation.
Tables without `organisation_id` (the day zone, the job queue, and those added later for
keys and organisations) get grants but no policy: they are not tenant data. The roll-ups get
their `organisation_id` here as a plain column if they lack it; their keys are re-led by it
separately (that migration, in either order with this one, keeps the column).

The role is cluster-wide and other databases of the server may use it, so the downgrade
revokes its grants here but keeps it.

Revision ID: 2026_12_03_0805
Revises: 2026_12_03_0800
Create Date: 2026-12-03 08:05:00 UTC
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2026_12_03_0805"
down_revision: str | None = "2026_12_03_0800"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "callqa_app"
ROLLUPS = ("manager_rollup", "manager_rollup_day", "violation_rollup_day", "violation_rollup_month")
CHECKLISTS = ("checklist_version", "checklist_assignment")
TABLES = ("call", "call_question", "call_violation", "call_score", "call_tombstone", "job")
TABLES += ("call_correction", "call_review")
TABLES += ROLLUPS + CHECKLISTS
# Migrations and maintenance that span organisations (as the owner, never as the app role)
# turn `callqa.maintenance` on for their transaction (`app.db.migrate`).
OWN = (
    "organisation_id = current_setting('callqa.organisation_id', true)"
    f" OR (current_user <> '{ROLE}' AND current_setting('callqa.maintenance', true) = 'on')"
)
PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


def upgrade() -> None:
    # Two databases of one server migrating at once may both create the role: one wins. An
    # owner without CREATEROLE needs it made by an administrator first.
    op.execute(
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
                CREATE ROLE {ROLE} NOLOGIN NOBYPASSRLS;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$"""
    )
    op.execute(
        f"""DO $$ BEGIN
            EXECUTE format('GRANT {ROLE} TO %I', current_user);
        EXCEPTION WHEN OTHERS THEN NULL;  -- already a member, or a superuser
        END $$"""
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT {PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {PRIVILEGES} ON TABLES TO {ROLE}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {ROLE}"
    )
    for table in ROLLUPS:
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "
            "organisation_id text NOT NULL DEFAULT 'default'"
        )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant ON {table} USING ({OWN}) WITH CHECK ({OWN})")
    for table in CHECKLISTS:
        op.execute(
            f"CREATE POLICY builtin ON {table} FOR SELECT USING (organisation_id = 'default')"
        )


def downgrade() -> None:
    for table in CHECKLISTS:
        op.execute(f"DROP POLICY builtin ON {table}")
    for table in TABLES:
        op.execute(f"DROP POLICY tenant ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for table in ROLLUPS:  # the column stays where a re-keying migration made it a key
        op.execute(
            f"""DO $$ BEGIN
                IF NOT EXISTS (
                    SELECT FROM pg_index i JOIN pg_attribute a
                        ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                    WHERE i.indrelid = '{table}'::regclass AND i.indisprimary
                        AND a.attname = 'organisation_id'
                ) THEN
                    ALTER TABLE {table} DROP COLUMN IF EXISTS organisation_id;
                END IF;
            END $$"""
        )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM {ROLE}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE {PRIVILEGES} ON TABLES FROM {ROLE}"
    )
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {ROLE}")
