"""Organisations, API keys and share links: the use cases behind `callqa orgs|keys`, /v1/keys,
/v1/share and the authentication of every request.

A key's secret is shown once and stored only as its SHA-256: a leaked table gives nobody a key,
and a lookup by digest needs no secret comparison at all (the digest found is compared again in
constant time). Share links are HMAC-signed, so checking one needs no row of its own; a link
made with a key names it and dies with it (its liveness is cached like the key's).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal, get_args

import orjson
from sqlalchemy.orm import Session

from app.db import access as db
from app.db.models import ApiKey, Organisation
from app.i18n import _
from app.services.errors import FieldError, Forbidden, InvalidInput, NotFound, Unauthorized
from app.tenancy import DEFAULT_ORGANISATION, Tenant

Scope = Literal["ingest", "read", "review", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
_IMPLIED: dict[str, frozenset[str]] = {
    "ingest": frozenset({"ingest"}),
    "read": frozenset({"read"}),
    "review": frozenset({"read", "review"}),
    "admin": frozenset(SCOPES),
}
ALL_SCOPES = frozenset(SCOPES)
PREFIX = "cq_"
_SECRET = re.compile(r"cq_[A-Za-z0-9_-]{43}")
"""A key: the prefix and 32 random bytes, URL-safe base64 (256 bits)."""
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
SHARE_PAGES = (
    re.compile(r"/calls/[1-9][0-9]{0,18}"),
    re.compile(r"/v1/managers/[^/]{1,200}/report"),
)
_CALL_PAGE = SHARE_PAGES[0]
_FORMS = re.compile(r"(/calls/[1-9][0-9]{0,18})/corrections")
"""Where a call page's correction forms post: a review link of the page opens it too."""
_CSRF_PURPOSE = b"callqa call page forms\x00"


def grants(scopes: frozenset[str], needed: str) -> bool:
    """Whether a key of `scopes` may do what needs `needed` (review reads, admin does all)."""
    return any(needed in _IMPLIED[s] for s in scopes if s in _IMPLIED)


def digest(secret: str) -> bytes:
    """The SHA-256 a key is stored and looked up by."""
    return hashlib.sha256(secret.encode()).digest()


def well_formed(secret: str) -> bool:
    """Whether `secret` has the shape of a key (checked before any lookup)."""
    return _SECRET.fullmatch(secret) is not None


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What authentication needs to know about a key."""

    id: int
    organisation_id: str
    scopes: frozenset[str]
    teams: frozenset[str] | None
    revoked: bool
    rate_limit: int | None
    mask: bool | None = None

    def tenant(self) -> Tenant:
        return Tenant(
            organisation_id=self.organisation_id, teams=self.teams, key_id=self.id, mask=self.mask
        )


def lookup(session: Session, key_digest: bytes) -> KeyInfo | None:
    """The key of this digest, or None."""
    found = db.key_by_digest(session, key_digest)
    if found is None:
        return None
    key, org = found
    if not hmac.compare_digest(key.secret_sha256, key_digest):
        return None
    return KeyInfo(
        id=key.id,
        organisation_id=key.organisation_id,
        scopes=frozenset(key.scopes),
        teams=None if key.teams is None else frozenset(key.teams),
        revoked=key.revoked_at is not None,
        rate_limit=org.rate_limit,
        mask=org.mask,
    )


def any_key(session: Session) -> bool:
    """Whether local mode is over (a key was made)."""
    return db.any_key(session)


def _check_org_id(org_id: str) -> None:
    if not _NAME.fullmatch(org_id):
        raise InvalidInput.at(
            "/organisation",
            _("1-64 letters, digits, '.', '_' or '-'"),
            _("bad organisation %(organisation)r", organisation=org_id),
        )


def organisation_out(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "retention_days": org.retention_days,
        "mask": org.mask,
        "rate_limit": org.rate_limit,
        "created_at": org.created_at,
    }


def create_organisation(session: Session, org_id: str, **settings: Any) -> dict[str, Any]:
    """A new organisation (or the existing one), with the settings given."""
    _check_org_id(org_id)
    db.ensure_organisation(session, org_id)
    return set_organisation(session, org_id, **settings)


def ensure_organisation(session: Session, org_id: str) -> bool:
    """The organisation, created if needed (as a key of it is): True if it was created now."""
    _check_org_id(org_id)
    return db.ensure_organisation(session, org_id)


def set_organisation(session: Session, org_id: str, **settings: Any) -> dict[str, Any]:
    """Change an organisation's settings; only those given (not None) change."""
    values = {k: v for k, v in settings.items() if v is not None}
    if values and not db.update_organisation(session, org_id, values):
        raise NotFound(_("no organisation %(organisation)r", organisation=org_id))
    org = db.get_organisation(session, org_id)
    if org is None:
        raise NotFound(_("no organisation %(organisation)r", organisation=org_id))
    session.refresh(org)
    return organisation_out(org)


def list_organisations(session: Session) -> list[dict[str, Any]]:
    return [organisation_out(org) for org in db.list_organisations(session)]


def key_out(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "organisation": key.organisation_id,
        "name": key.name,
        "scopes": list(key.scopes),
        "teams": key.teams,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }


def create_key(
    session: Session,
    *,
    organisation: str = DEFAULT_ORGANISATION,
    scopes: list[str],
    teams: list[str] | None = None,
    name: str | None = None,
) -> tuple[dict[str, Any], str]:
    """A new key of the organisation (created if needed): its description and its secret,
    which is shown this once and never stored."""
    _check_org_id(organisation)
    if not scopes or any(s not in SCOPES for s in scopes):
        raise InvalidInput.at(
            "/scopes", _("each scope is one of %(scopes)s", scopes=", ".join(SCOPES))
        )
    if teams is not None and (not teams or any(not t.strip() or len(t) > 200 for t in teams)):
        raise InvalidInput.at("/teams", _("a team filter names at least one team, each non-empty"))
    db.ensure_organisation(session, organisation)
    secret = PREFIX + secrets.token_urlsafe(32)
    key = db.add_key(
        session,
        organisation,
        name=name,
        scopes=sorted(set(scopes)),
        teams=sorted(set(teams)) if teams is not None else None,
        digest=digest(secret),
    )
    return key_out(key), secret


def list_keys(
    session: Session, organisation: str | None = None, teams: frozenset[str] | None = None
) -> list[dict[str, Any]]:
    """Keys (never their secrets): all, or one organisation's; for a key limited to `teams`,
    those limited to some of its teams (the keys it could have made)."""
    return [key_out(k) for k in db.list_keys(session, organisation, teams)]


def revoke_key(
    session: Session,
    key_id: int,
    organisation: str | None = None,
    teams: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Revoke a key; servers refuse it and its share links within CALLQA_KEY_CACHE_S. 404 if
    there is none, or it is not within `teams` (a key limited to teams revokes only keys it
    could make)."""
    key = db.revoke_key(session, key_id, organisation, teams)
    if key is None:
        raise NotFound(_("no key %(key)s", key=key_id))
    return key_out(key)


def check_teams_within(tenant: Tenant, teams: list[str] | None) -> None:
    """A key limited to teams may only hand out keys limited to some of those teams."""
    if tenant.teams is None:
        return
    if teams is None or not set(teams) <= tenant.teams:
        raise Forbidden(_("a key limited to teams can only create keys for some of its teams"))


def check_team(tenant: Tenant, team_id: str | None, field: FieldError) -> None:
    """A key limited to teams acts for those teams only (`team_id` None: for every team):
    403 naming the field (`{"pointer": ...}` or `{"parameter": ...}`) otherwise."""
    if tenant.sees_team(team_id):
        return
    reason = "this key may act for its own teams only (name one of them)"
    raise Forbidden(reason, errors=[field | {"reason": reason}])


# Share links -----------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def shareable(path: str) -> bool:
    """Whether `path` is an HTML page a share link may open (a call page, a report)."""
    return any(p.fullmatch(path) for p in SHARE_PAGES)


def sign_share(
    secret: bytes, tenant: Tenant, path: str, expires_at: int, *, review: bool = False
) -> str:
    """A token for GET `path` as `tenant` (its organisation and teams) until `expires_at`.
    With `review` (a review or admin key sharing a call page) the token also names the key
    and lets the page's forms correct the call as that key. A token made with a key names it
    (`k`), so revoking the key ends the link; one made in local mode names none."""
    teams = None if tenant.teams is None else sorted(tenant.teams)
    claims: dict[str, Any] = {"p": path, "o": tenant.organisation_id, "t": teams, "e": expires_at}
    if tenant.key_id is not None:
        claims["k"] = tenant.key_id
    if review and _CALL_PAGE.fullmatch(path):
        claims |= {"r": 1, "k": tenant.key_id}
    payload = _b64(orjson.dumps(claims))
    mac = hmac.new(secret, payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def share_organisation(token: str) -> str:
    """The organisation a token claims (its secret checks the claim); 401 if unreadable."""
    return _share_payload(token)["o"]  # type: ignore[no-any-return]


def _share_payload(token: str) -> dict[str, Any]:
    try:
        payload, _signature = token.split(".", 1)
        data = orjson.loads(_unb64(payload))
        if not isinstance(data, dict) or not isinstance(data.get("o"), str):
            raise ValueError
    except (ValueError, orjson.JSONDecodeError):
        raise Unauthorized(_("the share link is malformed")) from None
    return data


@dataclass(frozen=True, slots=True)
class Share:
    """What a verified share token grants."""

    tenant: Tenant
    expires: int
    review: bool
    """Whether the call page's correction forms may be used through it."""
    key_id: int | None = None
    """The key that made the link, which must still be live (None: made in local mode)."""


def shared_page(path: str) -> str:
    """The page a request path belongs to: a call page's form route to that call page."""
    forms = _FORMS.fullmatch(path)
    return forms.group(1) if forms else path


def verify_share(secret: bytes, token: str, path: str, now: float | None = None) -> Share:
    """What a share token grants for `path` (the page, or its form route); 401 when forged,
    expired or for another page."""
    data = _share_payload(token)
    payload, mac = token.split(".", 1)
    expected = hmac.new(secret, payload.encode(), hashlib.sha256).digest()
    try:
        given = _unb64(mac)
    except ValueError:
        given = b""
    if not hmac.compare_digest(expected, given):
        raise Unauthorized(_("the share link is not valid"))
    if not isinstance(data.get("e"), int) or data["e"] <= (now or time.time()):
        raise Unauthorized(_("the share link has expired"))
    if data.get("p") != shared_page(path):
        raise Unauthorized(_("the share link is for another page"))
    teams = data.get("t")
    review = data.get("r") == 1
    maker = data.get("k") if isinstance(data.get("k"), int) else None
    tenant = Tenant(
        organisation_id=data["o"],
        teams=None if teams is None else frozenset(teams),
        key_id=maker if review else None,
    )
    return Share(tenant, data["e"], review, maker)


def key_live(session: Session, key_id: int, organisation: str) -> bool:
    """Whether the key of a share link is still there, of that organisation, and not revoked."""
    return db.key_live(session, key_id, organisation)


def csrf_token(secret: bytes, share_token: str) -> str:
    """The token a call page's forms carry: bound to the share link they came through, so a
    form made elsewhere cannot post with that link."""
    return _b64(hmac.new(secret, _CSRF_PURPOSE + share_token.encode(), hashlib.sha256).digest())


def check_csrf(secret: bytes, share_token: str, given: str | None) -> None:
    """403 unless `given` is the link's form token (compared in constant time)."""
    expected = csrf_token(secret, share_token).encode()
    if not given or not hmac.compare_digest(expected, given.encode("utf-8", "replace")):
        raise Forbidden(_("the form's token is missing or not this link's: open the page again"))


def share_secret(session: Session, organisation: str) -> bytes | None:
    """The organisation's stored signing secret (when CALLQA_SECRET_KEY is unset)."""
    stored = db.share_secret(session, organisation)
    return None if stored is None else stored.encode()
