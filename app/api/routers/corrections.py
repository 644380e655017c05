"""Reviewers' corrections of a call: POST /v1/calls/{id}/corrections, DELETE one, POST review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.api.correction_schemas import CorrectionsIn, CorrectionsOut, ReviewOut
from app.api.deps import TenantDep, TxDep, require
from app.api.responses import json_response, problems
from app.api.routers.calls import CallId
from app.services import corrections

router = APIRouter(prefix="/v1/calls", tags=["calls"], dependencies=[require("review")])
CorrectionId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The correction's id.")]


@router.post(
    "/{call_id}/corrections",
    status_code=201,
    response_model=None,
    responses={201: {"model": CorrectionsOut}, **problems(400, 404, 409, 413, 415, 422, 503)},
)
async def add_corrections(
    call_id: CallId, body: CorrectionsIn, tx: TxDep, tenant: TenantDep
) -> Response:
    """Correct a call's answers (the machine's stay beside them); the score, the roll-ups and
    calibration follow. Each correction that cannot apply is a 422 naming its field."""
    wanted = [c.new_correction() for c in body.corrections]
    return json_response(await tx.run(corrections.add, call_id, wanted, tenant), status=201)


@router.delete(
    "/{call_id}/corrections/{correction_id}",
    status_code=204,
    response_class=Response,
    responses=problems(404, 409, 422, 503),
)
async def delete_correction(
    call_id: CallId, correction_id: CorrectionId, tx: TxDep, tenant: TenantDep
) -> Response:
    """Undo one correction; the score and the roll-ups follow."""
    await tx.run(corrections.remove, call_id, correction_id, tenant)
    return Response(status_code=204)


@router.post(
    "/{call_id}/review",
    response_model=None,
    responses={200: {"model": ReviewOut}, **problems(400, 404, 409, 413, 415, 422, 503)},
)
async def review_call(call_id: CallId, tx: TxDep, tenant: TenantDep) -> Response:
    """Mark a call reviewed with nothing (more) to correct, so agreement is measured on the
    calls the machine got right too."""
    return json_response(await tx.run(corrections.review, call_id, tenant))
