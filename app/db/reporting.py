"""Grants of the `reporting` views (migration 2026-12-03-0835) to a read-only role.

The views are `security_invoker`, so the role needs SELECT on the columns under them too: it
gets exactly those (never `transcript`, `utterances`, `metadata` or a violation's utterance
text) and nothing else, so it can read the views but not the rest of callqa.
"""

from __future__ import annotations

from psycopg import sql
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

# The base columns the views read, per table.
COLUMNS: dict[str, tuple[str, ...]] = {
    "call": (
        "organisation_id", "id", "source", "external_id", "manager_id", "manager_name",
        "team_id", "started_at", "duration_s", "checklist_key", "checklist_version", "total",
        "grade", "created_at", "score",
    ),
    "call_score": (
        "organisation_id", "call_id", "checklist_key", "checklist_version", "total", "grade",
        "scored_at",
    ),
    "call_question": ("organisation_id", "call_id", "utterance", "category", "text", "start_s"),
    "call_violation": (
        "organisation_id", "call_id", "utterance", "phrase", "matched", "replacement", "start_s",
    ),
    "manager_rollup_day": (
        "organisation_id", "checklist_version", "day", "manager_id", "team_id", "checklist_key",
        "calls", "total_sum", "questions",
        "violations",
    ),
}  # fmt: skip
ORGANISATION_SETTING = "callqa.organisation_id"

_ROLE_EXISTS = text("SELECT 1 FROM pg_roles WHERE rolname = :role")
"""The role's organisation, for the row-level security policies of organisations."""


def role_exists(session: Session, role: str) -> bool:
    """Whether the database has a role of that name."""
    return session.execute(_ROLE_EXISTS, {"role": role}).first() is not None


def _grants(role: str, organisation: str | None = None) -> list[sql.Composed]:
    """What `role` needs to read the reporting views; with `organisation`, its organisation."""
    who = sql.Identifier(role)
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA reporting TO {}").format(who),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO {}").format(who),
    ]
    for table, columns in COLUMNS.items():
        statements.append(
            sql.SQL("GRANT SELECT ({}) ON public.{} TO {}").format(
                sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table), who
            )
        )
    if organisation is not None:
        statements.append(
            sql.SQL("ALTER ROLE {} SET {} = {}").format(
                who, sql.SQL(ORGANISATION_SETTING), sql.Literal(organisation)
            )
        )
    return statements


def _run(connection: Connection, statements: list[sql.Composed]) -> None:
    """On the connection's driver connection: in its transaction."""
    raw = connection.connection.driver_connection
    assert raw is not None  # a connection in use always has its psycopg connection
    for statement in statements:
        raw.execute(statement)


def grant_reporting(session: Session, role: str, organisation: str | None = None) -> None:
    """Let `role` (which must exist) read the reporting views; with `organisation`, set it
    as the role's organisation."""
    _run(session.connection(), _grants(role, organisation))


# The roles the reporting schema's usage is granted to, but its owner (and PUBLIC).
_READERS = text(
    """
SELECT pg_get_userbyid(a.grantee) AS role
FROM pg_namespace AS n, aclexplode(n.nspacl) AS a
WHERE n.nspname = 'reporting' AND a.privilege_type = 'USAGE'
    AND a.grantee NOT IN (0, n.nspowner)
ORDER BY 1
"""
)


def refresh_grants(connection: Connection) -> list[str]:
    """Grant the roles that read the reporting views what they need again, after migrations:
    a view (or a column under one) added since their grant is theirs too; the roles."""
    roles = [row.role for row in connection.execute(_READERS)]
    for role in roles:
        _run(connection, _grants(role))
    return roles
