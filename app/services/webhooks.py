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
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import certifi
import orjson
import urllib3
from sqlalchemy import Row
from sqlalchemy.orm import Session

from app.db import webhooks as db
from app.db.models import Webhook, WebhookDelivery
from app.db.session import SessionScope
from app.i18n import N_, _
from app.metrics import WEBHOOK_DELIVERIES
from app.services.errors import InvalidInput, NotFound
from app.services.mode import private_targets_allowed
from app.services.records import with_offset
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
    `private_allowed` (`private_targets_allowed`). In English, as delivery logs keep it;
    `_check_target` words it for the person registering the URL."""
    refusal = _refusal(url, private_allowed)
    return None if refusal is None else refusal[0] % refusal[1]


def _refusal(url: str, private_allowed: bool) -> tuple[str, dict[str, str]] | None:
    """target_refusal's message id and its parameters."""
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
            return N_("the host %(host)r does not resolve"), {"host": host}
        addresses = {ip_address(info[4][0]) for info in found}
    if any(_forbidden(a) for a in addresses):
        return (
            N_(
                "private, loopback and link-local addresses are refused "
                "(CALLQA_WEBHOOK_ALLOW_PRIVATE allows them)"
            ),
            {},
        )
    return None


def _check_target(session: Session, url: str, settings: Settings) -> None:
    refusal = _refusal(url, private_targets_allowed(settings, session))
    if refusal is not None:
        raise InvalidInput.at("/url", _(refusal[0], **refusal[1]))


def _find(session: Session, webhook_id: int, tenant: Tenant) -> Webhook:
    hook = db.get_webhook(session, tenant.organisation_id, webhook_id)
    if hook is None:
        raise NotFound(_("no webhook with id %(webhook)s", webhook=webhook_id))
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
        raise NotFound(_("no webhook with id %(webhook)s", webhook=webhook_id))


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
        raise NotFound(
            _(
                "webhook %(webhook)s has no delivery %(delivery)s",
                webhook=webhook_id,
                delivery=delivery_id,
            )
        )


def signature(secret: str, body: bytes) -> str:
    """The X-Callqa-Signature value of a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Sender:
    """Posts deliveries over kept-alive connections: urllib3's pool, about a quarter of httpx's
    CPU per request. A connection the receiver closed meanwhile is opened again; TLS is verified
    against certifi's roots; redirects are not followed (a 3xx is a failed attempt); a request
    sent and not answered fails and is not sent again here (the queue retries it)."""

    RECEIVERS = 16  # receivers (scheme, host, port) whose connections are kept
    ANSWER_BYTES = 65536  # read of an answer; a longer one closes its connection

    def __init__(self, timeout_s: float, connections: int = 1) -> None:
        self.pool = urllib3.PoolManager(
            num_pools=self.RECEIVERS,
            maxsize=connections,  # one per delivering thread
            timeout=urllib3.Timeout(connect=timeout_s, read=timeout_s),
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
        self._targets: dict[str, tuple[str, int | None, str, str, dict[str, str]]] = {}

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every kept connection."""
        self.pool.clear()

    def post(self, url: str, headers: dict[str, str], body: bytes) -> tuple[int | None, str | None]:
        """Send one attempt: the receiver's status, and why it failed (None: a 2xx answer).
        Straight to the receiver's connection pool: PoolManager.request's encoding, header
        merging and redirect logic (none of which applies) cost ~15% of a post's CPU."""
        try:
            host, port, scheme, path, auth = self._target(url)
            if auth:  # credentials in the URL: basic authentication, as httpx did
                headers = {**headers, **auth}
            pool = self.pool.connection_from_host(host, port=port, scheme=scheme)
            answer = pool.urlopen(
                "POST",
                path,
                body=body,
                headers=headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
            )
            answer.read(self.ANSWER_BYTES)
            if answer.read(1):  # longer than read: the connection is not kept
                answer.close()
            answer.release_conn()
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            return None, _failure(exc)
        status = answer.status
        return status, None if 200 <= status < 300 else f"HTTP {status}"

    def _target(self, url: str) -> tuple[str, int | None, str, str, dict[str, str]]:
        """A URL's host, port, scheme, request path and basic-authentication header, parsed
        once per URL (a receiver gets many deliveries)."""
        found = self._targets.get(url)
        if found is None:
            parts = urllib3.util.parse_url(url)
            if not parts.host or parts.scheme not in ("http", "https"):
                raise urllib3.exceptions.LocationValueError(f"not an http(s) URL: {url!r}")
            auth = (
                {} if parts.auth is None else urllib3.make_headers(basic_auth=unquote(parts.auth))
            )
            found = (parts.host, parts.port, parts.scheme, parts.request_uri, auth)
            if len(self._targets) >= self.RECEIVERS * 16:
                self._targets.clear()
            self._targets[url] = found
        return found


def _failure(exc: BaseException) -> str:
    """Why an attempt failed, named by its root cause (urllib3 wraps the socket's error)."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        exc = reason
    elif len(exc.args) > 1 and isinstance(exc.args[1], BaseException):  # ProtocolError
        exc = exc.args[1]
    return f"{exc.__class__.__name__}: {exc}"


def http_client(settings: Settings) -> Sender:
    """The sender a job worker posts with: one per process, its connections kept alive
    (a connection per delivery would connect, and shake TLS hands, each time)."""
    return Sender(settings.webhook_timeout_s, settings.webhook_concurrency)


def call_data(row: Row[Any], score: bytes) -> bytes:
    """A call event's `data`, made from its call when sent: the call as the 201 answer shows it
    (`started_at` in the offset the caller gave), its score spliced in as PostgreSQL's text of
    the stored jsonb (parsing and serialising the whole score again would cost the worker half
    its CPU per delivery). The same bytes on every attempt: a call's columns and score do not
    change once stored (retention empties its texts: they are then not sent either)."""
    head = orjson.dumps(
        {
            "id": row.call_id,
            "external_id": row.external_id,
            "manager_id": row.manager_id,
            "team_id": row.team_id,
            "started_at": with_offset(row.started_at, row.started_at_offset_min),
        }
    )
    return b"".join((head[:-1], b',"score":', score, b"}"))


def _envelope(row: Row[Any], data: bytes) -> bytes:
    """The body of a delivery: {"id", "event", "created_at", "data"}, the same bytes on every
    attempt of it; `data` spliced in as it is."""
    head = orjson.dumps({"id": str(row.event_id), "event": row.event, "created_at": row.created_at})
    return b"".join((head[:-1], b',"data":', data, b"}"))


def deliver(
    scope: SessionScope,
    settings: Settings,
    client: Sender,
    ids: Sequence[int],
    attempt: int,
) -> list[Outcome]:
    """Send a task's deliveries (its `attempt`-th retry; 0 the first time) in order and log
    their outcomes in one transaction; "retrying" ones are for the queue to try again later.

    A delivery that fails holds back the later ones of its call (or job) until the retry, so
    each call's events arrive in order; the others go on. Deliveries already sent, or whose
    webhook is gone, are skipped. `scope` opens transactions in the deliveries' organisation.
    """
    with scope() as session:
        rows = db.to_send(session, ids)
        private_allowed = private_targets_allowed(settings, session)
    if not rows:
        return ["gone"]
    last = attempt >= len(settings.webhook_retry_waits())
    refused = target_refusal(rows[0].url, private_allowed)  # the name may resolve elsewhere by now
    held: set[tuple[int | None, int | None]] = set()  # calls (or jobs) with a failed event
    calls: dict[int, bytes] = {}  # the `data` of each call, made once for its events
    done: list[db.Attempt] = []
    outcomes: list[Outcome] = []
    for row in rows:
        of = (row.call_id, row.job_id)
        if of in held:
            continue
        if row.data is not None:
            data = row.data.encode()
        elif row.score is not None:
            data = calls[row.call_id] = call_data(row, row.score.encode())
        else:  # a later event of a call: its score came with the first
            data = calls[row.call_id]
        body = _envelope(row, data)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "callqa-webhooks",
            "X-Callqa-Event": row.event,
            "X-Callqa-Delivery": str(row.event_id),
            "X-Callqa-Signature": signature(row.secret, body),
        }
        status_code, error = (None, refused) if refused else client.post(row.url, headers, body)
        outcome: Outcome = (
            "delivered" if error is None else "failed" if last or refused else "retrying"
        )
        if outcome == "retrying":
            held.add(of)
        done.append((row.id, outcome, status_code, error))
        outcomes.append(outcome)
    with scope() as session:
        db.record_attempts(session, done)
    for outcome in outcomes:
        WEBHOOK_DELIVERIES.labels(outcome).inc()
    return outcomes
