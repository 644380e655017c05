"""Dry-run scoring: POST /v1/score."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import SettingsDep, TenantDep, TxDep, require
from app.api.responses import json_response, problems
from app.api.schemas import ScoreIn, ScoreOut
from app.services import scoring

router = APIRouter(prefix="/v1", tags=["scoring"], dependencies=[require("ingest")])


@router.post(
    "/score",
    response_model=None,
    responses={200: {"model": ScoreOut}, **problems(400, 404, 413, 415, 422, 503)},
)
async def score(request: ScoreIn, tx: TxDep, settings: SettingsDep, tenant: TenantDep) -> Response:
    """Score a transcript without storing anything (the `callqa score --json` object)."""
    return json_response(await tx.run(scoring.dry_run, request, settings.max_words, tenant))
