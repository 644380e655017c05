"""`callqa report MANAGER_ID`: the trainer report as an HTML page, JSON or CSV, from the command
line through the same service and session scope as GET /v1/managers/{id}/report."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli import scope
from app.cli.main import app, examples
from app.i18n import ngettext
from app.services import health, reports, team_report
from app.services.errors import CallqaError
from app.services.report_html import render_report_html
from app.services.team_report_html import render_team_report_html
from app.settings import get_settings


class ReportFormat(StrEnum):
    html = "html"
    json = "json"
    csv = "csv"


class CsvDialect(StrEnum):
    excel = "excel"


class Bucket(StrEnum):
    day = "day"
    week = "week"
    month = "month"


def _iso(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def render(
    report: dict[str, Any],
    fmt: ReportFormat,
    base_url: str,
    *,
    excel: bool = False,
    team: bool = False,
) -> bytes:
    """The report in the chosen format, as bytes to write (`excel`: CSV for Russian Excel;
    `team`: a team report)."""
    if fmt is ReportFormat.html:
        page = (
            render_team_report_html(report)
            if team
            else render_report_html(report, base_url=base_url)
        )
        return page.encode("utf-8")
    if fmt is ReportFormat.csv:
        if team:
            return team_report.team_report_csv(report, excel=excel)
        return reports.report_csv(report, excel=excel)
    return (json.dumps(report, ensure_ascii=False, indent=2, default=_iso) + "\n").encode()


@app.command(
    "report",
    epilog=examples(
        "callqa report anna --compare-before 2026-10-01 -o anna.html",
        "callqa report anna --from 2026-09-01 --bucket day --format csv -o anna.csv",
        "callqa report anna --format csv --dialect excel -o anna.csv",
        "callqa report --team sales-1 --compare-before 2026-10-01 -o team.html",
        "callqa report anna --checklist realty_phone --checklist-version 3f2a… --format json",
        "callqa report --team sales-1 --checklist realty_phone --checklist-version 3f2a…",
    ),
)
def report_command(
    manager_id: Annotated[
        str, typer.Argument(help="The manager id the calls carry (the team id with --team).")
    ],
    start: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD) or ISO datetime.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, inclusive.")] = None,
    compare_before: Annotated[
        str | None,
        typer.Option("--compare-before", help="Training date: compare before and after it."),
    ] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", help="IANA zone of days and weeks (CALLQA_TIMEZONE).")
    ] = None,
    bucket: Annotated[Bucket, typer.Option(help="Series bucket.")] = Bucket.week,
    checklist: Annotated[str | None, typer.Option(help="Only calls of this checklist.")] = None,
    version: Annotated[
        str | None,
        typer.Option(
            "--checklist-version",
            help="With --checklist: only scores under this version (default: each call's "
            "latest score).",
        ),
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="Output format.")] = (
        ReportFormat.html
    ),
    output: Annotated[
        str, typer.Option("-o", "--output", help="File to write; '-' for standard output.")
    ] = "-",
    dialect: Annotated[
        CsvDialect | None,
        typer.Option(help="With --format csv: excel for Russian Excel (';', decimal comma)."),
    ] = None,
    base_url: Annotated[
        str,
        typer.Option(
            help="Prefix of call links in HTML, e.g. http://callqa:8000 (default: "
            "CALLQA_PUBLIC_URL)."
        ),
    ] = "",
    team: Annotated[
        bool, typer.Option("--team", help="The argument is a team id: write the team report.")
    ] = False,
) -> None:
    """Write a manager's trainer report, or with --team a team's (default: the last 90 days,
    weekly)."""
    settings = get_settings()
    try:
        with scope.cli_database() as database, database.session_scope() as session:
            health.check_ready(session)
            build = team_report.team_report if team else reports.manager_report
            report = build(
                session,
                manager_id,
                start=start,
                end=end,
                compare_before=compare_before,
                bucket=bucket.value,
                checklist=checklist,
                version=version,
                tz=tz,
                default_tz=settings.timezone,
            )
    except CallqaError as exc:
        raise scope.fail(exc) from None
    excel = dialect is CsvDialect.excel
    data = render(report, fmt, base_url.rstrip("/") or settings.base_url, excel=excel, team=team)
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    Path(output).write_bytes(data)
    last_day = report["to"] - timedelta(microseconds=1)
    written = ngettext(
        "%(n)s call of %(who)s, %(first)s to %(last)s (%(tz)s)",
        "%(n)s calls of %(who)s, %(first)s to %(last)s (%(tz)s)",
        report["summary"]["calls"],
        who=manager_id,
        first=f"{report['from']:%Y-%m-%d}",
        last=f"{last_day:%Y-%m-%d}",
        tz=report["tz"],
    )
    scope.err.print(f"{output}: {written}")
