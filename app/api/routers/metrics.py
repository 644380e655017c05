"""GET /metrics: Prometheus text format, for loopback peers and CALLQA_METRICS_ALLOW only.

Anyone else gets 404, not 403: the endpoint is not part of the public API, and a scanner
learns nothing from it. Behind a reverse proxy the peer is the proxy (uvicorn trusts
X-Forwarded-For from loopback only), so keep /metrics off the proxied routes.
"""

from __future__ import annotations

from contextlib import suppress
from ipaddress import ip_address

from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import SettingsDep, TxDep
from app.api.responses import problems
from app.i18n import _
from app.metrics import CONTENT_TYPE, render, set_queue_stats
from app.services import jobs, webhooks
from app.services.errors import NotFound
from app.settings import Settings

router = APIRouter(tags=["operations"])
QUEUE_READ_S = 1.0
"""How long a scrape waits for the job queue's figures; past it, the last ones are shown."""


def may_read_metrics(peer: str | None, settings: Settings) -> bool:
    """Whether the peer address is loopback or inside one of CALLQA_METRICS_ALLOW."""
    try:
        address = ip_address(peer or "")
    except ValueError:  # not an IP (a Unix socket, a test client)
        return False
    return address.is_loopback or any(address in net for net in settings.metrics_allow)


@router.get(
    "/metrics",
    response_class=Response,
    include_in_schema=False,
    responses={200: {"content": {CONTENT_TYPE: {}}}, **problems(404)},
)
async def metrics(request: Request, settings: SettingsDep, tx: TxDep) -> Response:
    """Request, ingest, scoring, pool, thread-pool, job queue and webhook metrics of every
    worker (rendered in the event loop, the queue read on the probes' own threads: a scrape
    never queues behind requests for a thread)."""
    if not may_read_metrics(request.client.host if request.client else None, settings):
        raise NotFound(_("no such resource"))
    stats = None
    with suppress(SQLAlchemyError):  # a database that is down leaves the last figures
        stats = await tx.probe(jobs.queue_stats, QUEUE_READ_S)
    if stats is not None:
        set_queue_stats(stats, (jobs.RESCORE, webhooks.QUEUE))
    return Response(render(), media_type=CONTENT_TYPE)
