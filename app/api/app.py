"""The FastAPI app factory; `callqa serve` runs it with the connection limits of
app.api.protocol (`uvicorn --factory app.api.app:create_app --http
app.api.protocol:GuardedHttpProtocol` by hand)."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import anyio
from anyio import to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import SQLAlchemyError

from app.api.auth import PUBLIC_PATHS, Authenticator
from app.api.docs import OPENAPI_TAGS
from app.api.errors import PROBLEM_JSON, register_error_handlers
from app.api.language import RequestLanguage
from app.api.liveness import Liveness
from app.api.middleware import RequestGuard
from app.api.observe import RequestObserver
from app.api.responses import DESCRIPTIONS
from app.api.routers import (
    access,
    calibration,
    calls,
    checklists,
    corrections,
    health,
    jobs,
    managers,
    metrics,
    pages,
    review_forms,
    scoring,
    teams,
    violations,
    webhooks,
)
from app.api.routers.health import PROBE_THREADS
from app.api.security import SecurityHeaders
from app.db.embedded import resolve_database_url
from app.db.session import Database, Timeouts
from app.metrics import worker_exited
from app.services.checklists import store_builtins
from app.services.scoring import keep_collector_off_scoring, warm_up
from app.settings import Settings, get_settings

log = logging.getLogger(__name__)
DESCRIPTION = """Scores sales-call transcripts against checklists, explains every point, and
keeps per-manager trends. Every error is RFC 9457 `application/problem+json`."""


def _version() -> str:
    try:
        return version("callqa")
    except PackageNotFoundError:
        return "0.0.0"


def _start(database: Database) -> None:
    """Store the built-in checklists (a database that is down, or a lock held elsewhere,
    only delays that to their first use) and warm the engine up."""
    try:
        with database.session_scope() as session:
            store_builtins(session, lock_timeout_ms=2000)
    except SQLAlchemyError as exc:
        log.warning("built-in checklists not stored at start: %s", exc.__class__.__name__)
    warm_up()
    keep_collector_off_scoring()


def _documented(status: str) -> dict[str, Any]:
    return {"description": DESCRIPTIONS[int(status)]}


def _problem_json_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """OpenAPI whose error responses are documented as problem+json with the Problem schema."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                if path not in PUBLIC_PATHS:  # every other route needs a key (app.api.auth)
                    operation["security"] = [{"bearer": []}]
                    for status in ("401", "403", "429"):
                        operation["responses"].setdefault(status, _documented(status))
                for status, response in operation.get("responses", {}).items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = {PROBLEM_JSON: problem}
                        if status == "422":
                            response["description"] = "Invalid fields, named by JSON pointers."
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "callqa keys create"}
        }
        components = schema.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    return build


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; starts the embedded PostgreSQL when no database URL is configured."""
    settings = settings or get_settings()
    logging.getLogger("app").setLevel(settings.log_level.upper())
    database = Database.from_url(
        resolve_database_url(settings),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout_s=settings.db_pool_timeout_s,
        timeouts=Timeouts(
            lock_ms=settings.db_lock_timeout_ms,
            statement_ms=settings.db_statement_timeout_ms,
            idle_in_transaction_ms=settings.db_idle_in_transaction_timeout_ms,
        ),
        role=settings.db_role or None,
    )
    database.count_connections_in_use()
    liveness = Liveness(settings.liveness_stall_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Units of work run in this pool; the rest of the requests wait in the event loop.
        to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        app.state.probe_threads = anyio.CapacityLimiter(PROBE_THREADS)
        await to_thread.run_sync(_start, database)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(liveness.heartbeat)
            yield
            tasks.cancel_scope.cancel()
        database.dispose()
        worker_exited(os.getpid())

    # /docs and /redoc load their scripts from callqa, not from a CDN.
    app = FastAPIOffline(
        title="callqa",
        version=_version(),
        description=DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.liveness = liveness
    app.state.auth = Authenticator(settings)
    if settings.auth == "off":
        log.warning("CALLQA_AUTH=off: every request is answered without a key")
    register_error_handlers(app)
    routers = (
        calls,
        corrections,
        calibration,
        scoring,
        checklists,
        jobs,
        health,
        metrics,
        managers,
        teams,
        violations,
        webhooks,
        pages,
        review_forms,
        access,
    )
    for module in routers:
        app.include_router(module.router)
    # The guard matches paths itself: the app's docs routes and every router's own routes.
    routes = [*app.routes, *(route for module in routers for route in module.router.routes)]
    app.add_middleware(RequestGuard, routes=routes, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(
        RequestObserver,
        templates=lambda: app.openapi()["paths"],
        log_requests=settings.log_requests,
    )
    app.add_middleware(RequestLanguage, default=settings.locale)
    app.openapi = _problem_json_openapi(app)  # type: ignore[method-assign]
    return app
