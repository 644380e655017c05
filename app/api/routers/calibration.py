"""Calibration: GET /v1/calibration, the machine against the reviewers on reviewed calls."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from app.api.deps import SettingsDep, TenantDep, TxDep, require
from app.api.responses import csv_attachment, json_response, problems
from app.api.trend_schemas import FromQuery, ToQuery, TzQuery
from app.services import calibration
from app.services.periods import zone_of
from app.services.schemas import ChecklistKey, Id

router = APIRouter(prefix="/v1/calibration", tags=["calibration"], dependencies=[require("read")])


@router.get(
    "",
    response_model=None,
    responses={
        200: {
            "description": "Per category and per item: counts, precision, recall, agreement "
            "and Cohen's kappa; the most frequent corrections. JSON, CSV or an HTML page.",
            "content": {"text/html": {}, "text/csv": {}},
        },
        **problems(422, 503),
    },
)
async def get_calibration(
    tx: TxDep,
    settings: SettingsDep,
    tenant: TenantDep,
    checklist: Annotated[ChecklistKey, Query(description="The checklist calibrated.")],
    start: FromQuery = None,
    end: ToQuery = None,
    team_id: Annotated[Id | None, Query()] = None,
    tz: TzQuery = None,
    format: Annotated[Literal["json", "csv", "html"], Query()] = "json",
) -> Response:
    """The machine's answers against the reviewers' on reviewed calls (with a review or
    corrections) that started in [from, to): whether to trust the numbers."""
    found: dict[str, Any] = await tx.run(
        calibration.report,
        checklist,
        start=start,
        end=end,
        team_id=team_id,
        zone=zone_of(tz, settings.timezone),
        tenant=tenant,
    )
    if format == "html":
        return HTMLResponse(await tx.in_thread(partial(calibration.to_html, found)))
    if format == "csv":
        return csv_attachment(calibration.to_csv(found), "callqa-calibration.csv")
    return json_response(found)
