"""The one exception family: every error a use case can end in, carrying its HTTP status.

It lives beside the services (which raise it) rather than in app/api, so layers keep pointing
one way (api/cli -> services); `app.api.errors` re-exports it and renders it as RFC 9457
problem+json in its one handler, and the CLI maps it to an exit code.
"""

from __future__ import annotations

from typing import ClassVar, Self, TypedDict

from app.i18n import N_


class FieldError(TypedDict, total=False):
    """One invalid field: a JSON pointer into the body, or a query/path parameter name; and
    the line, in a YAML body."""

    pointer: str
    parameter: str
    line: int
    reason: str


class CallqaError(Exception):
    """Base of the family; subclasses fix `status`, `title` and the problem `type` slug."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = N_("Internal server error")
    slug: ClassVar[str] = "internal"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors: list[FieldError] = errors or []
        self.headers: dict[str, str] = headers or {}

    @classmethod
    def at(cls, pointer: str, reason: str, detail: str | None = None) -> Self:
        """The error for one field, named by its JSON pointer."""
        return cls(detail or reason, errors=[{"pointer": pointer, "reason": reason}])

    @property
    def type_uri(self) -> str:
        """The problem type (RFC 9457 `type`): a stable URN per kind of error."""
        return f"urn:callqa:problem:{self.slug}"

    def prefixed(self, prefix: str) -> list[FieldError]:
        """Field errors with body pointers moved under `prefix` (a batch item's `/calls/3`)."""
        out: list[FieldError] = []
        for err in self.errors:
            moved = err.copy()
            if "pointer" in moved:
                moved["pointer"] = prefix + moved["pointer"]
            out.append(moved)
        return out


class BadRequest(CallqaError):
    status = 400
    title = N_("Malformed request")
    slug = "malformed-request"


class UnparseableTranscript(CallqaError):
    status = 400
    title = N_("Transcript cannot be parsed")
    slug = "unparseable-transcript"


class Unauthorized(CallqaError):
    """No usable credentials: no, malformed, unknown or revoked key, or a bad share link."""

    status = 401
    title = N_("Authentication required")
    slug = "unauthorized"

    def __init__(self, detail: str | None = None, **kwargs: object) -> None:
        super().__init__(detail, **kwargs)  # type: ignore[arg-type]
        self.headers.setdefault("WWW-Authenticate", 'Bearer realm="callqa"')


class Forbidden(CallqaError):
    status = 403
    title = N_("Forbidden")
    slug = "forbidden"


class NotFound(CallqaError):
    status = 404
    title = N_("Not found")
    slug = "not-found"


class MethodNotAllowed(CallqaError):
    status = 405
    title = N_("Method not allowed")
    slug = "method-not-allowed"


class RequestTimeout(CallqaError):
    status = 408
    title = N_("Request not received in time")
    slug = "request-timeout"


class Conflict(CallqaError):
    status = 409
    title = N_("Conflict")
    slug = "conflict"


class Gone(CallqaError):
    status = 410
    title = N_("Gone")
    slug = "gone"


class PayloadTooLarge(CallqaError):
    status = 413
    title = N_("Request body too large")
    slug = "payload-too-large"


class UnsupportedMediaType(CallqaError):
    status = 415
    title = N_("Unsupported media type")
    slug = "unsupported-media-type"


class HeadersTooLarge(CallqaError):
    status = 431
    title = N_("Request header fields too large")
    slug = "headers-too-large"


class InvalidInput(CallqaError):
    status = 422
    title = N_("Invalid input")
    slug = "invalid-input"


class TooManyRequests(CallqaError):
    status = 429
    title = N_("Too many requests")
    slug = "too-many-requests"


class ServiceUnavailable(CallqaError):
    status = 503
    title = N_("Service unavailable")
    slug = "service-unavailable"
    retry_after_s: ClassVar[int] = 5

    def __init__(self, detail: str | None = None, **kwargs: object) -> None:
        super().__init__(detail, **kwargs)  # type: ignore[arg-type]
        self.headers.setdefault("Retry-After", str(self.retry_after_s))


_BY_STATUS: dict[int, type[CallqaError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        RequestTimeout,
        Conflict,
        Gone,
        PayloadTooLarge,
        UnsupportedMediaType,
        HeadersTooLarge,
        InvalidInput,
        TooManyRequests,
        ServiceUnavailable,
    )
}


def error_for_status(status: int, detail: str | None = None) -> CallqaError:
    """The family member for an HTTP status raised outside our code (Starlette's 404/405)."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        err = CallqaError(detail)
        err.status = status  # type: ignore[misc]
        return err
    return cls(detail)
