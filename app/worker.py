"""The job worker: runs the queued parts of background jobs (rescoring, webhook deliveries)
from the PostgreSQL-backed procrastinate queue.

Retention runs here too, hourly (procrastinate's periodic tasks: one run per hour however
many workers). An entry point like the API and the CLI: tasks are thin, each opening the
database scope and calling its service. `callqa worker` runs one (on any host that reaches
the database); `callqa serve` starts one as a child process. Scoring is CPU work, so a worker
runs its tasks in threads of one process and scales by processes: several workers share the
queue safely.
Parts left `doing` by a worker that died are retried once its heartbeat is stale; a part is
idempotent (it only scores calls that lack the version's score), so nothing counts twice. For
the same reason a part that met a transient database error (a lock or statement timeout, a
deadlock, PostgreSQL restarting) is retried with doubling waits before its job is failed.
Webhook deliveries have a queue of their own, worked at their own concurrency (a slow receiver
never holds a rescoring back), and are retried by the queue with the settings' waits.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy import make_url

from app.db.session import Database, Timeouts, is_worth_retrying
from app.services import jobs, retention, webhooks
from app.services.scoring import keep_collector_off_scoring
from app.settings import Settings
from app.tenancy import DEFAULT_ORGANISATION, Tenant

log = logging.getLogger(__name__)

MAINTENANCE = "maintenance"
QUEUES = (jobs.RESCORE, MAINTENANCE, webhooks.QUEUE)
# A worker's database work: short statements, but scoring a chunk happens between them.
_TIMEOUTS = Timeouts(lock_ms=10_000, statement_ms=60_000, idle_in_transaction_ms=60_000)


def _conninfo(url: str) -> str:
    """libpq's form of a SQLAlchemy URL (procrastinate connects with psycopg directly)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class WebhookRetry(BaseRetryStrategy):
    """A failed delivery is retried after the settings' doubling waits, then given up."""

    def __init__(self, settings: Settings) -> None:
        self.waits = settings.webhook_retry_waits()

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if not isinstance(exception, webhooks.DeliveryFailed) or job.attempts >= len(self.waits):
            return None
        when = datetime.now(UTC) + timedelta(seconds=self.waits[job.attempts])
        return RetryDecision(retry_at=when)


class RescoreRetry(BaseRetryStrategy):
    """A part that met a transient database error (busy or away: `is_worth_retrying`) is
    retried after the settings' doubling waits; anything else fails its job at once, and so
    does the last attempt. A part is idempotent per (call, version), so a retry is safe."""

    def __init__(self, settings: Settings) -> None:
        self.waits = settings.job_retry_waits()

    def wait_s(self, exception: BaseException, attempts: int) -> float | None:
        """Seconds before the next run of a part that raised `exception` after `attempts`
        earlier runs; None: it is not run again."""
        if not is_worth_retrying(exception) or attempts >= len(self.waits):
            return None
        return self.waits[attempts]

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        wait = self.wait_s(exception, job.attempts)
        if wait is None:
            return None
        return RetryDecision(retry_at=datetime.now(UTC) + timedelta(seconds=wait))


def build(url: str, settings: Settings, *, timeouts: Timeouts = _TIMEOUTS) -> procrastinate.App:
    """The queue app with callqa's tasks, bound to the database at `url` (its connections
    with `timeouts`)."""
    database = Database.from_url(
        url, pool_size=4, max_overflow=4, timeouts=timeouts, role=settings.db_role or None
    )
    client = webhooks.http_client(settings)
    queue = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=_conninfo(url), min_size=1, max_size=4)
    )

    rescore_retry = RescoreRetry(settings)

    @queue.task(name=jobs.RESCORE_TASK, queue=jobs.RESCORE, pass_context=True, retry=rescore_retry)
    def rescore_part(
        context: procrastinate.JobContext,
        job_id: int,
        low: int,
        high: int,
        organisation_id: str = DEFAULT_ORGANISATION,
    ) -> None:
        attempts = context.job.attempts
        scope = partial(database.session_scope, Tenant(organisation_id))
        jobs.run_rescore_part(
            scope,
            job_id,
            low,
            high,
            organisation_id,
            # The same decision the queue makes on the exception: the job fails only when
            # the part will not run again.
            will_retry=lambda exc: rescore_retry.wait_s(exc, attempts) is not None,
        )

    # Hourly: a period expires by the hour, and a run with nothing to remove is one query.
    @queue.periodic(cron="23 * * * *")
    @queue.task(name="callqa.retention", queue=MAINTENANCE, queueing_lock="retention")
    def remove_expired_texts(timestamp: int) -> None:
        for done in retention.run(database.session_scope, settings):
            if done.calls:
                log.info(
                    "retention: %s: texts of %d calls removed", done.organisation_id, done.calls
                )

    @queue.task(
        name=webhooks.TASK,
        queue=webhooks.QUEUE,
        pass_context=True,
        retry=WebhookRetry(settings),
    )
    def deliver_webhook(
        context: procrastinate.JobContext,
        ids: list[int] | None = None,
        organisation_id: str = DEFAULT_ORGANISATION,
        webhook_id: int | None = None,
        delivery_id: int | None = None,
    ) -> None:
        # Queued before tasks carried several deliveries: one `delivery_id` (its organisation
        # added by migration 2026-12-04-0100, or the default one).
        ids = ids or ([delivery_id] if delivery_id is not None else [])
        attempt = context.job.attempts
        scope = partial(database.session_scope, Tenant(organisation_id))
        outcomes = webhooks.deliver(scope, settings, client, ids, attempt)
        if "retrying" in outcomes:
            raise webhooks.DeliveryFailed(
                f"webhook {webhook_id}: {outcomes.count('retrying')} deliveries of "
                f"{organisation_id} failed at attempt {attempt}"
            )

    del rescore_part, remove_expired_texts, deliver_webhook  # registered by the decorators
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
    keep_collector_off_scoring()
    async with queue.open_async():
        stalled_s = settings.job_stalled_s
        common: dict[str, Any] = {
            "update_heartbeat_interval": stalled_s / 4,  # several beats before "stalled"
            "stalled_worker_timeout": stalled_s,
            "delete_jobs": "successful",
            **options,
        }
        retrier = asyncio.create_task(_retry_stalled(queue, stalled_s))
        # Deliveries on their own worker; it stops when the rescoring one (which has the
        # signal handlers) does.
        deliveries = asyncio.create_task(
            queue.run_worker_async(
                queues=[webhooks.QUEUE],
                concurrency=settings.webhook_concurrency,
                name="webhooks",
                install_signal_handlers=False,
                **common,
            )
        )
        try:
            await queue.run_worker_async(
                queues=[jobs.RESCORE, MAINTENANCE], concurrency=concurrency, **common
            )
        finally:
            retrier.cancel()
            deliveries.cancel()
            await asyncio.gather(deliveries, return_exceptions=True)
