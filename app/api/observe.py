"""Every request, observed once: its request id, one log line, and its metrics.

A pure ASGI middleware outside everything else, so requests refused early (413, 415) and ones
that crash are seen too. The request id is the client's `X-Request-ID` when it is sane (1-128
characters of letters, digits and `-_.:/+=`), else a new one; it is echoed in the answer and
bound to every log line written while the request runs. The log line holds the route template,
never the raw path or the body (no transcript text, no secrets in a query string).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars

from app.metrics import CALLS_INGESTED, CALLS_REJECTED, REQUEST_SECONDS, REQUESTS
from app.services.errors import error_for_status

log = logging.getLogger("app.requests")

REQUEST_ID = "x-request-id"
_SANE_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
UNMATCHED = "<unmatched>"
PROBLEM_STATE = "problem"
"""scope["state"] key where the error handler leaves the problem type slug it answered."""


def current_request_id() -> str | None:
    """The id of the request being answered (for the 500 answer, sent from outside)."""
    rid = get_contextvars().get("request_id")
    return rid if isinstance(rid, str) else None


def request_id(headers: Headers) -> str:
    """The client's X-Request-ID if it is sane, else a new random one."""
    given = headers.get(REQUEST_ID, "")
    return given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex


class RouteTemplates:
    """The documented path templates, to name requests refused before routing (413, 415)."""

    def __init__(self, templates: Callable[[], Iterable[str]]) -> None:
        self._templates = templates
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None

    def of(self, scope: Scope) -> str:
        """The template that served the request (`/v1/calls/{call_id}`), never the raw path,
        so the label values stay few."""
        route = scope.get("route")
        if route is not None:
            return str(getattr(route, "path", UNMATCHED))
        if self._compiled is None:
            self._compiled = [(compile_path(t)[0], t) for t in self._templates()]
        path = scope["path"]
        return next((t for regex, t in self._compiled if regex.match(path)), UNMATCHED)


class RequestObserver:
    """Request id, one structured log line and the request metrics for every HTTP request."""

    def __init__(
        self, app: ASGIApp, *, templates: Callable[[], Iterable[str]], log_requests: bool
    ) -> None:
        self.app = app
        self.routes = RouteTemplates(templates)
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(Headers(scope=scope))
        status = 500  # what the client gets if the app raises before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        # Each request runs in a task of its own, so its context dies with it; left bound when
        # the app raises, the id reaches the log line of the handler that answers the 500.
        clear_contextvars()
        bind_contextvars(request_id=rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        method, route = scope["method"], self.routes.of(scope)
        REQUESTS.labels(method, route, str(status)).inc()
        REQUEST_SECONDS.labels(method, route).observe(seconds)
        if method == "POST" and route == "/v1/calls":
            count_call(status, scope.get("state", {}).get(PROBLEM_STATE))
        if self.log_requests:
            tenant = scope.get("state", {}).get("tenant")
            log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "organisation": getattr(tenant, "organisation_id", None),
                    "key_id": getattr(tenant, "key_id", None),
                },
            )


def count_call(status: int, problem: str | None = None) -> None:
    """Count an ingested call (201 created, 200 existing) or a rejected one by its problem
    type slug (by its status's, when refused before a handler named one)."""
    if status < 400:
        CALLS_INGESTED.labels("created" if status == 201 else "existing").inc()
    else:
        CALLS_REJECTED.labels(str(status), problem or error_for_status(status).slug).inc()
