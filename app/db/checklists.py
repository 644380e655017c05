"""Queries of checklist versions and of the checklist each team is scored with.

A version row is never updated but for `pushed_at`, which orders a key's versions: the latest
is the one used when a call names no version, and pushing an older content again makes it the
latest again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, exists, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.orm import Session

from app.db.models import CallScore, ChecklistAssignment, ChecklistVersion

ORGANISATION = "default"
DEFAULT_TEAM = ""
"""The team_id of the assignment that holds for every team without its own."""

_V = ChecklistVersion
_IN_ORG = _V.organisation_id == ORGANISATION


def insert_version(
    session: Session, key: str, version: str, title: str, document: dict[str, Any], source: str
) -> bool:
    """Store a version; False when it was stored before (nothing changes then)."""
    stmt = (
        insert(_V)
        .values(
            organisation_id=ORGANISATION,
            key=key,
            version=version,
            title=title,
            document=document,
            source=source,
        )
        .on_conflict_do_nothing()
        .returning(literal(True))
    )
    return session.execute(stmt).scalar() is not None


def limit_lock_wait(session: Session, milliseconds: int) -> None:
    """Wait at most this long for any lock for the rest of the transaction."""
    session.execute(
        text("SELECT set_config('lock_timeout', :ms, true)"), {"ms": f"{milliseconds}ms"}
    )


def make_latest(session: Session, key: str, version: str) -> None:
    """Make a stored version the key's latest again (a re-push of its content)."""
    session.execute(
        update(_V)
        .where(_IN_ORG, _V.key == key, _V.version == version)
        .values(pushed_at=func.clock_timestamp())
    )


def latest_versions(session: Session) -> Sequence[Any]:
    """(key, version, title, pushed_at) of the latest version of every key, by key."""
    stmt = (
        select(_V.key, _V.version, _V.title, _V.pushed_at)
        .where(_IN_ORG)
        .ext(distinct_on(_V.key))
        .order_by(_V.key, _V.pushed_at.desc())
    )
    return session.execute(stmt).all()


def versions(session: Session, key: str) -> Sequence[Any]:
    """(version, title, pushed_at) of a key's versions, newest first."""
    stmt = (
        select(_V.version, _V.title, _V.pushed_at)
        .where(_IN_ORG, _V.key == key)
        .order_by(_V.pushed_at.desc())
    )
    return session.execute(stmt).all()


def get_version(session: Session, key: str, version: str | None) -> Row[Any] | None:
    """(version, document, pushed_at) of a version, or of the key's latest when None."""
    stmt = select(_V.version, _V.document, _V.pushed_at).where(_IN_ORG, _V.key == key)
    if version is not None:
        stmt = stmt.where(_V.version == version)
    return session.execute(stmt.order_by(_V.pushed_at.desc()).limit(1)).first()


# The checklist of a request: the one it names, else its team's, else the default of all
# teams, else `:fallback`; pinned by the request's version or the assignment's, else the
# latest. The key comes back even when no version of it is stored.
_RESOLVE = text(
    """
WITH wanted AS (
    SELECT coalesce(:key, a.checklist_key, :fallback) AS key,
        coalesce(:version, CASE WHEN CAST(:key AS text) IS NULL THEN a.checklist_version END)
            AS version
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
        SELECT checklist_key, checklist_version FROM checklist_assignment
        WHERE organisation_id = :org AND team_id IN (:team, '')
        ORDER BY team_id = ''
        LIMIT 1
    ) AS a ON CAST(:key AS text) IS NULL
)
SELECT w.key, w.version AS wanted_version, v.version
FROM wanted AS w
LEFT JOIN LATERAL (
    SELECT version FROM checklist_version
    WHERE organisation_id = :org AND key = w.key AND (w.version IS NULL OR version = w.version)
    ORDER BY pushed_at DESC
    LIMIT 1
) AS v ON true
"""
)


def resolve(
    session: Session, key: str | None, version: str | None, team_id: str | None, fallback: str
) -> tuple[str, str | None, str | None]:
    """(key, version asked for or None, stored version or None) of a request's checklist."""
    params = {
        "key": key,
        "version": version,
        "team": team_id or DEFAULT_TEAM,
        "fallback": fallback,
        "org": ORGANISATION,
    }
    row = session.execute(_RESOLVE, params).one()
    return row.key, row.wanted_version, row.version


def lock_version(session: Session, key: str, version: str) -> bool:
    """Lock a version against concurrent use before deleting it; False if there is none."""
    stmt = select(_V.version).where(_IN_ORG, _V.key == key, _V.version == version)
    return session.execute(stmt.with_for_update()).first() is not None


def version_users(session: Session, key: str, version: str) -> tuple[bool, list[str]]:
    """Whether calls hold scores under a version (at ingest or from a rescoring), and the
    teams pinned to it ('' is the default)."""
    s = CallScore
    scored = session.execute(
        select(
            exists().where(
                s.organisation_id == ORGANISATION,
                s.checklist_key == key,
                s.checklist_version == version,
            )
        )
    ).scalar_one()
    a = ChecklistAssignment
    teams = session.execute(
        select(a.team_id).where(
            a.organisation_id == ORGANISATION,
            a.checklist_key == key,
            a.checklist_version == version,
        )
    ).scalars()
    return bool(scored), list(teams)


def delete_version(session: Session, key: str, version: str) -> None:
    """Delete a version (the caller checked nothing uses it)."""
    session.execute(delete(_V).where(_IN_ORG, _V.key == key, _V.version == version))


def assign(session: Session, team_id: str, key: str, version: str | None) -> None:
    """Give a team ('' for all) a checklist, pinned to `version` or following the latest."""
    a = ChecklistAssignment
    stmt = insert(a).values(
        organisation_id=ORGANISATION, team_id=team_id, checklist_key=key, checklist_version=version
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[a.organisation_id, a.team_id],
        set_={"checklist_key": key, "checklist_version": version},
    )
    session.execute(stmt)
