"""Webhooks as a user sees them (register a receiver, list, change, delete it, read its
delivery log, redeliver), and the sending of one delivery as the job worker runs it.

Events are written by the writes they tell about (app/db/webhooks.py, in their transaction);
here they are sent: a JSON POST of {"id", "event", "created_at", "data"}, signed with the
webhook's secret (`X-Callqa-Signature: sha256=<hex HMAC-SHA256 of the raw body>`), with the
event id as `X-Callqa-Delivery` on every retry and redelivery, so receivers dedupe by it.
A delivery that fails is retried by the queue with doubling waits (settings), then failed.
Targets are checked against server-side request forgery when registered and when sent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import socket
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import orjson
from sqlalchemy.orm import Session

from app.db import webhooks as db
from app.db.models import Webhook, WebhookDelivery
from app.db.session import SessionScope
from app.metrics import WEBHOOK_DELIVERIES
from app.services.errors import InvalidInput, NotFound
from app.services.mode import private_targets_allowed
from app.settings import Settings
from app.tenancy import LOCAL, Tenant

EVENTS = db.EVENTS
QUEUE = db.QUEUE
TASK = db.TASK
Outcome = Literal["delivered", "retrying", "failed", "gone"]


class DeliveryFailed(Exception):
    """A delivery attempt that failed and is to be retried by the queue."""


def webhook_view(hook: Webhook, *, secret: bool = False) -> dict[str, Any]:
    """A webhook as the API shows it; its secret only when just made (shown once)."""
    view: dict[str, Any] = {
        "id": hook.id,
        "url": hook.url,
        "events": list(hook.events),
        "active": hook.active,
        "created_at": hook.created_at,
    }
    if secret:
        view["secret"] = hook.secret
    return view


def delivery_view(d: WebhookDelivery) -> dict[str, Any]:
    """A delivery log entry."""
    return {
        "id": d.id,
        "event_id": str(d.event_id),
        "event": d.event,
        "call_id": d.call_id,
        "job_id": d.job_id,
        "status": d.status,
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "last_attempt_at": d.last_attempt_at,
        "delivered_at": d.delivered_at,
    }


def _forbidden(address: IPv4Address | IPv6Address) -> bool:
    """Private, loopback, link-local, reserved, shared or multicast: not the public internet."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def target_refusal(url: str, private_allowed: bool) -> str | None:
    """Why a webhook may not be sent to `url` (None: it may): a private address, or a host
    that resolves to one (server-side request forgery through a tenant's URL), unless
    `private_allowed` (`private_targets_allowed`)."""
    if private_allowed:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = {ip_address(host)}
    except ValueError:
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError):
            return f"the host {host!r} does not resolve"
        addresses = {ip_address(info[4][0]) for info in found}
    if any(_forbidden(a) for a in addresses):
        return (
            "private, loopback and link-local addresses are refused "
            "(CALLQA_WEBHOOK_ALLOW_PRIVATE allows them)"
        )
    return None


def _check_target(session: Session, url: str, settings: Settings) -> None:
    reason = target_refusal(url, private_targets_allowed(settings, session))
    if reason is not None:
        raise InvalidInput.at("/url", reason)


def _find(session: Session, webhook_id: int, tenant: Tenant) -> Webhook:
    hook = db.get_webhook(session, tenant.organisation_id, webhook_id)
    if hook is None:
        raise NotFound(f"no webhook with id {webhook_id}")
    return hook


def create_webhook(
    session: Session,
    settings: Settings,
    url: str,
    events: list[str],
    secret: str | None = None,
    *,
    tenant: Tenant = LOCAL,
) -> dict[str, Any]:
    """Register a receiver; answers with its secret (generated when not given), shown once."""
    _check_target(session, url, settings)
    made = secret or secrets.token_urlsafe(32)
    hook = db.create_webhook(session, tenant.organisation_id, url, made, events)
    return webhook_view(hook, secret=True)


def list_webhooks(session: Session, *, tenant: Tenant = LOCAL) -> list[dict[str, Any]]:
    """The organisation's webhooks (without their secrets)."""
    return [webhook_view(h) for h in db.list_webhooks(session, tenant.organisation_id)]


def update_webhook(
    session: Session,
    settings: Settings,
    webhook_id: int,
    changes: dict[str, Any],
    *,
    tenant: Tenant = LOCAL,
) -> dict[str, Any]:
    """Change a webhook's url, events, secret or active flag."""
    hook = _find(session, webhook_id, tenant)
    if "url" in changes:
        _check_target(session, changes["url"], settings)
    for name, value in changes.items():
        setattr(hook, name, value)
    session.flush()
    return webhook_view(hook)


def delete_webhook(session: Session, webhook_id: int, *, tenant: Tenant = LOCAL) -> None:
    """Delete a webhook with its delivery log; deliveries still queued are dropped."""
    if not db.delete_webhook(session, tenant.organisation_id, webhook_id):
        raise NotFound(f"no webhook with id {webhook_id}")


def list_deliveries(
    session: Session,
    webhook_id: int,
    before: int | None = None,
    limit: int = 100,
    *,
    tenant: Tenant = LOCAL,
) -> list[dict[str, Any]]:
    """A webhook's delivery log, newest first."""
    _find(session, webhook_id, tenant)
    rows = db.list_deliveries(session, tenant.organisation_id, webhook_id, before, limit)
    return [delivery_view(d) for d in rows]


def redeliver(
    session: Session, webhook_id: int, delivery_id: int, *, tenant: Tenant = LOCAL
) -> None:
    """Queue a delivery again, with the same event id (after those queued for its call)."""
    _find(session, webhook_id, tenant)
    if not db.redeliver(session, tenant.organisation_id, webhook_id, delivery_id):
        raise NotFound(f"webhook {webhook_id} has no delivery {delivery_id}")


def signature(secret: str, body: bytes) -> str:
    """The X-Callqa-Signature value of a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def http_client(settings: Settings) -> httpx.Client:
    """The HTTP client a job worker sends with: one per process, its connections kept alive
    (a client per delivery would build a TLS context each time, the main CPU cost)."""
    return httpx.Client(timeout=settings.webhook_timeout_s, follow_redirects=False)


def _post(
    client: httpx.Client, url: str, headers: dict[str, str], body: bytes
) -> tuple[int | None, str | None]:
    """Send one attempt: the receiver's status, and why it failed (None: a 2xx answer)."""
    try:
        answer = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{exc.__class__.__name__}: {exc}"
    return answer.status_code, None if answer.is_success else f"HTTP {answer.status_code}"


def deliver(
    scope: SessionScope,
    settings: Settings,
    client: httpx.Client,
    delivery_id: int,
    attempt: int,
) -> Outcome:
    """Send one delivery (its `attempt`-th retry; 0 the first time) and log the outcome,
    which is "retrying" when the queue is to try again later."""
    with scope() as session:
        found = db.to_send(session, delivery_id)
        if found is None:
            return "gone"
        delivery, hook = found
        body = orjson.dumps(
            {
                "id": str(delivery.event_id),
                "event": delivery.event,
                "created_at": delivery.created_at,
                "data": delivery.data,
            }
        )
        url, secret, event, event_id = hook.url, hook.secret, delivery.event, delivery.event_id
        private_allowed = private_targets_allowed(settings, session)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "callqa-webhooks",
        "X-Callqa-Event": event,
        "X-Callqa-Delivery": str(event_id),
        "X-Callqa-Signature": signature(secret, body),
    }
    refused = target_refusal(url, private_allowed)  # the name may resolve elsewhere by now
    status_code, error = (None, refused) if refused else _post(client, url, headers, body)
    last = refused is not None or attempt >= len(settings.webhook_retry_waits())
    outcome: Outcome = "delivered" if error is None else "failed" if last else "retrying"
    with scope() as session:
        db.record_attempt(session, delivery_id, outcome, status_code, error)
    WEBHOOK_DELIVERIES.labels(outcome).inc()
    return outcome
