"""A pure ASGI guard in front of the routes: method (405, OPTIONS), then for /v1 bodies JSON
only (YAML too where a route takes a YAML document: a checklist; none for an empty body, an
action such as a redelivery), else 415; and no larger than the limit (413).

It runs before FastAPI reads anything, so an oversized upload is refused from its
Content-Length, or the moment the streamed bytes pass the limit, without buffering the rest;
and a method the path does not take is 405 before its body is judged. Starlette's own 405
names the methods of the first route on the path only (POST for /v1/calls, not GET).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache, partial

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import (
    BadRequest,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    problem_response,
)
from app.i18n import _
from app.services.errors import CallqaError

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_YAML = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
YAML_PATHS = frozenset({"/v1/checklists"})
"""The routes whose body may be a YAML document."""


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_yaml(content_type: str | None) -> bool:
    """application/yaml (or its older names), parameters ignored."""
    return _media(content_type) in _YAML


def is_json(content_type: str | None) -> bool:
    """application/json or any application/*+json, parameters (charset) ignored."""
    main, _sep, sub = _media(content_type).partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def allowed_methods(routes: Sequence[BaseRoute], path: str) -> frozenset[str]:
    """Every method some route takes at `path` (OPTIONS included), or none for an unknown path."""
    methods = {
        method
        for route in routes
        if isinstance(route, Route) and route.methods and route.path_regex.match(path)
        for method in route.methods
    }
    return frozenset(methods | {"OPTIONS"} if methods else methods)


class RequestGuard:
    """Answers methods a known path does not take, and refuses bodies neither JSON nor (on
    YAML_PATHS) YAML, and oversized ones, on /v1, before the app sees them."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Sequence[BaseRoute],
        max_body_bytes: int,
        prefix: str = "/v1/",
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.prefix = prefix
        self.routes = routes
        # Every request asks; matching each route's pattern was ~1% of a request's CPU. Paths
        # are the client's, so only short ones are kept, and only so many.
        self._cached = lru_cache(maxsize=2048)(partial(allowed_methods, routes))

    async def _refuse(self, error: CallqaError, scope: Scope, receive: Receive, send: Send) -> None:
        await problem_response(error, scope["path"])(scope, receive, send)

    def _too_large(self) -> PayloadTooLarge:
        mb = self.max_body_bytes / (1024 * 1024)
        return PayloadTooLarge(
            _("the body exceeds the limit of %(limit)s MB (CALLQA_MAX_BODY_MB)", limit=f"{mb:g}")
        )

    async def _other_method(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer OPTIONS (204) or a method the path does not take (405); True if answered."""
        path = scope["path"]
        allowed = self._cached(path) if len(path) <= 256 else allowed_methods(self.routes, path)
        if not allowed or scope["method"] in allowed - {"OPTIONS"}:
            return False
        allow = {"Allow": ", ".join(sorted(allowed))}
        if scope["method"] == "OPTIONS":
            await Response(status_code=204, headers=allow)(scope, receive, send)
            return True
        detail = _(
            "%(path)s does not accept %(method)s (allowed: %(allowed)s)",
            path=scope["path"],
            method=scope["method"],
            allowed=allow["Allow"],
        )
        await self._refuse(MethodNotAllowed(detail, headers=allow), scope, receive, send)
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and await self._other_method(scope, receive, send):
            return
        if (
            scope["type"] != "http"
            or scope["method"] not in _BODY_METHODS
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type")
        takes_yaml = scope["path"] in YAML_PATHS
        empty = headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers
        if content_type is None and empty:  # an action without a body (redeliver)
            await self.app(scope, receive, send)
            return
        if not (is_json(content_type) or (takes_yaml and is_yaml(content_type))):
            wanted = "application/json or application/yaml" if takes_yaml else "application/json"
            got = content_type or "none"
            error = UnsupportedMediaType(
                _("send the body as %(wanted)s (got %(got)s)", wanted=wanted, got=got)
            )
            await self._refuse(error, scope, receive, send)
            return
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                await self._refuse(BadRequest(_("invalid Content-Length")), scope, receive, send)
                return
            if int(length) > self.max_body_bytes:
                await self._refuse(self._too_large(), scope, receive, send)
                return
        # Count while streaming (chunked uploads carry no Content-Length), then replay.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._refuse(self._too_large(), scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        del chunks  # the joined copy is all the app needs; free the pieces now
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
