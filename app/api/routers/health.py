"""Liveness (/healthz: the process answers) and readiness (/readyz: database and schema)."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import SessionDep
from app.api.responses import problems
from app.api.schemas import Health, Ready
from app.services import health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up; touches nothing else, so orchestrators never restart it for the DB."""
    return Health(status="ok")


@router.get("/readyz", response_model=Ready, responses=problems(503))
def readyz(session: SessionDep) -> Ready:
    """The database answers and its schema is at the migrations' head."""
    return Ready(status="ready", revision=health.check_ready(session))
