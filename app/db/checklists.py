"""Queries of checklist versions and of the checklist each team is scored with.

A version row is never updated but for `pushed_at`, which orders a key's versions: the latest
is the one used when a call names no version, and pushing an older content again makes it the
latest again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.orm import Session

from app.db.models import CallScore, ChecklistAssignment, ChecklistVersion
from app.tenancy import DEFAULT_ORGANISATION

SHARED = DEFAULT_ORGANISATION
"""The organisation that holds the built-ins (its versions marked `builtin`), which every
organisation reads (the `builtin` row-level policy) and none but it changes. What else it holds
(local-mode pushes) is its own."""
DEFAULT_TEAM = ""
"""The team_id of the assignment that holds for every team without its own."""

_V = ChecklistVersion


def _shared() -> ColumnElement[bool]:
    """The built-ins every organisation reads."""
    return (_V.organisation_id == SHARED) & _V.builtin


def _visible(org: str) -> ColumnElement[bool]:
    """The versions `org` may use: its own and its copies, and the built-ins."""
    return or_(_V.organisation_id == org, _shared())


def _series(org: str) -> ColumnElement[bool]:
    """The versions that may be `org`'s latest of a key: those it pushed, and the built-ins
    (which count only for a key it never pushed: order by `_own_first`)."""
    return or_(_shared(), (_V.organisation_id == org) & ~_V.adopted)


def _own_first(org: str) -> ColumnElement[bool]:
    return (_V.organisation_id == org).desc()


def insert_version(
    session: Session,
    org: str,
    key: str,
    version: str,
    title: str,
    document: dict[str, Any],
    source: str,
    *,
    adopted: bool = False,
    builtin: bool = False,
) -> bool:
    """Store a version in `org`; False when it was stored there before (nothing changes then,
    but that pushing a version the organisation only held as a built-in's copy makes it its
    own, and that storing a built-in marks the same content pushed before as one: True)."""
    values = {
        "organisation_id": org,
        "key": key,
        "version": version,
        "title": title,
        "document": document,
        "source": source,
        "adopted": adopted,
        "builtin": builtin,
    }
    stmt = insert(_V).values(**values)
    if adopted:
        stmt = stmt.on_conflict_do_nothing()
    elif builtin:
        stmt = stmt.on_conflict_do_update(
            index_elements=[_V.organisation_id, _V.key, _V.version],
            set_={"builtin": True},
            where=_V.builtin.is_(False),
        )
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=[_V.organisation_id, _V.key, _V.version],
            set_={"adopted": False, "source": source, "pushed_at": func.clock_timestamp()},
            where=_V.adopted.is_(True),
        )
    return session.execute(stmt.returning(literal(True))).scalar() is not None


def adopt(session: Session, org: str, key: str, version: str) -> None:
    """Copy a built-in's version into `org` (unless it holds it), so its rows may refer to it."""
    if org == SHARED:
        return
    shared = select(
        literal(org),
        _V.key,
        _V.version,
        _V.title,
        _V.document,
        _V.source,
        _V.pushed_at,
        literal(True),
    ).where(_shared(), _V.key == key, _V.version == version)
    columns = ["organisation_id", "key", "version", "title", "document", "source", "pushed_at"]
    stmt = insert(_V).from_select([*columns, "adopted"], shared).on_conflict_do_nothing()
    session.execute(stmt)


def limit_lock_wait(session: Session, milliseconds: int) -> None:
    """Wait at most this long for any lock for the rest of the transaction."""
    session.execute(
        text("SELECT set_config('lock_timeout', :ms, true)"), {"ms": f"{milliseconds}ms"}
    )


def make_latest(session: Session, org: str, key: str, version: str) -> None:
    """Make a version `org` pushed its key's latest again (a re-push of its content)."""
    session.execute(
        update(_V)
        .where(_V.organisation_id == org, _V.key == key, _V.version == version)
        .values(pushed_at=func.clock_timestamp())
    )


def latest_versions(session: Session, org: str) -> Sequence[Any]:
    """(key, version, title, pushed_at) of `org`'s latest version of every key, by key: of
    those it pushed, else the shared one."""
    stmt = (
        select(_V.key, _V.version, _V.title, _V.pushed_at)
        .where(_series(org))
        .ext(distinct_on(_V.key))
        .order_by(_V.key, _own_first(org), _V.pushed_at.desc())
    )
    return session.execute(stmt).all()


def _series_owner(org: str, key: str) -> ColumnElement[str]:
    """`org` when it pushed a version of `key`, else the shared organisation."""
    pushed = exists().where(_V.organisation_id == org, _V.key == key, ~_V.adopted)
    return case((pushed, literal(org)), else_=literal(SHARED))


def versions(session: Session, org: str, key: str) -> Sequence[Any]:
    """(version, title, pushed_at) of `org`'s series of a key (the versions it pushed, else the
    built-in's), newest first."""
    stmt = (
        select(_V.version, _V.title, _V.pushed_at)
        .where(
            _V.organisation_id == _series_owner(org, key),
            _V.key == key,
            ~_V.adopted,
            or_(_V.organisation_id == org, _V.builtin),
        )
        .order_by(_V.pushed_at.desc())
    )
    return session.execute(stmt).all()


def get_version(session: Session, org: str, key: str, version: str | None) -> Row[Any] | None:
    """(organisation_id, version, document, pushed_at) of a version `org` may use, or of its
    latest of the key when None."""
    stmt = select(_V.organisation_id, _V.version, _V.document, _V.pushed_at).where(_V.key == key)
    if version is not None:
        stmt = stmt.where(_visible(org), _V.version == version)
    else:
        stmt = stmt.where(_series(org))
    order = (_own_first(org), _V.pushed_at.desc())
    return session.execute(stmt.order_by(*order).limit(1)).first()


# The checklist of a request: the one it names, else its team's, else the default of all
# teams of the organisation, else `:fallback`; pinned by the request's version or the
# assignment's, else the organisation's latest (of the versions it pushed, else the
# built-in's). The key comes back even when no version of it is stored.
_RESOLVE = text(
    f"""
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
    WHERE (organisation_id = :org OR (organisation_id = '{SHARED}' AND builtin)) AND key = w.key
        AND CASE WHEN w.version IS NULL THEN NOT adopted ELSE version = w.version END
    ORDER BY organisation_id = :org DESC, pushed_at DESC
    LIMIT 1
) AS v ON true
"""
)


def resolve(
    session: Session,
    org: str,
    key: str | None,
    version: str | None,
    team_id: str | None,
    fallback: str,
) -> tuple[str, str | None, str | None]:
    """(key, version asked for or None, stored version or None) of a request's checklist in
    `org`."""
    params = {
        "key": key,
        "version": version,
        "team": team_id or DEFAULT_TEAM,
        "fallback": fallback,
        "org": org,
    }
    row = session.execute(_RESOLVE, params).one()
    return row.key, row.wanted_version, row.version


def _pushed(org: str, key: str, version: str) -> tuple[ColumnElement[bool], ...]:
    return (_V.organisation_id == org, _V.key == key, _V.version == version, ~_V.adopted)


def lock_version(session: Session, org: str, key: str, version: str) -> bool | None:
    """Lock a version `org` pushed against concurrent use before deleting it: whether it is a
    built-in (shipped with callqa), None if there is none (a shared version is not the
    organisation's to delete)."""
    stmt = select(_V.builtin).where(*_pushed(org, key, version))
    return session.execute(stmt.with_for_update()).scalar_one_or_none()


def version_users(session: Session, org: str, key: str, version: str) -> tuple[bool, list[str]]:
    """Whether `org`'s calls hold scores under a version (at ingest or from a rescoring), and
    its teams pinned to it ('' is the default)."""
    s = CallScore
    scored = session.execute(
        select(
            exists().where(
                s.organisation_id == org,
                s.checklist_key == key,
                s.checklist_version == version,
            )
        )
    ).scalar_one()
    a = ChecklistAssignment
    teams = session.execute(
        select(a.team_id).where(
            a.organisation_id == org,
            a.checklist_key == key,
            a.checklist_version == version,
        )
    ).scalars()
    return bool(scored), list(teams)


def delete_version(session: Session, org: str, key: str, version: str) -> None:
    """Delete a version `org` pushed (the caller checked nothing of it uses it)."""
    session.execute(delete(_V).where(*_pushed(org, key, version)))


def assign(session: Session, org: str, team_id: str, key: str, version: str | None) -> None:
    """Give a team ('' for all) of `org` a checklist, pinned to `version` (a shared one is
    copied into the organisation first) or following the latest."""
    if version is not None:
        adopt(session, org, key, version)
    a = ChecklistAssignment
    stmt = insert(a).values(
        organisation_id=org, team_id=team_id, checklist_key=key, checklist_version=version
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[a.organisation_id, a.team_id],
        set_={"checklist_key": key, "checklist_version": version},
    )
    session.execute(stmt)
