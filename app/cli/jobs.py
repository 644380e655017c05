"""`callqa worker` (run queued jobs) and `callqa rescore` (rescore stored calls under a
checklist version, with a progress bar)."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app import worker
from app.cli import scope
from app.cli.main import app, examples
from app.db.embedded import resolve_database_url
from app.db.session import SessionScope
from app.services import jobs
from app.services.errors import CallqaError
from app.settings import get_settings


@app.command("worker", epilog=examples("callqa worker", "callqa worker --concurrency 2"))
def worker_command(
    concurrency: Annotated[
        int, typer.Option(min=1, max=32, help="Parts run at once (threads of this process).")
    ] = 1,
) -> None:
    """Run queued background jobs (rescoring parts) until stopped; start one per core."""
    settings = get_settings()
    url = resolve_database_url(settings)
    os.nice(settings.job_worker_nice)  # background work yields the cores to requests
    scope.err.print(f"callqa worker: queues {', '.join(worker.QUEUES)}, concurrency {concurrency}")
    asyncio.run(worker.run(url, settings, concurrency=concurrency))


@app.command(
    epilog=examples(
        "callqa rescore --checklist realty_phone",
        "callqa rescore --checklist my_team --from 2026-09-01 --to 2026-12-01 --team-id sochi",
        "callqa rescore --checklist realty_phone --no-wait   # print the job id and return",
    ),
)
def rescore(
    checklist: Annotated[str, typer.Option(help="Checklist key to rescore under.")],
    version: Annotated[str | None, typer.Option(help="Its version (default: the latest).")] = None,
    start: Annotated[
        datetime | None, typer.Option("--from", help="Calls started at or after this time.")
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--to", help="Calls started before this time.")
    ] = None,
    team_id: Annotated[str | None, typer.Option(help="Only this team's calls.")] = None,
    manager_id: Annotated[str | None, typer.Option(help="Only this manager's calls.")] = None,
    wait: Annotated[
        bool, typer.Option(help="Follow the job with a progress bar until it ends.")
    ] = True,
) -> None:
    """Rescore stored calls under a checklist version; old scores stay. A running worker
    (`callqa serve` starts one, or `callqa worker`) does the work."""
    request = jobs.RescoreRequest(checklist, version, start, end, team_id, manager_id)
    with scope.cli_database(upgrade=True) as database:
        try:
            with database.session_scope() as session:
                job = jobs.start_rescore(session, request)
        except CallqaError as exc:
            raise scope.fail(exc) from None
        job_id = job["job_id"]
        scope.err.print(
            f"job {job_id}: rescoring {job['total']} call(s) under "
            f"{job['params']['checklist']} {job['params']['version'][:12]}"
        )
        if wait:
            job = _follow(database.session_scope, job_id, job["total"])
        print(job_id)
    if job["status"] in ("failed", "cancelled"):
        scope.err.print(f"[red]job {job_id} {job['status']}: {job.get('error') or ''}[/red]")
        raise typer.Exit(1)


def _follow(session_scope: SessionScope, job_id: int, total: int) -> dict[str, object]:
    columns = (TextColumn("rescoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=scope.err, disable=not scope.err.is_terminal) as bar:
        task = bar.add_task("rescore", total=total)
        while True:
            with session_scope() as session:
                job = jobs.get_job(session, job_id)
            bar.update(task, completed=int(job["done"]) + int(job["skipped"]))
            if job["status"] not in ("queued", "running"):
                return job
            time.sleep(0.5)
