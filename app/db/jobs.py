"""Queries of background jobs: callqa's `job` rows and the procrastinate queue they feed.

A job's parts are put on the queue with procrastinate's own SQL function, in the caller's
transaction: a job is queued if and only if the transaction that created it commits (the same
holds for anything else enqueued beside a write, such as webhook events).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select, text, update
from sqlalchemy.orm import Session

from app.db import webhooks
from app.db.models import Job
from app.db.session import json_text
from app.tenancy import DEFAULT_ORGANISATION

ACTIVE = ("queued", "running")

_ENQUEUE = text(
    """
SELECT procrastinate_defer_jobs_v1(ARRAY[
    ROW(:queue, :task, 0, :lock, NULL, CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1
])
"""
)


def enqueue(
    session: Session, queue: str, task: str, args: dict[str, Any], lock: str | None = None
) -> None:
    """Put one task on the queue, in the session's transaction; tasks sharing `lock` run one
    after another."""
    session.execute(_ENQUEUE, {"queue": queue, "task": task, "lock": lock, "args": json_text(args)})


def create_job(
    session: Session,
    kind: str,
    params: dict[str, Any],
    total: int,
    parts: int,
    organisation_id: str = DEFAULT_ORGANISATION,
) -> Job:
    """A new job row (queued, or succeeded at once when there is nothing to do)."""
    job = Job(
        organisation_id=organisation_id,
        kind=kind,
        params=params,
        total=total,
        parts=parts,
        status="queued" if parts else "succeeded",
        finished_at=None if parts else func.now(),
    )
    session.add(job)
    session.flush()
    session.refresh(job)
    if not parts:
        webhooks.job_finished(session, job.id)
    return job


def get_job(
    session: Session, job_id: int, organisation_id: str = DEFAULT_ORGANISATION
) -> Job | None:
    """One of the organisation's jobs by id."""
    stmt = select(Job).where(Job.organisation_id == organisation_id, Job.id == job_id)
    return session.execute(stmt).scalar_one_or_none()


# The worker's own updates below name a job by its id alone (unique across organisations);
# its transactions are in the job's organisation, so row-level security scopes them too.


def cancel_job(session: Session, job_id: int, organisation_id: str = DEFAULT_ORGANISATION) -> bool:
    """Mark a queued or running job cancelled (job.finished goes to webhooks); its parts stop
    at their next chunk. False if it had already ended."""
    stmt = (
        update(Job)
        .where(Job.organisation_id == organisation_id, Job.id == job_id, Job.status.in_(ACTIVE))
        .values(status="cancelled", finished_at=func.now())
        .returning(Job.id)
    )
    cancelled = session.execute(stmt).first() is not None
    if cancelled:
        webhooks.job_finished(session, job_id)
    return cancelled


def job_status(session: Session, job_id: int) -> str | None:
    """The status of a job (read at each chunk, so a cancel is seen)."""
    return session.execute(select(Job.status).where(Job.id == job_id)).scalar_one_or_none()


_NO_FLUSH_WAIT = text("SET LOCAL synchronous_commit = off")


def commit_without_flush_wait(session: Session) -> None:
    """Let the session's transaction commit without waiting for its WAL to reach the disk, so
    it releases its row locks (roll-up rows an ingest may wait for) as soon as it is done.
    For rescoring chunks only: a database crash loses at most the last such commits, each
    whole (scores, roll-ups and progress together), so those calls just lack the version's
    score and a rescoring scores them again; any later commit that waits for its flush (the
    part's finish) flushes them too."""
    session.execute(_NO_FLUSH_WAIT)


def mark_running(session: Session, job_id: int) -> None:
    """A worker took a part of a queued job: it is running from now on (and stays so while a
    part waits for its retry)."""
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(status="running", started_at=func.coalesce(Job.started_at, func.now()))
    )


def add_progress(session: Session, job_id: int, done: int, skipped: int) -> None:
    """Count calls a part has finished; the first progress marks the job running."""
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            done=Job.done + done,
            skipped=Job.skipped + skipped,
            status=case((Job.status == "queued", "running"), else_=Job.status),
            started_at=func.coalesce(Job.started_at, func.now()),
        )
    )


def finish_part(session: Session, job_id: int) -> None:
    """One part is done; the last one to finish ends the job (unless it was cancelled) and
    tells the webhooks."""
    ended = session.execute(
        text(
            """
UPDATE job SET parts_done = parts_done + 1,
    status = CASE WHEN parts_done + 1 >= parts AND status IN ('queued', 'running')
                  THEN 'succeeded' ELSE status END,
    started_at = coalesce(started_at, now()),
    finished_at = CASE WHEN parts_done + 1 >= parts THEN coalesce(finished_at, now())
                       ELSE finished_at END
WHERE id = :id
RETURNING parts_done = parts AND status = 'succeeded'
"""
        ),
        {"id": job_id},
    ).scalar()
    if ended:
        webhooks.job_finished(session, job_id)


def fail_job(session: Session, job_id: int, error: str) -> None:
    """A part failed for good: the job failed, with the reason (and tells the webhooks)."""
    failed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(ACTIVE))
        .values(status="failed", error=error[:2000], finished_at=func.now())
        .returning(Job.id)
    ).first()
    if failed is not None:
        webhooks.job_finished(session, job_id)


def _call_filters(params: dict[str, Any], organisation_id: str) -> tuple[str, dict[str, Any]]:
    """The WHERE of the calls a rescoring covers (organisation, window, team, manager), as SQL
    and values."""
    clauses = ["c.organisation_id = :organisation_id"]
    values: dict[str, Any] = {"organisation_id": organisation_id}
    for name, condition in (
        ("from", "c.started_at >= :from"),
        ("to", "c.started_at < :to"),
        ("team_id", "c.team_id = :team_id"),
        ("manager_id", "c.manager_id = :manager_id"),
    ):
        if params.get(name) is not None:
            clauses.append(condition)
            values[name] = params[name]
    return " AND ".join(clauses), values


def call_id_ranges(
    session: Session,
    params: dict[str, Any],
    part_size: int,
    organisation_id: str = DEFAULT_ORGANISATION,
) -> list[tuple[int, int, int]]:
    """The calls a rescoring covers as id ranges of at most `part_size` calls each:
    (lowest id, highest id, calls)."""
    where, values = _call_filters(params, organisation_id)
    rows = session.execute(
        text(
            f"""
SELECT min(id), max(id), count(*)
FROM (SELECT c.id, (row_number() OVER (ORDER BY c.id) - 1) / :size AS part
      FROM call AS c WHERE {where}) AS numbered
GROUP BY part ORDER BY part
"""
        ),
        {**values, "size": part_size},
    )
    return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]


def calls_to_rescore(
    session: Session,
    params: dict[str, Any],
    after: int,
    high: int,
    limit: int,
    organisation_id: str = DEFAULT_ORGANISATION,
) -> list[int]:
    """The next `limit` ids in (after, high] of the calls a rescoring covers."""
    where, values = _call_filters(params, organisation_id)
    rows = session.execute(
        text(
            f"""
SELECT c.id FROM call AS c
WHERE {where} AND c.id > :after AND c.id <= :high
ORDER BY c.id LIMIT :limit
"""
        ),
        {**values, "after": after, "high": high, "limit": limit},
    )
    return [int(r[0]) for r in rows]


def queue_stats(session: Session) -> list[tuple[str, int, float]]:
    """Per job queue: parts due to run now, and how long the oldest of them has waited (since
    it was queued, or since its retry was due), in seconds."""
    rows = session.execute(
        text(
            """
SELECT q.queue_name, q.depth, coalesce(extract(epoch FROM now() - coalesce(j.scheduled_at,
    (SELECT min(at) FROM procrastinate_events AS e WHERE e.job_id = q.oldest))), 0)
FROM (SELECT queue_name, count(*) AS depth, min(id) AS oldest FROM procrastinate_jobs
      WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())
      GROUP BY queue_name) AS q
JOIN procrastinate_jobs AS j ON j.id = q.oldest
"""
        )
    )
    return [(str(r[0]), int(r[1]), float(r[2])) for r in rows]
