"""Team leaderboard and team report: GET /v1/teams/{team_id}/leaderboard|report."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from app.api.deps import SettingsDep, TenantDep, TxDep, require
from app.api.responses import csv_attachment, json_response, problems
from app.api.trend_schemas import (
    ChecklistQuery,
    DialectQuery,
    FromQuery,
    LeaderboardOut,
    ReportFormatQuery,
    TeamIdPath,
    TeamReportOut,
    ToQuery,
    TzQuery,
    VersionQuery,
)
from app.db.scope import Bucket
from app.services import team_report, trends
from app.services.team_report_html import render_team_report_html

router = APIRouter(prefix="/v1/teams", tags=["trends"], dependencies=[require("read")])


@router.get(
    "/{team_id}/leaderboard",
    response_model=None,
    responses={200: {"model": LeaderboardOut}, **problems(404, 422, 503)},
)
async def team_leaderboard(
    team_id: TeamIdPath,
    tx: TxDep,
    settings: SettingsDep,
    tenant: TenantDep,
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
    version: VersionQuery = None,
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
        version=version,
        tz=tz,
        default_tz=settings.timezone,
        tenant=tenant,
        max_buckets=settings.max_buckets,
    )
    return json_response(body)


@router.get(
    "/{team_id}/report",
    response_model=None,
    responses={
        200: {
            "model": TeamReportOut,
            "description": "The report as JSON, one HTML page with inline SVG, or CSV.",
            "content": {"text/html": {}, "text/csv": {}},
        },
        **problems(404, 422, 503),
    },
)
async def team_report_route(
    team_id: TeamIdPath,
    tx: TxDep,
    settings: SettingsDep,
    tenant: TenantDep,
    start: FromQuery = None,
    end: ToQuery = None,
    compare_before: Annotated[
        str | None,
        Query(max_length=64, description="Training date/datetime: who improved most since."),
    ] = None,
    bucket: Annotated[Bucket, Query(description="Bucket size of the trend lines.")] = "week",
    checklist: ChecklistQuery = None,
    version: VersionQuery = None,
    tz: TzQuery = None,
    format: ReportFormatQuery = "json",
    dialect: DialectQuery = None,
) -> Response:
    """The team's managers side by side with trend lines, the team's top phrases with their
    replacements, and with `compare_before` who improved most since."""
    report = await tx.run(
        team_report.team_report,
        team_id,
        start=start,
        end=end,
        compare_before=compare_before,
        bucket=bucket,
        checklist=checklist,
        version=version,
        tz=tz,
        default_tz=settings.timezone,
        max_buckets=settings.max_buckets,
        tenant=tenant,
    )
    if format == "html":
        return HTMLResponse(await tx.in_thread(partial(render_team_report_html, report)))
    if format == "csv":
        body = partial(team_report.team_report_csv, report, excel=dialect == "excel")
        return csv_attachment(await tx.in_thread(body), "callqa-team-report.csv")
    return json_response(report)
