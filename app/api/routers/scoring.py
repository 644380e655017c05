"""Dry-run scoring and checklists: POST /v1/score, GET /v1/checklists[/{key}]."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from app.api.deps import SettingsDep
from app.api.responses import json_response, problems
from app.api.schemas import ChecklistSummary, ScoreIn, ScoreOut
from app.services import scoring

router = APIRouter(prefix="/v1", tags=["scoring"])


@router.post(
    "/score",
    response_model=None,
    responses={200: {"model": ScoreOut}, **problems(400, 404, 413, 415, 422)},
)
def score(request: ScoreIn, settings: SettingsDep) -> Response:
    """Score a transcript without storing anything (the `callqa score --json` object)."""
    return json_response(scoring.dry_run(request, settings.max_words))


@router.get("/checklists", response_model=list[ChecklistSummary])
def list_checklists() -> list[dict[str, Any]]:
    """The built-in checklists."""
    return scoring.checklist_summaries()


@router.get(
    "/checklists/{key}",
    response_model=None,
    responses={200: {"description": "The checklist as the engine defines it."}, **problems(404)},
)
def get_checklist(key: Annotated[str, Path(max_length=64)]) -> Response:
    """One checklist: its items, points, question categories and forbidden phrases."""
    return json_response(scoring.checklist_detail(key))
