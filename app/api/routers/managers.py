"""Managers, their trends and the trainer report: GET /v1/managers[/{id}/trends|/report]."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from app.api.auth import Authenticator
from app.api.deps import CallerDep, SettingsDep, TenantDep, TxDep, require
from app.api.responses import csv_attachment, json_response, problems
from app.api.trend_schemas import (
    ChecklistQuery,
    DialectQuery,
    FromQuery,
    ManagerIdPath,
    ManagersOut,
    ReportFormatQuery,
    ReportOut,
    ToQuery,
    TrendsOut,
    TzQuery,
    VersionQuery,
)
from app.db.scope import Bucket
from app.services import reports, trends
from app.services.access import sign_share
from app.services.audit import audited
from app.services.report_html import render_report_html

router = APIRouter(prefix="/v1/managers", tags=["trends"], dependencies=[require("read")])

BucketQuery = Annotated[Bucket, Query(description="Bucket size of the series.")]
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@router.get("", response_model=None, responses={200: {"model": ManagersOut}, **problems(503)})
async def list_managers(tx: TxDep, tenant: TenantDep) -> Response:
    """Every manager with call count, average total, teams and the newest call."""
    return json_response({"managers": await tx.run(trends.list_managers, tenant=tenant)})


@router.get(
    "/{manager_id}/trends",
    response_model=None,
    responses={200: {"model": TrendsOut}, **problems(404, 422, 503)},
)
async def manager_trends(
    manager_id: ManagerIdPath,
    tx: TxDep,
    settings: SettingsDep,
    tenant: TenantDep,
    bucket: BucketQuery = "week",
    start: FromQuery = None,
    end: ToQuery = None,
    checklist: ChecklistQuery = None,
    version: VersionQuery = None,
    tz: TzQuery = None,
) -> Response:
    """The manager's series by day, week or month; empty periods have calls 0."""
    body = await tx.run(
        trends.manager_trends,
        manager_id,
        bucket=bucket,
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


def _filename(manager_id: str, suffix: str) -> str:
    safe = _UNSAFE_FILENAME.sub("_", manager_id).strip("._") or "manager"
    return f"callqa-report-{safe[:80]}.{suffix}"


@router.get(
    "/{manager_id}/report",
    response_model=None,
    responses={
        200: {
            "model": ReportOut,
            "description": "The report as JSON, one HTML page with inline SVG charts, or CSV.",
            "content": {"text/html": {}, "text/csv": {}},
        },
        **problems(404, 422, 503),
    },
)
async def manager_report(
    manager_id: ManagerIdPath,
    tx: TxDep,
    settings: SettingsDep,
    tenant: TenantDep,
    caller: CallerDep,
    request: Request,
    start: FromQuery = None,
    end: ToQuery = None,
    compare_before: Annotated[
        str | None,
        Query(max_length=64, description="Split date/datetime: before vs after a training."),
    ] = None,
    bucket: BucketQuery = "week",
    checklist: ChecklistQuery = None,
    version: VersionQuery = None,
    tz: TzQuery = None,
    format: ReportFormatQuery = "json",
    dialect: DialectQuery = None,
) -> Response:
    """The trainer report: summary, trends, item pass rates, phrases to replace, best and
    worst calls, and with `compare_before` the periods before and after side by side."""
    export = audited(caller.tenant, "report.export", request.url.path, reports.manager_report)
    report: dict[str, Any] = await tx.run(
        export,
        manager_id,
        start=start,
        end=end,
        compare_before=compare_before,
        bucket=bucket,
        checklist=checklist,
        version=version,
        tz=tz,
        default_tz=settings.timezone,
        tenant=tenant,
        max_buckets=settings.max_buckets,
    )
    if format == "html":
        share = None
        if caller.share_expires is not None:  # opened through a share link: so are its calls
            auth: Authenticator = request.app.state.auth
            secret = await auth.signing_secret(caller.tenant.organisation_id, tx)
            expires = caller.share_expires

            maker = replace(caller.tenant, key_id=caller.share_key)  # they die with its key

            def share(call_id: int) -> str:
                return sign_share(secret, maker, f"/calls/{call_id}", expires)

        page = partial(render_report_html, report, base_url=settings.base_url, share=share)
        return HTMLResponse(await tx.in_thread(page))
    if format == "csv":
        body = partial(reports.report_csv, report, excel=dialect == "excel")
        return csv_attachment(await tx.in_thread(body), _filename(manager_id, "csv"))
    return json_response(report)
