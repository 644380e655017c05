"""Ingest and read calls: POST /v1/calls, POST /v1/calls/batch, GET /v1/calls[/{id}]."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import TypeAdapter, ValidationError

from app.api.deps import SettingsDep, TenantDep, TxDep, require
from app.api.errors import InvalidInput, field_errors
from app.api.observe import count_call
from app.api.responses import json_response, problems
from app.api.schemas import (
    BatchIn,
    BatchItemOut,
    BatchOut,
    CallCreated,
    CallDetail,
    CallIn,
    CallPageOut,
    UtterancePageOut,
)
from app.db.session import SessionScope
from app.i18n import _
from app.services import calls as call_service
from app.services import erasure, ingest
from app.services.audit import audited
from app.services.errors import CallqaError
from app.services.ingest import ItemOutcome
from app.services.schemas import Id
from app.tenancy import Tenant

router = APIRouter(prefix="/v1/calls", tags=["calls"])
_CALL = TypeAdapter(CallIn)
CallId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The id callqa gave the call.")]


@router.post(
    "",
    status_code=201,
    dependencies=[require("ingest")],
    response_model=None,
    responses={
        201: {
            "model": CallCreated,
            "description": "Stored and scored.",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
        200: {"model": CallCreated, "description": "Already stored with the same content."},
        **problems(400, 403, 404, 409, 410, 413, 415, 422, 503),
    },
)
async def create_call(
    call: CallIn, tx: TxDep, settings: SettingsDep, tenant: TenantDep
) -> Response:
    """Score a call and store it; retries with the same external_id and content answer 200;
    an erased call's external_id answers 410."""
    done = await tx.run(ingest.ingest_call, call, settings.max_words, tenant=tenant)
    body = {
        "id": done.id,
        "external_id": done.external_id,
        "manager_id": done.manager_id,
        "team_id": done.team_id,
        "started_at": done.started_at,
        "score": done.score,
    }
    headers = {"Location": f"/v1/calls/{done.id}"}
    return json_response(body, status=201 if done.created else 200, headers=headers)


def _validate_item(raw: Any) -> CallIn | CallqaError:
    try:
        return _CALL.validate_python(raw)
    except ValidationError as exc:
        # Pointers relative to the item; the batch answer moves them under /calls/{index}.
        return InvalidInput(_("the call has invalid fields"), errors=field_errors(exc.errors()))


def _ingest_batch(
    scope: SessionScope, raws: list[Any], max_words: int, tenant: Tenant
) -> list[ItemOutcome]:
    """Validate and ingest the items, in the thread pool (validation is CPU work too)."""
    items = [_validate_item(raw) for raw in raws]
    return ingest.ingest_many(scope, items, max_words, tenant=tenant)


def _external_id(raw: Any) -> str | None:
    """The external_id of an item that failed validation, when it has a usable one."""
    value = raw.get("external_id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and len(value) <= 200 else None


def _item_out(outcome: ItemOutcome, raw: Any) -> BatchItemOut:
    error = outcome.error
    return BatchItemOut(
        index=outcome.index,
        status=outcome.status,  # type: ignore[arg-type]
        id=outcome.call_id,
        external_id=outcome.external_id or _external_id(raw),
        title=error.title if error else None,
        detail=error.detail if error else None,
        errors=error.prefixed(f"/calls/{outcome.index}") if error else None,  # type: ignore[arg-type]
    )


@router.post(
    "/batch",
    status_code=207,
    dependencies=[require("ingest")],
    response_model=BatchOut,
    response_model_exclude_none=True,
    responses={
        207: {"description": "Per-item outcomes; the connection closes after it."},
        **problems(400, 413, 415, 422, 503),
    },
)
async def create_calls(
    batch: BatchIn, tx: TxDep, settings: SettingsDep, tenant: TenantDep, response: Response
) -> BatchOut:
    """Ingest up to 1,000 calls; always 207 with one outcome per item, in input order.

    Good items are stored even when others fail; a failed item stores nothing; an item that
    could not get its locks in time is `status: 503` (retry it).
    """
    # The connection closes after a batch's answer. Kept alive, it would bring the platform's
    # next batch to the worker process that accepted it, whatever the others do: two clients
    # posting batches landed on one of two workers (99% of callqa's CPU in one process, the
    # other idle). A new connection is accepted by a worker that is free to; its cost is
    # nothing beside a batch's seconds of scoring.
    response.headers["Connection"] = "close"
    outcomes = await tx.run_scoped(_ingest_batch, batch.calls, settings.max_words, tenant)
    items = [_item_out(o, raw) for o, raw in zip(outcomes, batch.calls, strict=True)]
    for outcome in outcomes:
        count_call(outcome.status, outcome.error.slug if outcome.error else None)
    return BatchOut(
        created=sum(o.status == 201 for o in outcomes),
        existing=sum(o.status == 200 for o in outcomes),
        failed=sum(o.status >= 400 for o in outcomes),
        items=items,
    )


@router.get(
    "/{call_id}",
    response_model=None,
    dependencies=[require("read")],
    responses={200: {"model": CallDetail}, **problems(404, 422, 503)},
)
async def get_call(call_id: CallId, tx: TxDep, tenant: TenantDep) -> Response:
    """One stored call: transcript, parsed utterances, score with evidence (reviewers'
    corrections applied; `machine_score` as computed), metadata."""
    read = audited(tenant, "call.read", f"/v1/calls/{call_id}", call_service.get_call, call_id)
    return json_response(await tx.run(read, call_id, tenant))


@router.delete(
    "/{call_id}",
    status_code=204,
    dependencies=[require("admin")],
    response_class=Response,
    responses={204: {"description": "Erased."}, **problems(404, 422, 503)},
)
async def erase_call(call_id: CallId, tx: TxDep, tenant: TenantDep) -> Response:
    """Erase a call (personal data): transcript, utterances, evidence, every score and its
    share of every roll-up, in one transaction; its external_id answers 410 from then on."""
    erase = audited(tenant, "call.delete", f"/v1/calls/{call_id}", erasure.erase_call, call_id)
    await tx.run(erase, call_id, tenant=tenant)
    return Response(status_code=204)


@router.delete(
    "",
    status_code=204,
    dependencies=[require("admin")],
    response_class=Response,
    responses={204: {"description": "Erased."}, **problems(404, 422, 503)},
)
async def erase_call_by_external_id(
    tx: TxDep,
    tenant: TenantDep,
    external_id: Annotated[Id, Query(description="The platform's id of the call.")],
    source: Annotated[Id, Query(description="The platform that sent the call.")] = "default",
) -> Response:
    """Erase a call found by the platform's id, as `DELETE /v1/calls/{id}` does."""
    path = f"/v1/calls?source={source}&external_id={external_id}"
    erase = audited(tenant, "call.delete", path, erasure.erase_by_external_id)
    await tx.run(erase, source, external_id, tenant=tenant)
    return Response(status_code=204)


@router.get(
    "/{call_id}/utterances",
    response_model=None,
    dependencies=[require("read")],
    responses={200: {"model": UtterancePageOut}, **problems(404, 422, 503)},
)
async def get_utterances(
    call_id: CallId,
    tx: TxDep,
    tenant: TenantDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=call_service.UTTERANCE_PAGE)] = 500,
) -> Response:
    """A page of a call's parsed utterances (a call answer carries the first 500)."""
    page = await tx.run(call_service.get_utterances, call_id, offset, limit, tenant=tenant)
    return json_response(page)


@router.get(
    "",
    response_model=CallPageOut,
    dependencies=[require("read")],
    responses=problems(422, 503),
)
async def list_calls(
    tx: TxDep,
    settings: SettingsDep,
    tenant: TenantDep,
    manager_id: Annotated[Id | None, Query()] = None,
    team_id: Annotated[Id | None, Query()] = None,
    started_from: Annotated[
        datetime | None,
        Query(alias="from", description="Inclusive; naive times are in CALLQA_TIMEZONE."),
    ] = None,
    started_to: Annotated[datetime | None, Query(alias="to", description="Exclusive.")] = None,
    external_id: Annotated[
        Id | None, Query(description="The platform's id of the call (one per source).")
    ] = None,
    source: Annotated[Id | None, Query(description="The platform that sent the call.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CallPageOut:
    """Call summaries, newest first, with keyset pagination; `external_id` (and `source`)
    finds a call by the platform's own id."""
    page = await tx.run(
        call_service.list_calls,
        zone=settings.zone,
        manager_id=manager_id,
        team_id=team_id,
        started_from=started_from,
        started_to=started_to,
        external_id=external_id,
        source=source,
        limit=limit,
        cursor=cursor,
        tenant=tenant,
    )
    return CallPageOut.model_validate({"items": page.items, "next_cursor": page.next_cursor})
