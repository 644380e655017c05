"""Checklists as data: push versions, list and show them, assign them, find a request's one.

Each organisation (`Tenant`) pushes, assigns and deletes its own checklists; the built-ins are
stored once in the shared organisation ('default', marked `builtin`) and every organisation
reads them (only them: what else 'default' holds, as local-mode pushes, is its own). An
organisation's latest version of a key is the newest it pushed, else the built-in's, so a key it
pushes (even a built-in's) is its own series and changes nothing for the others.

A version is immutable, so its resolved `Checklist` is cached per process by (key, version);
which version is the latest, and which checklist a team uses, is always read from PostgreSQL
(two replicas must agree). Built-ins are stored on start and, should that not have happened
(a CLI import, a database that was down), the first time one is asked for.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import checklists as db
from app.engine import Checklist, ChecklistError, list_checklists
from app.engine.checklist import builtin_keys, get_checklist, parse_checklist
from app.engine.resources import BUILTIN_DIR
from app.i18n import _, number
from app.services.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
)
from app.services.jsonsafe import json_problem
from app.services.schemas import ScoreIn
from app.services.wording import engine_reason
from app.tenancy import LOCAL, Tenant

DEFAULT_CHECKLIST = "realty_phone"
"""The checklist of a call when neither it, its team nor the default names one."""
MAX_DOCUMENT_BYTES = 1024 * 1024
# `PUT /v1/checklists/default` sets the default assignment: no checklist may be called so.
_RESERVED_KEYS = frozenset({"default"})
_CACHE_SIZE = 256
_cache: dict[tuple[str, str], Checklist] = {}

Media = Literal["yaml", "json"]


def _checklist(key: str, version: str, document: dict[str, Any]) -> Checklist:
    """The resolved checklist of a stored version, from the cache or its document."""
    found = _cache.get((key, version))
    if found is None:
        found = Checklist.from_document(document, version)
        if len(_cache) >= _CACHE_SIZE:  # versions loaded one-off must not pile up
            _cache.clear()
        _cache[(key, version)] = found
    return found


def _store_builtin(session: Session, checklist: Checklist, org: str = db.SHARED) -> bool:
    """Store a built-in in the shared organisation or, from another one (which may not write
    there), as that organisation's copy."""
    source = (BUILTIN_DIR / f"{checklist.key}.yaml").read_text(encoding="utf-8")
    return db.insert_version(
        session,
        org,
        checklist.key,
        checklist.version,
        checklist.title,
        checklist.document(),
        source,
        adopted=org != db.SHARED,
        builtin=org == db.SHARED,
    )


def store_builtins(session: Session, *, lock_timeout_ms: int | None = None) -> int:
    """Store the package's built-in checklists (idempotent); how many versions were new.
    With `lock_timeout_ms`, give up (an error) rather than wait longer for a row lock."""
    if lock_timeout_ms is not None:
        db.limit_lock_wait(session, lock_timeout_ms)
    return sum(_store_builtin(session, c) for c in list_checklists())


def _stored(
    session: Session, tenant: Tenant, key: str, version: str | None = None
) -> Checklist | None:
    """A version the tenant may use (its latest when None); a built-in not stored yet is
    stored now."""
    org = tenant.organisation_id
    row = db.get_version(session, org, key, version)
    if row is not None:
        return _checklist(key, row.version, row.document)
    if version is None and key in builtin_keys():
        builtin = get_checklist(key)
        _store_builtin(session, builtin, org)
        return builtin
    return None


def _not_found(key: str, version: str | None) -> NotFound:
    if version is None:
        return NotFound(_("unknown checklist %(key)r", key=key))
    return NotFound(_("checklist %(key)r has no version %(version)r", key=key, version=version))


class ChecklistFinder:
    """Finds the checklist of each request of one unit of work (a call, a batch): the one
    it names, else its team's, else the default, all in the tenant's organisation; one query
    per distinct ask."""

    def __init__(self, session: Session, tenant: Tenant = LOCAL) -> None:
        self.session = session
        self.tenant = tenant
        self._found: dict[tuple[str | None, str | None, str | None], Checklist] = {}

    def for_request(self, request: ScoreIn) -> Checklist:
        """The checklist to score `request` with; NotFound naming the field otherwise."""
        ask = (request.checklist, request.checklist_version, request.team_id)
        if ask not in self._found:
            self._found[ask] = self._find(*ask)
        return self._found[ask]

    def _find(self, key: str | None, version: str | None, team_id: str | None) -> Checklist:
        org = self.tenant.organisation_id
        key, wanted, stored = db.resolve(
            self.session, org, key, version, team_id, DEFAULT_CHECKLIST
        )
        found = None
        if stored is not None:  # just seen in the database: the cache may answer
            found = _cache.get((key, stored)) or _stored(self.session, self.tenant, key, stored)
        elif wanted is None:  # a built-in not stored yet is stored now
            found = _stored(self.session, self.tenant, key)
        if found is None:
            error = _not_found(key, wanted)
            pointer = "/checklist_version" if wanted else "/checklist"
            raise NotFound.at(pointer, error.detail)
        return found


def _invalid(exc: ChecklistError) -> InvalidInput:
    errors: list[FieldError] = []
    for problem in exc.problems:
        error: FieldError = {"pointer": problem.pointer, "reason": engine_reason(problem)}
        if problem.line is not None:
            error["line"] = problem.line
        errors.append(error)
    return InvalidInput(
        _("the checklist is not valid"),
        errors=errors or [{"pointer": "", "reason": engine_reason(exc)}],
    )


def summary(checklist: Checklist) -> dict[str, Any]:
    """Key, version, title and base of a checklist version."""
    base = checklist.extends
    return {
        "key": checklist.key,
        "version": checklist.version,
        "title": checklist.title,
        "extends": base.model_dump() if base else None,
    }


def push(
    session: Session, body: bytes, media: Media, *, tenant: Tenant = LOCAL
) -> tuple[dict[str, Any], bool]:
    """Store a checklist document (YAML or JSON) as a version of the tenant's organisation;
    True when it is new there. The same content pushed again is the same version, made the
    latest again. Its base (`extends`) is the organisation's latest of that key."""
    if len(body) > MAX_DOCUMENT_BYTES:
        mb = MAX_DOCUMENT_BYTES // (1024 * 1024)
        raise PayloadTooLarge(
            _(
                "the checklist is %(size)s bytes; at most %(limit)s MB",
                size=number(len(body)),
                limit=number(mb),
            )
        )
    try:
        checklist = parse_checklist(
            body, json=media == "json", bases=lambda key: _stored(session, tenant, key)
        )
    except ChecklistError as exc:
        raise _invalid(exc) from exc
    if checklist.key in _RESERVED_KEYS:
        raise InvalidInput.at("/key", _("%(key)r is reserved", key=checklist.key))
    document = checklist.document()
    problem = json_problem(document, max_depth=64)
    if problem:
        raise InvalidInput.at(problem[0] or "", problem[1])
    source = body.decode("utf-8-sig")
    org = tenant.organisation_id
    key, version = checklist.key, checklist.version
    created = db.insert_version(session, org, key, version, checklist.title, document, source)
    if not created:
        db.make_latest(session, org, key, version)
    return summary(checklist), created


def latest(session: Session, *, tenant: Tenant = LOCAL) -> list[dict[str, Any]]:
    """Key, version and title of the tenant's latest version of every checklist it sees."""
    rows = db.latest_versions(session, tenant.organisation_id)
    return [{"key": r.key, "version": r.version, "title": r.title} for r in rows]


def detail(
    session: Session, key: str, version: str | None = None, *, tenant: Tenant = LOCAL
) -> dict[str, Any]:
    """A checklist version (the tenant's latest when None) as the engine defines it; NotFound
    else."""
    checklist = _stored(session, tenant, key, version)
    if checklist is None:
        raise _not_found(key, version)
    return checklist.to_dict()


def of_call(
    session: Session, key: str, version: str | None, tenant: Tenant = LOCAL
) -> Checklist | None:
    """The checklist a stored call of the tenant was scored with (the organisation's or a
    built-in), else the key's latest (a call scored before versions were stored), else None
    (a checklist never stored here)."""
    return (version and _stored(session, tenant, key, version)) or _stored(session, tenant, key)


def versions(session: Session, key: str, *, tenant: Tenant = LOCAL) -> dict[str, Any]:
    """The tenant's versions of a checklist (those it pushed, else the built-in's), newest
    (the latest) first; NotFound for a key it does not see."""
    org = tenant.organisation_id
    rows = db.versions(session, org, key)
    if not rows:
        if _stored(session, tenant, key) is None:
            raise _not_found(key, None)
        rows = db.versions(session, org, key)
    return {
        "key": key,
        "versions": [
            {"version": r.version, "title": r.title, "pushed_at": r.pushed_at} for r in rows
        ],
    }


def delete_version(session: Session, key: str, version: str, *, tenant: Tenant = LOCAL) -> None:
    """Delete a version the tenant's organisation pushed and nothing of it uses; Conflict while
    its stored calls or an assignment do, and for a built-in one (shipped with callqa, stored
    again at every start). Another organisation's copy of the same content (the same version
    id) is its own and stays."""
    org = tenant.organisation_id
    builtin = db.lock_version(session, org, key, version)
    if builtin is None:
        raise _not_found(key, version)
    scored, teams = db.version_users(session, org, key, version)
    if scored:
        raise Conflict(
            _(
                "stored calls were scored with %(key)r version %(version)r",
                key=key,
                version=version,
            )
        )
    if teams:
        who = ", ".join(
            _("the default") if t == db.DEFAULT_TEAM else _("team %(team)r", team=t) for t in teams
        )
        raise Conflict(
            _(
                "%(key)r version %(version)r is assigned to %(who)s",
                key=key,
                version=version,
                who=who,
            )
        )
    if builtin:
        raise Conflict(
            _(
                "%(key)r version %(version)r ships with callqa and cannot be deleted",
                key=key,
                version=version,
            )
        )
    db.delete_version(session, org, key, version)


def assign(
    session: Session,
    team_id: str | None,
    key: str,
    version: str | None,
    *,
    tenant: Tenant = LOCAL,
) -> dict[str, Any]:
    """Give a team of the tenant's organisation (None: every team without its own) a checklist
    it sees, pinned to a version or following the latest (None)."""
    pointer = "/checklist" if version is None else "/version"
    if _stored(session, tenant, key, version) is None:
        raise NotFound.at(pointer, _not_found(key, version).detail)
    try:
        db.assign(session, tenant.organisation_id, team_id or db.DEFAULT_TEAM, key, version)
    except IntegrityError as exc:  # the version was deleted meanwhile
        raise NotFound.at(pointer, _not_found(key, version).detail) from exc
    return {"team_id": team_id, "checklist": key, "version": version}
