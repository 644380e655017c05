"""Queries of webhooks and their outbox (`webhook_delivery`).

Events are written set-based in the transaction of the write they tell about (a batch chunk's
calls, a job's end) and each is put on the job queue there too, with procrastinate's own SQL
function: an event exists, and is sent, if and only if that transaction commits. The
deliveries of one call (or job) to one webhook are sent by one queued task, one after another
in the order they were written; a task retried sends those still unsent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, select, text
from sqlalchemy.orm import Session

from app.db.models import Webhook, WebhookDelivery

QUEUE = "webhooks"
TASK = "callqa.deliver_webhook"
CALL_EVENTS = ("call.scored", "call.red", "violation.found")
EVENTS = (*CALL_EVENTS, "job.finished")

Attempt = tuple[int, str, int | None, str | None]
"""One delivery attempt: (delivery id, new status, the receiver's status, why it failed)."""

# Deliveries just inserted (the CTE `new`) put on the queue as few tasks as possible: one per
# webhook and block of up to PER_TASK calls (or jobs), each naming its organisation and its
# deliveries in the order they were written. A task sends its deliveries one after another, so
# the events of one call (always written together) go in order; a task's queue overhead
# (defer, fetch, finish: a dozen row writes) is shared by its deliveries. With no delivery
# (most calls of most organisations: no webhook wants them) the queue is not called at all:
# its empty INSERT cost a call's ingest ~0.2 ms of PostgreSQL CPU.
PER_TASK = 32
_DEFER = f"""
SELECT procrastinate_defer_jobs_v1(ARRAY(
    SELECT ROW('{QUEUE}', '{TASK}', 0, NULL, NULL,
               jsonb_build_object('organisation_id', organisation_id, 'webhook_id', webhook_id,
                                  'ids', jsonb_agg(id ORDER BY id)),
               NULL)::procrastinate_job_to_defer_v1
    FROM (
        SELECT id, organisation_id, webhook_id,
            (dense_rank() OVER (PARTITION BY webhook_id ORDER BY call_id, job_id) - 1)
                / {PER_TASK} AS block
        FROM new
    ) AS blocks
    GROUP BY organisation_id, webhook_id, block
    ORDER BY min(id)
))
WHERE EXISTS (SELECT FROM new)
"""

# One event per new call and matching event kind for each active webhook of the organisation
# that wants it. A call event holds no copy of the call (its whole score, ~6.6 KB compressed
# per event): its body is built from the call row when it is sent (`to_send`), and an erased
# call's events are deleted with it (`remove_call`). Rows written before migration
# 2026-12-06-0300 keep their `data` and are sent as they were written.
CALL_EVENTS_SQL = f"""
WITH new AS (
    INSERT INTO webhook_delivery (organisation_id, webhook_id, event, call_id)
    SELECT w.organisation_id, w.id, e.event, c.id
    FROM unnest(CAST(%(organisations)s AS text[]), CAST(%(calls)s AS bigint[]))
        AS x(organisation_id, call_id)
    JOIN call AS c ON c.organisation_id = x.organisation_id AND c.id = x.call_id
    JOIN webhook AS w ON w.organisation_id = c.organisation_id AND w.active
    CROSS JOIN LATERAL (VALUES
        (1, 'call.scored', TRUE),
        (2, 'call.red', c.grade = 'red'),
        (3, 'violation.found', EXISTS (SELECT 1 FROM call_violation AS v
                                       WHERE v.organisation_id = c.organisation_id
                                           AND v.call_id = c.id))
    ) AS e(n, event, happened)
    WHERE e.happened AND e.event = ANY (w.events)
    ORDER BY c.id, w.id, e.n
    RETURNING id, organisation_id, webhook_id, call_id, job_id
)
{_DEFER}
"""

_JOB_FINISHED = text(
    f"""
WITH new AS (
    INSERT INTO webhook_delivery (organisation_id, webhook_id, event, job_id, data)
    SELECT w.organisation_id, w.id, 'job.finished', j.id,
        jsonb_build_object('job_id', j.id, 'kind', j.kind, 'status', j.status,
                           'params', j.params, 'total', j.total, 'done', j.done,
                           'skipped', j.skipped, 'error', j.error, 'created_at', j.created_at,
                           'started_at', j.started_at, 'finished_at', j.finished_at)
    FROM job AS j
    JOIN webhook AS w ON w.organisation_id = j.organisation_id AND w.active
    WHERE j.id = :job_id AND 'job.finished' = ANY (w.events)
    ORDER BY w.id
    RETURNING id, organisation_id, webhook_id, call_id, job_id
)
{_DEFER}
"""
)

_REDELIVER = text(
    f"""
WITH new AS (
    UPDATE webhook_delivery SET status = 'pending'
    WHERE organisation_id = :org AND webhook_id = :webhook_id AND id = :id
    RETURNING id, organisation_id, webhook_id, call_id, job_id
)
{_DEFER}
"""
)


def call_events(calls: Sequence[tuple[str, int]]) -> tuple[str, dict[str, Any]]:
    """The outbox statement (for call_writes' pipeline) of newly stored calls, given as
    (organisation id, call id): the keys of `call` and `call_violation` lead with the
    organisation, and a call found by its id alone was a scan of them (growing with the
    tables)."""
    organisations, ids = zip(*calls, strict=True) if calls else ((), ())
    return CALL_EVENTS_SQL, {"organisations": list(organisations), "calls": list(ids)}


def job_finished(session: Session, job_id: int) -> None:
    """The job.finished events of a job that has just ended, in the transaction that ended it."""
    session.execute(_JOB_FINISHED, {"job_id": job_id})


def create_webhook(
    session: Session, organisation_id: str, url: str, secret: str, events: list[str]
) -> Webhook:
    """A new, active webhook."""
    hook = Webhook(organisation_id=organisation_id, url=url, secret=secret, events=events)
    session.add(hook)
    session.flush()
    session.refresh(hook)
    return hook


def list_webhooks(session: Session, organisation_id: str) -> list[Webhook]:
    """An organisation's webhooks, oldest first."""
    stmt = select(Webhook).where(Webhook.organisation_id == organisation_id).order_by(Webhook.id)
    return list(session.execute(stmt).scalars())


def get_webhook(session: Session, organisation_id: str, webhook_id: int) -> Webhook | None:
    """One webhook of an organisation."""
    stmt = select(Webhook).where(
        Webhook.organisation_id == organisation_id, Webhook.id == webhook_id
    )
    return session.execute(stmt).scalar_one_or_none()


def delete_webhook(session: Session, organisation_id: str, webhook_id: int) -> bool:
    """Delete a webhook and its delivery log; False if there was none."""
    stmt = (
        delete(Webhook)
        .where(Webhook.organisation_id == organisation_id, Webhook.id == webhook_id)
        .returning(Webhook.id)
    )
    return session.execute(stmt).first() is not None


def list_deliveries(
    session: Session, organisation_id: str, webhook_id: int, before: int | None, limit: int
) -> list[WebhookDelivery]:
    """A webhook's deliveries, newest first, `limit` of them with ids below `before`."""
    d = WebhookDelivery
    stmt = select(d).where(d.organisation_id == organisation_id, d.webhook_id == webhook_id)
    if before is not None:
        stmt = stmt.where(d.id < before)
    return list(session.execute(stmt.order_by(d.id.desc()).limit(limit)).scalars())


def redeliver(session: Session, organisation_id: str, webhook_id: int, delivery_id: int) -> bool:
    """Queue a delivery again (same event id), as a task of its own; False if the webhook has
    no such delivery."""
    params = {"org": organisation_id, "webhook_id": webhook_id, "id": delivery_id}
    return session.execute(_REDELIVER, params).scalar() is not None


# The deliveries to send with what their bodies are made of: a call event's call (its score as
# JSON text, once per call: the later events of a call in the task reuse it), or the stored
# `data` (a job's events, and call events written before migration 2026-12-06-0300). A call
# event whose call is gone has nothing to send.
_TO_SEND = text(
    """
SELECT d.id, d.event_id, d.event, d.call_id, d.job_id, d.created_at, d.data::text AS data,
    w.url, w.secret, c.external_id, c.manager_id, c.team_id, c.started_at,
    c.started_at_offset_min,
    CASE WHEN c.id IS NOT NULL
        AND row_number() OVER (PARTITION BY d.call_id, d.data IS NULL ORDER BY d.id) = 1
        THEN c.score::text END AS score
FROM webhook_delivery AS d
JOIN webhook AS w ON w.organisation_id = d.organisation_id AND w.id = d.webhook_id
LEFT JOIN call AS c ON d.data IS NULL AND c.organisation_id = d.organisation_id
    AND c.id = d.call_id
WHERE d.id = ANY (:ids) AND d.status IN ('pending', 'retrying')
    AND (d.data IS NOT NULL OR c.id IS NOT NULL)
ORDER BY d.id
"""
)

_RECORD = text(
    """
UPDATE webhook_delivery AS d SET
    status = a.status,
    attempts = d.attempts + 1,
    last_status = a.answer,
    last_error = left(a.error, 500),
    last_attempt_at = now(),
    delivered_at = CASE WHEN a.status = 'delivered' THEN now() END
FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:answers AS int[]),
            CAST(:errors AS text[])) AS a(id, status, answer, error)
WHERE d.id = a.id
"""
)


def to_send(session: Session, ids: Sequence[int]) -> Sequence[Row[Any]]:
    """The deliveries among `ids` still to send, oldest first, each with its webhook's url and
    secret (none once the webhook or the call is gone, or they were sent): `data` as JSON text,
    unparsed, or (NULL `data`) the call's columns and, on the first row of each call, its
    `score` as JSON text."""
    return session.execute(_TO_SEND, {"ids": list(ids)}).all()


def record_attempts(session: Session, attempts: Sequence[Attempt]) -> None:
    """The outcomes of a task's attempts, in one statement: each delivery's new status and the
    receiver's answer."""
    if attempts:
        columns = list(zip(*attempts, strict=True))
        names = ("ids", "statuses", "answers", "errors")
        session.execute(_RECORD, dict(zip(names, map(list, columns), strict=True)))


def remove_call(session: Session, organisation_id: str, call_id: int) -> None:
    """Delete the deliveries of an erased call: older ones' payloads carry its personal data, and
    a task already queued for them finds them gone and sends nothing."""
    session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.organisation_id == organisation_id, WebhookDelivery.call_id == call_id
        )
    )
