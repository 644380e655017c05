"""Response helpers: fast JSON for engine-shaped answers, and OpenAPI error declarations."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response

from app.api.schemas import Problem
from app.services.reports import CSV_MEDIA_TYPE

DESCRIPTIONS = {
    400: "Malformed JSON, or a transcript no reader can parse (with the reason).",
    401: "No key, or a malformed, unknown or revoked one (WWW-Authenticate: Bearer).",
    404: "Unknown call, manager, team, checklist or checklist version.",
    403: "The key lacks the scope this route needs, or may not act on this team (the field "
    "is named).",
    409: "The external_id was stored with different content.",
    410: "The call with this external_id was erased; it is not stored again.",
    413: "Body larger than CALLQA_MAX_BODY_MB.",
    415: "Body is not application/json (or, for a checklist, application/yaml).",
    422: "Invalid fields, each named by a JSON pointer.",
    429: "Over the key's rate limit; retry after Retry-After seconds.",
    503: "Database unavailable or not migrated; retry after Retry-After seconds.",
}


def json_response(
    content: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response of `content` as is: no model round-trip that could reshape the score.

    orjson writes datetimes in ISO 8601 with their offset, as the caller gave them.
    """
    return Response(
        orjson.dumps(content), status_code=status, headers=headers, media_type="application/json"
    )


def csv_attachment(body: bytes | str, filename: str) -> Response:
    """A CSV report as a download named `filename`."""
    return Response(
        body,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error statuses (rendered as problem+json by app.py)."""
    return {s: {"model": Problem, "description": DESCRIPTIONS[s]} for s in statuses}
