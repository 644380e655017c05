"""Checklists as data: push, list, show, version, delete and assign them.

POST /v1/checklists, GET /v1/checklists[/{key}[/versions]], DELETE
/v1/checklists/{key}/versions/{version}, PUT /v1/checklists/default and
PUT /v1/teams/{team_id}/checklist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from app.api.deps import EVERY_TEAM, TenantDep, TxDep, require
from app.api.middleware import is_json
from app.api.responses import json_response, problems
from app.api.schemas import (
    ChecklistAssignmentIn,
    ChecklistAssignmentOut,
    ChecklistSummary,
    ChecklistVersionsOut,
)
from app.api.trend_schemas import TeamIdPath
from app.services import checklists
from app.services.access import check_team
from app.services.checklists import Media

router = APIRouter(prefix="/v1", tags=["checklists"])
ADMIN = [require("admin")]
ORG_ADMIN = [require("admin"), EVERY_TEAM]
READ = [require("read")]
KeyPath = Annotated[str, Path(max_length=64, description="The checklist key.")]
VersionPath = Annotated[str, Path(max_length=64, description="A version (SHA-256, hex).")]

_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The checklist document as YAML, or the same document as JSON "
        "(at most 1 MB).",
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


async def _document(request: Request) -> tuple[bytes, Media]:
    """The raw body and whether it is JSON or YAML (the middleware let nothing else in)."""
    media: Media = "json" if is_json(request.headers.get("content-type")) else "yaml"
    return await request.body(), media


@router.post(
    "/checklists",
    status_code=201,
    dependencies=ORG_ADMIN,
    response_model=None,
    openapi_extra=_DOCUMENT_BODY,
    responses={
        201: {"model": ChecklistSummary, "description": "A new version, now the latest."},
        200: {"model": ChecklistSummary, "description": "Stored before; now the latest."},
        **problems(400, 404, 413, 415, 422, 503),
    },
)
async def push_checklist(
    document: Annotated[tuple[bytes, Media], Depends(_document)], tx: TxDep, tenant: TenantDep
) -> Response:
    """Store a checklist version of the key's organisation; 422 names the line and reason of
    every mistake."""
    body, created = await tx.run(checklists.push, *document, tenant=tenant)
    headers = {"Location": f"/v1/checklists/{body['key']}"}
    return json_response(body, status=201 if created else 200, headers=headers)


@router.get(
    "/checklists",
    response_model=list[ChecklistSummary],
    dependencies=READ,
    responses=problems(503),
)
async def list_checklists(tx: TxDep, tenant: TenantDep) -> list[dict[str, Any]]:
    """The latest version of every checklist of the organisation, and of the built-ins."""
    return await tx.run(checklists.latest, tenant=tenant)


@router.get(
    "/checklists/{key}",
    response_model=None,
    dependencies=READ,
    responses={
        200: {"description": "The checklist as the engine defines it."},
        **problems(404, 503),
    },
)
async def get_checklist(key: KeyPath, tx: TxDep, tenant: TenantDep) -> Response:
    """The latest version of a checklist: items, points, question categories, phrases."""
    return json_response(await tx.run(checklists.detail, key, tenant=tenant))


@router.get(
    "/checklists/{key}/versions",
    response_model=ChecklistVersionsOut,
    dependencies=READ,
    responses=problems(404, 503),
)
async def list_versions(key: KeyPath, tx: TxDep, tenant: TenantDep) -> dict[str, Any]:
    """A checklist's versions, the latest first."""
    return await tx.run(checklists.versions, key, tenant=tenant)


@router.delete(
    "/checklists/{key}/versions/{version}",
    status_code=204,
    response_model=None,
    dependencies=ORG_ADMIN,
    responses=problems(404, 409, 503),
)
async def delete_version(
    key: KeyPath, version: VersionPath, tx: TxDep, tenant: TenantDep
) -> Response:
    """Delete a version the organisation pushed; 409 while its stored calls or an assignment
    refer to it."""
    await tx.run(checklists.delete_version, key, version, tenant=tenant)
    return Response(status_code=204)


@router.put(
    "/checklists/default",
    response_model=ChecklistAssignmentOut,
    dependencies=ORG_ADMIN,
    responses=problems(400, 404, 413, 415, 422, 503),
)
async def assign_default(
    body: ChecklistAssignmentIn, tx: TxDep, tenant: TenantDep
) -> dict[str, Any]:
    """The checklist of calls that name none and whose team has none of its own."""
    return await tx.run(checklists.assign, None, body.checklist, body.version, tenant=tenant)


@router.put(
    "/teams/{team_id}/checklist",
    response_model=ChecklistAssignmentOut,
    dependencies=ADMIN,
    responses=problems(400, 404, 413, 415, 422, 503),
)
async def assign_team(
    team_id: TeamIdPath, body: ChecklistAssignmentIn, tx: TxDep, tenant: TenantDep
) -> dict[str, Any]:
    """The checklist of the team's calls that name none (`version` null: the latest); 403
    for a key limited to other teams."""
    check_team(tenant, team_id, {"parameter": "team_id"})
    return await tx.run(checklists.assign, team_id, body.checklist, body.version, tenant=tenant)
