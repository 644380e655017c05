"""Queries of webhooks and their outbox (`webhook_delivery`).

Events are written set-based in the transaction of the write they tell about (a batch chunk's
calls, a job's end) and each is put on the job queue there too, with procrastinate's own SQL
function: an event exists, and is sent, if and only if that transaction commits. Every
delivery of one call (or job) to one webhook shares a queue lock, so procrastinate runs them
one after another in the order they were written, retries included.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from app.db.models import Webhook, WebhookDelivery
from app.db.session import json_text

QUEUE = "webhooks"
TASK = "callqa.deliver_webhook"
CALL_EVENTS = ("call.scored", "call.red", "violation.found")
EVENTS = (*CALL_EVENTS, "job.finished")

# Deliveries just inserted (the CTE `new`) put on the queue, one task each, locked per
# webhook and call (or job) so they run in order.
_DEFER = f"""
SELECT procrastinate_defer_jobs_v1(ARRAY(
    SELECT ROW('{QUEUE}', '{TASK}', 0,
               'callqa.webhook:' || webhook_id || ':'
                   || coalesce('call:' || call_id, 'job:' || job_id),
               NULL, jsonb_build_object('delivery_id', id), NULL)::procrastinate_job_to_defer_v1
    FROM new ORDER BY id
))
"""

# One event per new call and matching event kind for each active webhook of the organisation
# that wants it; `data` is the call as the 201 answer shows it (`started_at` with its offset,
# as the caller gave it, comes along with each id).
CALL_EVENTS_SQL = f"""
WITH new AS (
    INSERT INTO webhook_delivery (organisation_id, webhook_id, event, call_id, data)
    SELECT w.organisation_id, w.id, e.event, c.id,
        jsonb_build_object('id', c.id, 'external_id', c.external_id, 'manager_id', c.manager_id,
                           'team_id', c.team_id, 'started_at', x.started_at, 'score', c.score)
    FROM jsonb_to_recordset(%(calls)s) AS x(call_id bigint, started_at text)
    JOIN call AS c ON c.id = x.call_id
    JOIN webhook AS w ON w.organisation_id = c.organisation_id AND w.active
    CROSS JOIN LATERAL (VALUES
        (1, 'call.scored', TRUE),
        (2, 'call.red', c.grade = 'red'),
        (3, 'violation.found', EXISTS (SELECT 1 FROM call_violation AS v WHERE v.call_id = c.id))
    ) AS e(n, event, happened)
    WHERE e.happened AND e.event = ANY (w.events)
    ORDER BY c.id, w.id, e.n
    RETURNING id, webhook_id, call_id, job_id
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
    RETURNING id, webhook_id, call_id, job_id
)
{_DEFER}
"""
)

_REDELIVER = text(
    f"""
WITH new AS (
    UPDATE webhook_delivery SET status = 'pending'
    WHERE organisation_id = :org AND webhook_id = :webhook_id AND id = :id
    RETURNING id, webhook_id, call_id, job_id
)
{_DEFER}
"""
)


def call_events(calls: Sequence[tuple[int, datetime]]) -> tuple[str, dict[str, Any]]:
    """The outbox statement (for call_writes' pipeline) of newly stored calls, given as
    (call id, started_at as the caller gave it), for the webhooks of each call's organisation."""
    rows = [{"call_id": call_id, "started_at": started} for call_id, started in calls]
    return CALL_EVENTS_SQL, {"calls": Jsonb(rows, json_text)}


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
    """Send a delivery again (same event id), after the ones queued for its call; False if
    the webhook has no such delivery."""
    params = {"org": organisation_id, "webhook_id": webhook_id, "id": delivery_id}
    return session.execute(_REDELIVER, params).scalar() is not None


def to_send(session: Session, delivery_id: int) -> tuple[WebhookDelivery, Webhook] | None:
    """A delivery with its webhook, for the worker to send (None once the webhook is gone)."""
    stmt = (
        select(WebhookDelivery, Webhook)
        .join(
            Webhook,
            (Webhook.organisation_id == WebhookDelivery.organisation_id)
            & (Webhook.id == WebhookDelivery.webhook_id),
        )
        .where(WebhookDelivery.id == delivery_id)
    )
    row = session.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def record_attempt(
    session: Session, delivery_id: int, status: str, answer: int | None, error: str | None
) -> None:
    """One attempt's outcome: the delivery's new status and the receiver's answer."""
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(
            status=status,
            attempts=WebhookDelivery.attempts + 1,
            last_status=answer,
            last_error=None if error is None else error[:500],
            last_attempt_at=func.now(),
            delivered_at=func.now() if status == "delivered" else None,
        )
    )
