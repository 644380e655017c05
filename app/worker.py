"""The job worker: runs the queued parts of background jobs (rescoring; later webhooks and
maintenance) from the PostgreSQL-backed procrastinate queue.

Retention runs here too, hourly (procrastinate's periodic tasks: one run per hour however
many workers). An entry point like the API and the CLI: tasks are thin, each opening the
database scope and calling its service. `callqa worker` runs one (on any host that reaches
the database); `callqa serve` starts one as a child process. Scoring is CPU work, so a worker
runs its tasks in threads of one process and scales by processes: several workers share the
queue safely.
Parts left `doing` by a worker that died are retried once its heartbeat is stale; a part is
idempotent (it only scores calls that lack the version's score), so nothing counts twice.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import make_url

from app.db.session import Database, Timeouts
from app.services import jobs, retention
from app.settings import Settings
from app.tenancy import DEFAULT_ORGANISATION, Tenant

log = logging.getLogger(__name__)

MAINTENANCE = "maintenance"
QUEUES = (jobs.RESCORE, MAINTENANCE)
# A worker's database work: short statements, but scoring a chunk happens between them.
_TIMEOUTS = Timeouts(lock_ms=10_000, statement_ms=60_000, idle_in_transaction_ms=60_000)


def _conninfo(url: str) -> str:
    """libpq's form of a SQLAlchemy URL (procrastinate connects with psycopg directly)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def build(url: str, settings: Settings) -> procrastinate.App:
    """The queue app with callqa's tasks, bound to the database at `url`."""
    database = Database.from_url(
        url, pool_size=4, max_overflow=4, timeouts=_TIMEOUTS, role=settings.db_role or None
    )
    queue = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=_conninfo(url), min_size=1, max_size=4)
    )

    @queue.task(name=jobs.RESCORE_TASK, queue=jobs.RESCORE)
    def rescore_part(
        job_id: int, low: int, high: int, organisation_id: str = DEFAULT_ORGANISATION
    ) -> None:
        scope = partial(database.session_scope, Tenant(organisation_id))
        jobs.run_rescore_part(scope, job_id, low, high, organisation_id)

    # Hourly: a period expires by the hour, and a run with nothing to remove is one query.
    @queue.periodic(cron="23 * * * *")
    @queue.task(name="callqa.retention", queue=MAINTENANCE, queueing_lock="retention")
    def remove_expired_texts(timestamp: int) -> None:
        for done in retention.run(database.session_scope, settings):
            if done.calls:
                log.info(
                    "retention: %s: texts of %d calls removed", done.organisation_id, done.calls
                )

    del rescore_part, remove_expired_texts  # registered on the app by the decorators
    return queue


async def _retry_stalled(queue: procrastinate.App, stalled_s: float) -> None:
    """Put back on the queue the parts of workers that stopped sending heartbeats."""
    while True:
        stalled = await queue.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_s)
        for job in stalled:
            try:
                await queue.job_manager.retry_job(job)
            except AlreadyEnqueued:  # another worker got to it first
                continue
            log.warning("retried part %s of a stopped worker", job.id)
        await asyncio.sleep(stalled_s / 2)


async def run(url: str, settings: Settings, *, concurrency: int, **options: Any) -> None:
    """Work the queues until cancelled (SIGINT/SIGTERM end it after the running parts)."""
    queue = build(url, settings)
    async with queue.open_async():
        stalled_s = settings.job_stalled_s
        retrier = asyncio.create_task(_retry_stalled(queue, stalled_s))
        try:
            await queue.run_worker_async(
                queues=list(QUEUES),
                concurrency=concurrency,
                update_heartbeat_interval=stalled_s / 4,  # several beats before "stalled"
                stalled_worker_timeout=stalled_s,
                delete_jobs="successful",
                **options,
            )
        finally:
            retrier.cancel()
