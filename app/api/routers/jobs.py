"""Background jobs: POST /v1/rescore, GET and DELETE /v1/jobs/{job_id}."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from app.api.deps import TenantDep, TxDep, require
from app.api.responses import json_response, problems
from app.services import jobs
from app.services.access import check_team
from app.services.schemas import ChecklistKey, ChecklistVersion, Id, StartedAt

router = APIRouter(prefix="/v1", tags=["jobs"], dependencies=[require("admin")])
JobId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The id of the job.")]


class RescoreIn(BaseModel):
    """Which calls to rescore, under which checklist version."""

    checklist: ChecklistKey = Field(description="Checklist key.")
    version: ChecklistVersion | None = Field(default=None, description="Default: the latest.")
    start: StartedAt | None = Field(default=None, alias="from", description="Inclusive.")
    end: StartedAt | None = Field(default=None, alias="to", description="Exclusive.")
    team_id: Id | None = None
    manager_id: Id | None = None

    model_config = {"populate_by_name": True, "extra": "forbid"}


class JobOut(BaseModel):
    job_id: int
    kind: str
    status: str = Field(description="queued, running, succeeded, failed or cancelled.")
    params: dict[str, Any]
    total: int
    done: int
    skipped: int = Field(description="Calls that could not be rescored (transcript gone).")
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@router.post(
    "/rescore",
    status_code=202,
    response_model=None,
    responses={202: {"model": JobOut}, **problems(400, 404, 413, 415, 422, 503)},
)
async def rescore(body: RescoreIn, tx: TxDep, tenant: TenantDep) -> Response:
    """Rescore stored calls under a checklist version in the background; old scores stay.
    Follow the job at `Location`. A key limited to teams rescores one of its teams."""
    check_team(tenant, body.team_id, {"pointer": "/team_id"})
    request = jobs.RescoreRequest(
        body.checklist, body.version, body.start, body.end, body.team_id, body.manager_id
    )
    job = await tx.run(jobs.start_rescore, request, tenant=tenant)
    return json_response(job, status=202, headers={"Location": f"/v1/jobs/{job['job_id']}"})


@router.get(
    "/jobs/{job_id}",
    response_model=None,
    responses={200: {"model": JobOut}, **problems(404, 422, 503)},
)
async def get_job(job_id: JobId, tx: TxDep, tenant: TenantDep) -> Response:
    """A job's status and progress (done, skipped of total)."""
    return json_response(await tx.run(jobs.get_job, job_id, tenant=tenant))


@router.delete(
    "/jobs/{job_id}",
    response_model=None,
    responses={200: {"model": JobOut}, **problems(404, 409, 422, 503)},
)
async def cancel_job(job_id: JobId, tx: TxDep, tenant: TenantDep) -> Response:
    """Cancel a queued or running job; what it stored stays. 409 once it has ended."""
    return json_response(await tx.run(jobs.cancel_job, job_id, tenant=tenant))
