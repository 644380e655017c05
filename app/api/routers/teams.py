"""Team leaderboard: GET /v1/teams/{team_id}/leaderboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.deps import SettingsDep, TxDep
from app.api.responses import json_response, problems
from app.api.trend_schemas import (
    ChecklistQuery,
    FromQuery,
    LeaderboardOut,
    TeamIdPath,
    ToQuery,
    TzQuery,
)
from app.services import trends

router = APIRouter(prefix="/v1/teams", tags=["trends"])


@router.get(
    "/{team_id}/leaderboard",
    response_model=None,
    responses={200: {"model": LeaderboardOut}, **problems(404, 422, 503)},
)
async def team_leaderboard(
    team_id: TeamIdPath,
    tx: TxDep,
    settings: SettingsDep,
    sort: Annotated[
        str,
        Query(
            max_length=64,
            description="Figure to rank by: avg_total, questions, violations_per_call, calls, "
            "or a question category key of the checklist (questions of that kind per call). "
            "Higher ranks first, except violations_per_call.",
        ),
    ] = "avg_total",
    start: FromQuery = None,
    end: ToQuery = None,
    checklist: ChecklistQuery = None,
    tz: TzQuery = None,
) -> Response:
    """The team's managers ranked over the window, from the roll-ups."""
    body = await tx.run(
        trends.team_leaderboard,
        team_id,
        sort=sort,
        start=start,
        end=end,
        checklist=checklist,
        tz=tz,
        default_tz=settings.timezone,
        max_buckets=settings.max_buckets,
    )
    return json_response(body)
