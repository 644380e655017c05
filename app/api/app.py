"""The FastAPI app factory; `callqa serve` runs it with the connection limits of
app.api.protocol (`uvicorn --factory app.api.app:create_app --http
app.api.protocol:GuardedHttpProtocol` by hand)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.errors import PROBLEM_JSON, register_error_handlers
from app.api.middleware import RequestGuard
from app.api.routers import calls, health, managers, scoring, teams, violations
from app.db.embedded import resolve_database_url
from app.db.session import Database
from app.services.scoring import warm_up
from app.settings import Settings, get_settings

DESCRIPTION = """Scores sales-call transcripts against checklists, explains every point, and
keeps per-manager trends. Every error is RFC 9457 `application/problem+json`."""


def _version() -> str:
    try:
        return version("callqa")
    except PackageNotFoundError:
        return "0.0.0"


def _problem_json_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """OpenAPI whose error responses are documented as problem+json with the Problem schema."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = {PROBLEM_JSON: problem}
                        if status == "422":
                            response["description"] = "Invalid fields, named by JSON pointers."
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
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Sync endpoints run in this pool; the rest of the requests wait in the event loop.
        to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        await to_thread.run_sync(warm_up)
        yield
        database.dispose()

    app = FastAPI(title="callqa", version=_version(), description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.db = database
    register_error_handlers(app)
    routers = (calls, scoring, health, managers, teams, violations)
    for module in routers:
        app.include_router(module.router)
    # The guard matches paths itself: the app's docs routes and every router's own routes.
    routes = [*app.routes, *(route for module in routers for route in module.router.routes)]
    app.add_middleware(RequestGuard, routes=routes, max_body_bytes=settings.max_body_bytes)
    app.openapi = _problem_json_openapi(app)  # type: ignore[method-assign]
    return app
