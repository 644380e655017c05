"""RFC 9457 problem+json: the one renderer, and the handlers that funnel every error into it.

The service error family (app.services.errors, re-exported here) carries its status; framework
errors (validation, routing), database outages and anything unexpected are translated into a
family member first, so every error body has one shape.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.observe import current_request_id
from app.db.session import is_transient
from app.i18n import _
from app.services import validation_words
from app.services.errors import (
    BadRequest,
    CallqaError,
    Conflict,
    FieldError,
    InvalidInput,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UnparseableTranscript,
    UnsupportedMediaType,
    error_for_status,
)

__all__ = [
    "BadRequest",
    "CallqaError",
    "Conflict",
    "InvalidInput",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "ServiceUnavailable",
    "UnparseableTranscript",
    "UnsupportedMediaType",
    "field_errors",
    "problem_response",
    "register_error_handlers",
]

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

# Pydantic adds union members and validator kinds to `loc` ("str", "function-after[...]");
# they are not fields, so they must not appear in a JSON pointer.
_NOT_A_FIELD = re.compile(r"^(str|int|float|bool|bytes|none|list|dict)$|\[|^[a-z]+-[a-z-]+$")
_PARAMETER_SOURCES = {"query", "path", "header", "cookie"}


def problem_body(error: CallqaError, instance: str) -> dict[str, Any]:
    """The problem object (RFC 9457) for an error at `instance` (the request path)."""
    body: dict[str, Any] = {
        "type": error.type_uri,
        "title": _(error.title),
        "status": error.status,
        # A detail defaulted to the title is worded like it; others were worded when raised.
        "detail": _(error.detail) if error.detail == error.title else error.detail,
        "instance": instance,
    }
    if error.errors:
        body["errors"] = error.errors
    return body


def problem_response(error: CallqaError, instance: str) -> JSONResponse:
    """The one way an error leaves the service."""
    return JSONResponse(
        problem_body(error, instance),
        status_code=error.status,
        headers=error.headers or None,
        media_type=PROBLEM_JSON,
    )


def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def field_errors(errors: Iterable[Any], prefix: Sequence[str | int] = ()) -> list[FieldError]:
    """Pydantic/FastAPI errors as pointers (body) or parameter names (query, path, header)."""
    merged: dict[tuple[str, str], list[str]] = {}
    for err in errors:
        loc = list(err.get("loc", ()))
        if loc and loc[0] in _PARAMETER_SOURCES:
            key = ("parameter", str(loc[1]) if len(loc) > 1 else "")
        else:
            if loc and loc[0] == "body":
                loc = loc[1:]
            parts = [*prefix, *(p for p in loc if not _NOT_A_FIELD.search(str(p)))]
            key = ("pointer", "".join(f"/{_escape(p)}" for p in parts))
        reasons = merged.setdefault(key, [])
        reason = validation_words.reason(err)
        if reason not in reasons:
            reasons.append(reason)
    return [
        cast(FieldError, {kind: where, "reason": "; ".join(reasons)})
        for (kind, where), reasons in merged.items()
    ]


def _from_validation(exc: RequestValidationError) -> CallqaError:
    errors = list(exc.errors())
    bad_json = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if bad_json is not None:
        where = bad_json.get("loc", ("body", 0))[-1]
        reason = (bad_json.get("ctx") or {}).get("error", "invalid JSON")
        return BadRequest(
            _("the body is not valid JSON"),
            errors=[
                {
                    "pointer": "",
                    "reason": _("%(reason)s at character %(at)s", reason=reason, at=where),
                }
            ],
        )
    if any(e.get("type") == "missing" and tuple(e.get("loc", ())) == ("body",) for e in errors):
        return InvalidInput.at("", _("a JSON body is required"), _("the request body is empty"))
    return InvalidInput(_("the request has invalid fields"), errors=field_errors(errors))


def _unreadable_body(cause: BaseException | None) -> CallqaError | None:
    """FastAPI's bare 400 for a body json.loads raised on, with the reason it hides."""
    if isinstance(cause, UnicodeDecodeError):
        byte = cause.object[cause.start : cause.start + 1].hex()
        reason = _(
            "byte 0x%(byte)s at offset %(offset)s is not valid %(encoding)s",
            byte=byte,
            offset=cause.start,
            encoding=cause.encoding.upper(),
        )
    elif isinstance(cause, RecursionError):
        reason = _("nested too deeply for the JSON parser (about 1,000 levels)")
    else:
        return None
    return BadRequest(
        _("the body cannot be read as JSON"), errors=[{"pointer": "", "reason": reason}]
    )


def _from_http(exc: StarletteHTTPException) -> CallqaError:
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = _("no such resource")
    elif exc.status_code == 400 and (unreadable := _unreadable_body(exc.__cause__)):
        return unreadable
    error = error_for_status(exc.status_code, detail)
    error.headers.update(exc.headers or {})
    return error


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    """The single handler: translate, log what deserves it, render."""
    if isinstance(exc, CallqaError):
        error = exc
    elif isinstance(exc, RequestValidationError):
        error = _from_validation(exc)
    elif isinstance(exc, StarletteHTTPException):
        error = _from_http(exc)
    elif is_transient(exc):
        log.warning("database busy: %s", exc.__class__.__name__)
        error = ServiceUnavailable(
            _(
                "the database could not take this request in time (locks or connections busy); "
                "retry after Retry-After seconds"
            )
        )
    elif isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        log.warning("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
        error = ServiceUnavailable(_("the database is unavailable; retry shortly"))
    else:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        error = CallqaError(_("an unexpected error occurred; it has been logged"))
        # Starlette sends this answer outside the middleware that adds the request id.
        if rid := current_request_id():
            error.headers["X-Request-ID"] = rid
    request.state.problem = error.slug  # the reason a rejected call is counted under
    return problem_response(error, request.url.path)


def register_error_handlers(app: FastAPI) -> None:
    """Route every error class the service can meet to the single handler."""
    for cls in (
        CallqaError,
        RequestValidationError,
        StarletteHTTPException,
        OperationalError,
        InterfaceError,
        PoolTimeout,
        Exception,
    ):
        app.add_exception_handler(cls, _handle)
