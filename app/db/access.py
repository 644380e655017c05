"""Queries of organisations and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.db.models import ApiKey, Organisation


def ensure_organisation(session: Session, org_id: str) -> bool:
    """Create the organisation if it does not exist (its name is its id); True if it was
    created now."""
    stmt = insert(Organisation).values(id=org_id, name=org_id).on_conflict_do_nothing()
    return session.execute(stmt.returning(Organisation.id)).scalar() is not None


def get_organisation(session: Session, org_id: str) -> Organisation | None:
    """One organisation by id."""
    return session.get(Organisation, org_id)


def list_organisations(session: Session) -> Sequence[Organisation]:
    """Every organisation, by id."""
    return session.execute(select(Organisation).order_by(Organisation.id)).scalars().all()


def update_organisation(session: Session, org_id: str, values: dict[str, Any]) -> bool:
    """Set some settings of an organisation; False if there is none of that id."""
    stmt = update(Organisation).where(Organisation.id == org_id).values(**values)
    return session.execute(stmt.returning(Organisation.id)).scalar() is not None


def add_key(
    session: Session,
    org_id: str,
    *,
    name: str | None,
    scopes: list[str],
    teams: list[str] | None,
    digest: bytes,
) -> ApiKey:
    """Store a new key (its secret's SHA-256 only)."""
    key = ApiKey(
        organisation_id=org_id, name=name, scopes=scopes, teams=teams, secret_sha256=digest
    )
    session.add(key)
    session.flush()
    session.refresh(key)
    return key


def _within(org_id: str | None, teams: frozenset[str] | None) -> list[ColumnElement[bool]]:
    """Keys of the organisation (None: any) and, when `teams` is given, limited to some of
    those teams (a key for every team, or for another team, is not theirs to see)."""
    clauses: list[ColumnElement[bool]] = []
    if org_id is not None:
        clauses.append(ApiKey.organisation_id == org_id)
    if teams is not None:
        clauses.append(ApiKey.teams.contained_by(sorted(teams)))  # NULL (every team): no
    return clauses


def list_keys(
    session: Session, org_id: str | None = None, teams: frozenset[str] | None = None
) -> Sequence[ApiKey]:
    """Keys, oldest first: all of them, or one organisation's (of some of `teams`)."""
    stmt = select(ApiKey).where(*_within(org_id, teams)).order_by(ApiKey.id)
    return session.execute(stmt).scalars().all()


def revoke_key(
    session: Session,
    key_id: int,
    org_id: str | None = None,
    teams: frozenset[str] | None = None,
) -> ApiKey | None:
    """Mark a key revoked (kept revoked if it was); None if there is no such key."""
    stmt = update(ApiKey).where(ApiKey.id == key_id, *_within(org_id, teams))
    stmt = stmt.values(revoked_at=func.coalesce(ApiKey.revoked_at, func.now()))
    return session.execute(stmt.returning(ApiKey)).scalar_one_or_none()


def key_by_digest(session: Session, digest: bytes) -> tuple[ApiKey, Organisation] | None:
    """The key whose secret has this SHA-256, with its organisation."""
    stmt = (
        select(ApiKey, Organisation)
        .join(Organisation, Organisation.id == ApiKey.organisation_id)
        .where(ApiKey.secret_sha256 == digest)
    )
    row = session.execute(stmt).one_or_none()
    return None if row is None else (row[0], row[1])


def key_live(session: Session, key_id: int, org_id: str) -> bool:
    """Whether the key exists in the organisation and is not revoked."""
    live = exists().where(
        ApiKey.id == key_id, ApiKey.organisation_id == org_id, ApiKey.revoked_at.is_(None)
    )
    return bool(session.execute(select(live)).scalar())


def any_key(session: Session) -> bool:
    """Whether a key was ever made (revoked ones count: local mode does not come back)."""
    return bool(session.execute(select(exists().select_from(ApiKey))).scalar())


def share_secret(session: Session, org_id: str) -> str | None:
    """The organisation's stored share-link secret."""
    stmt = select(Organisation.share_secret).where(Organisation.id == org_id)
    return session.execute(stmt).scalar_one_or_none()
