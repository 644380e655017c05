"""Prometheus metrics of the service, defined once; `GET /metrics` renders them.

With several workers, `callqa serve` points PROMETHEUS_MULTIPROC_DIR at a fresh folder before
the workers start: each worker's values then live in files there, and a scrape of any worker
sums them (gauges: over the live workers). Without it, values stay in the process.

The job queue's depth and age are read from PostgreSQL at each scrape (`mostrecent`: the one
value of the scraping worker, the same whichever answers). Webhook deliveries are counted by
the job workers that send them: `callqa serve` starts those with the API's metrics folder, so a
scrape sums them too (a `callqa worker` elsewhere counts in its own process).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter(
    "callqa_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "callqa_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CALLS_INGESTED = Counter(
    "callqa_calls_ingested_total",
    "Calls accepted by POST /v1/calls and its batch: created, or existing (a retry).",
    ["outcome"],
)
CALLS_REJECTED = Counter(
    "callqa_calls_rejected_total",
    "Calls refused by POST /v1/calls and its batch, by status and problem type slug.",
    ["status", "reason"],
)
SCORING_SECONDS = Histogram(
    "callqa_scoring_duration_seconds",
    "Time the engine took to score one transcript.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
DB_POOL_IN_USE = Gauge(
    "callqa_db_pool_connections_in_use",
    "Database connections checked out of the pools right now.",
    multiprocess_mode="livesum",
)
DB_POOL_CHECKOUT_SECONDS = Histogram(
    "callqa_db_pool_checkout_duration_seconds",
    "How long a unit of work waited for its database connection (pool wait and connect).",
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10),
)
DB_POOL_TIMEOUTS = Counter(
    "callqa_db_pool_checkout_timeouts_total",
    "Units of work that got no database connection in time (answered 503).",
)
THREADPOOL_PENDING = Gauge(
    "callqa_threadpool_pending",
    "Units of work waiting for or running in the worker thread pool.",
    multiprocess_mode="livesum",
)


def multiprocess_mode() -> bool:
    """Whether values are shared through PROMETHEUS_MULTIPROC_DIR."""
    return bool(os.environ.get(MULTIPROC_ENV))


def render() -> bytes:
    """The text exposition of every metric (of every worker, in multiprocess mode)."""
    if not multiprocess_mode():
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def worker_exited(pid: int) -> None:
    """Drop an exiting worker's live gauges (in-use connections, pending work) from the sums."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


JOB_QUEUE_DEPTH = Gauge(
    "callqa_job_queue_depth",
    "Job parts due to run and not started yet, by queue (rescore, webhooks).",
    ["queue"],
    multiprocess_mode="mostrecent",
)
JOB_QUEUE_AGE_SECONDS = Gauge(
    "callqa_job_queue_oldest_age_seconds",
    "How long the oldest job part due to run has waited, by queue (0: none waits).",
    ["queue"],
    multiprocess_mode="mostrecent",
)
WEBHOOK_DELIVERIES = Counter(
    "callqa_webhook_deliveries_total",
    "Webhook delivery attempts by outcome: delivered, retrying (failed, retried later) or "
    "failed (given up, or a refused target).",
    ["outcome"],
)


def set_queue_stats(stats: list[tuple[str, int, float]], queues: tuple[str, ...]) -> None:
    """The queue gauges from one reading of the queue: every known queue gets a value."""
    found = {name: (depth, age) for name, depth, age in stats}
    for queue in {*queues, *found}:
        depth, age = found.get(queue, (0, 0.0))
        JOB_QUEUE_DEPTH.labels(queue).set(depth)
        JOB_QUEUE_AGE_SECONDS.labels(queue).set(age)
