"""Liveness (/healthz: this worker can serve) and readiness (/readyz: database and schema)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.api.deps import TxDep
from app.api.liveness import Liveness
from app.api.responses import problems
from app.api.schemas import Health, Ready
from app.i18n import _
from app.services import health
from app.services.errors import ServiceUnavailable

router = APIRouter(tags=["health"])

READY_DEADLINE_S = 1.5
PROBE_THREADS = 2  # threads of the readiness probe's own (see `Transactions.probe`)


@router.get("/healthz", response_model=Health, responses=problems(503))
async def healthz(request: Request) -> Health:
    """200 while this worker makes progress, however busy; 503 when it cannot serve (thread
    pool stalled, event loop blocked, database pool wedged) and only a restart would help.
    An unreachable database is /readyz's answer, not this one's."""
    liveness: Liveness = request.app.state.liveness
    found = liveness.problems()
    if found:
        raise ServiceUnavailable(_("this worker cannot serve: %(why)s", why="; ".join(found)))
    return Health(status="ok")


@router.get("/readyz", response_model=Ready, responses=problems(503))
async def readyz(tx: TxDep) -> Ready:
    """The database answers and its schema is at the migrations' head, within 2 s; 503 when
    it is down, frozen or behind."""
    revision = await tx.probe(health.check_ready, READY_DEADLINE_S)
    if revision is None:
        raise ServiceUnavailable(
            _("the database did not answer within %(seconds)s s", seconds=READY_DEADLINE_S)
        )
    return Ready(status="ready", revision=revision)
