"""The forbidden phrases said most: GET /v1/violations/top."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.deps import SettingsDep, TenantDep, TxDep, require
from app.api.responses import json_response, problems
from app.api.trend_schemas import (
    ChecklistQuery,
    FromQuery,
    ToQuery,
    TzQuery,
    VersionQuery,
    ViolationsOut,
)
from app.services import phrases
from app.services.schemas import Id

router = APIRouter(prefix="/v1/violations", tags=["trends"], dependencies=[require("read")])


@router.get(
    "/top",
    response_model=None,
    responses={200: {"model": ViolationsOut}, **problems(404, 422, 503)},
)
async def top_violations(
    tx: TxDep,
    settings: SettingsDep,
    tenant: TenantDep,
    team_id: Annotated[Id | None, Query()] = None,
    manager_id: Annotated[Id | None, Query()] = None,
    start: FromQuery = None,
    end: ToQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    checklist: ChecklistQuery = None,
    version: VersionQuery = None,
    tz: TzQuery = None,
) -> Response:
    """Phrase, replacement, count and who said it, most said first."""
    body = await tx.run(
        phrases.top_violations,
        team_id=team_id,
        manager_id=manager_id,
        start=start,
        end=end,
        limit=limit,
        checklist=checklist,
        version=version,
        tz=tz,
        default_tz=settings.timezone,
        tenant=tenant,
    )
    return json_response(body)
