"""Webhooks: POST/GET /v1/webhooks, PATCH/DELETE /v1/webhooks/{id}, the delivery log and
redelivery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import AnyHttpUrl, BaseModel, Field, UrlConstraints

from app.api.deps import EVERY_TEAM, SettingsDep, TenantDep, TxDep, require
from app.api.responses import json_response, problems
from app.services import webhooks

router = APIRouter(
    prefix="/v1/webhooks", tags=["webhooks"], dependencies=[require("admin"), EVERY_TEAM]
)
WebhookId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The id of the webhook.")]
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The id of the delivery.")]
Event = Literal["call.scored", "call.red", "violation.found", "job.finished"]
Url = Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)]
Events = Annotated[list[Event], Field(min_length=1, max_length=4)]
Secret = Annotated[str, Field(min_length=16, max_length=200)]


class WebhookIn(BaseModel):
    """A receiver and the events it wants."""

    url: Url = Field(description="Where events are POSTed (http or https).")
    secret: Secret | None = Field(
        default=None, description="Signs each body; generated (and shown once) when omitted."
    )
    events: Events

    model_config = {"extra": "forbid"}


class WebhookPatch(BaseModel):
    """What to change; fields left out stay."""

    url: Url | None = None
    secret: Secret | None = None
    events: Events | None = None
    active: bool | None = None

    model_config = {"extra": "forbid"}


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime
    secret: str | None = Field(default=None, description="Only in the answer that made it.")


class DeliveryOut(BaseModel):
    id: int
    event_id: str = Field(description="X-Callqa-Delivery: the same on every retry.")
    event: str
    call_id: int | None
    job_id: int | None
    status: str = Field(description="pending, retrying, delivered or failed.")
    attempts: int
    last_status: int | None = Field(description="The receiver's last HTTP status.")
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut] = Field(description="Newest first.")


@router.post(
    "",
    status_code=201,
    response_model=None,
    responses={201: {"model": WebhookOut}, **problems(400, 413, 415, 422, 503)},
)
async def create_webhook(
    body: WebhookIn, tx: TxDep, settings: SettingsDep, tenant: TenantDep
) -> Response:
    """Register a receiver. Its secret is in this answer only. Private, loopback and
    link-local targets are refused (422) outside local mode."""
    events: list[str] = list(dict.fromkeys(body.events))
    hook = await tx.run(
        webhooks.create_webhook, settings, str(body.url), events, body.secret, tenant=tenant
    )
    return json_response(hook, status=201, headers={"Location": f"/v1/webhooks/{hook['id']}"})


@router.get("", response_model=None, responses={200: {"model": WebhookList}, **problems(503)})
async def list_webhooks(tx: TxDep, tenant: TenantDep) -> Response:
    """The organisation's webhooks (secrets are never shown again)."""
    return json_response({"webhooks": await tx.run(webhooks.list_webhooks, tenant=tenant)})


@router.patch(
    "/{webhook_id}",
    response_model=None,
    responses={200: {"model": WebhookOut}, **problems(400, 404, 415, 422, 503)},
)
async def update_webhook(
    webhook_id: WebhookId,
    body: WebhookPatch,
    tx: TxDep,
    settings: SettingsDep,
    tenant: TenantDep,
) -> Response:
    """Change a webhook's url, events, secret, or pause it (`active: false`)."""
    changes = body.model_dump(exclude_none=True)
    if "url" in changes:
        changes["url"] = str(body.url)
    hook = await tx.run(webhooks.update_webhook, settings, webhook_id, changes, tenant=tenant)
    return json_response(hook)


@router.delete("/{webhook_id}", status_code=204, responses=problems(404, 422, 503))
async def delete_webhook(webhook_id: WebhookId, tx: TxDep, tenant: TenantDep) -> Response:
    """Delete a webhook with its delivery log."""
    await tx.run(webhooks.delete_webhook, webhook_id, tenant=tenant)
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=None,
    responses={200: {"model": DeliveryList}, **problems(404, 422, 503)},
)
async def list_deliveries(
    webhook_id: WebhookId,
    tx: TxDep,
    tenant: TenantDep,
    before: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Deliveries older than this id.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Response:
    """The delivery log, newest first: status, attempts and the receiver's last answer."""
    rows = await tx.run(webhooks.list_deliveries, webhook_id, before, limit, tenant=tenant)
    return json_response({"deliveries": rows})


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    responses=problems(404, 422, 503),
)
async def redeliver(
    webhook_id: WebhookId, delivery_id: DeliveryId, tx: TxDep, tenant: TenantDep
) -> Response:
    """Send a delivery again, with the same X-Callqa-Delivery id."""
    await tx.run(webhooks.redeliver, webhook_id, delivery_id, tenant=tenant)
    return Response(status_code=202)
