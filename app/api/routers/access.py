"""Keys, share links and the audit log: /v1/keys (admin), POST /v1/share, GET /v1/audit."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from app.api.auth import Authenticator
from app.api.deps import EVERY_TEAM, CallerDep, SettingsDep, TenantDep, TxDep, require
from app.api.responses import json_response, problems
from app.i18n import _
from app.services import access
from app.services.access import Scope
from app.services.audit import audit_entries
from app.services.errors import InvalidInput
from app.services.schemas import Id

router = APIRouter(prefix="/v1", tags=["access"])
KeyId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The id of the key.")]
ADMIN = [require("admin")]
MAX_SHARE_S = 90 * 24 * 3600


class KeyIn(BaseModel):
    """A new key of the caller's organisation."""

    scopes: list[Scope] = Field(min_length=1, max_length=4)
    teams: list[Id] | None = Field(default=None, description="Default: every team.")
    name: str | None = Field(default=None, max_length=200)

    model_config = {"extra": "forbid"}


class ShareIn(BaseModel):
    path: str = Field(
        max_length=300,
        description="An HTML page: /calls/{id} or /v1/managers/{manager_id}/report, with its "
        "query if any (?format=html&from=…).",
    )
    expires_in: int = Field(default=7 * 24 * 3600, ge=60, le=MAX_SHARE_S, description="Seconds.")

    model_config = {"extra": "forbid"}


@router.get("/keys", dependencies=ADMIN, responses=problems(503))
async def list_keys(tx: TxDep, tenant: TenantDep) -> Response:
    """The organisation's keys (never their secrets); for a key limited to teams, the keys
    limited to some of its teams."""
    return json_response(
        {"keys": await tx.run(access.list_keys, tenant.organisation_id, tenant.teams)}
    )


@router.post(
    "/keys", status_code=201, dependencies=ADMIN, responses=problems(400, 413, 415, 422, 503)
)
async def create_key(body: KeyIn, tx: TxDep, tenant: TenantDep) -> Response:
    """A new key; its `secret` is in this answer only."""
    access.check_teams_within(tenant, body.teams)
    key, secret = await tx.run(
        access.create_key,
        organisation=tenant.organisation_id,
        scopes=list(body.scopes),
        teams=body.teams,
        name=body.name,
    )
    return json_response({**key, "secret": secret}, status=201)


@router.delete("/keys/{key_id}", dependencies=ADMIN, responses=problems(404, 422, 503))
async def revoke_key(key_id: KeyId, tx: TxDep, tenant: TenantDep) -> Response:
    """Revoke a key of the organisation; it and the share links it made are refused
    everywhere within CALLQA_KEY_CACHE_S."""
    return json_response(
        await tx.run(access.revoke_key, key_id, tenant.organisation_id, tenant.teams)
    )


@router.post(
    "/share",
    status_code=201,
    dependencies=[require("read")],
    responses=problems(400, 413, 415, 422, 503),
)
async def share(
    body: ShareIn,
    request: Request,
    tx: TxDep,
    tenant: TenantDep,
    caller: CallerDep,
    settings: SettingsDep,
) -> Response:
    """A link that opens one HTML page without a key until it expires, for the key's
    organisation and teams. A call page shared by a review or admin key offers its
    correction forms (made as that key); by a read key, or through a link, it is read-only."""
    path, _sep, query = body.path.partition("?")
    if not access.shareable(unquote(path)):
        raise InvalidInput.at("/path", _("only /calls/{id} and /v1/managers/{id}/report"))
    if "share=" in query:
        raise InvalidInput.at("/path", _("the path already carries a share link"))
    auth: Authenticator = request.app.state.auth
    secret = await auth.signing_secret(tenant.organisation_id, tx)
    expires = int(time.time()) + body.expires_in  # the token signs the path as routing sees it
    review = caller.share is None and access.grants(caller.scopes, "review")
    token = access.sign_share(secret, tenant, unquote(path), expires, review=review)
    url = f"{settings.base_url}{path}?{query + '&' if query else ''}share={token}"
    expires_at = datetime.fromtimestamp(expires, UTC)
    return json_response({"url": url, "expires_at": expires_at}, status=201)


@router.get("/audit", dependencies=[*ADMIN, EVERY_TEAM], responses=problems(422, 503))
async def audit(
    tx: TxDep,
    tenant: TenantDep,
    call_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Who (key id) read, exported or deleted which call, and when; newest first."""
    return {"entries": await tx.run(audit_entries, tenant, call_id=call_id, limit=limit)}
