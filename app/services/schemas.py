"""Validated inputs of the use cases, shared by the HTTP API and the CLI.

Validation here is what keeps every later step (scoring, PostgreSQL) from failing on input: a
field that passes these models can be stored, so bad input ends as a 422 naming the field.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)

from app.i18n import _
from app.services.jsonsafe import json_problem, text_problem

METADATA_MAX_BYTES = 16 * 1024
# Real UTC offsets lie within ±14 h; ±18 h is what ISO 8601 parsers commonly allow.
_MAX_OFFSET = timedelta(hours=18)
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2999, 12, 31, tzinfo=UTC)
_BARE_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _storable_text(value: str) -> str:
    reason = text_problem(value)
    if reason:
        raise ValueError(reason)
    return value


def _copyable(value: str) -> str:
    """Control characters and edge spaces do not survive being copied into a URL or a filter."""
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValueError(_("must not contain control characters (tabs, line breaks and the like)"))
    if value != value.strip():
        raise ValueError(_("must not begin or end with a space"))
    return value


def _path_segment(value: str) -> str:
    """Manager and team ids come back as path segments (/v1/managers/{id}/trends): a slash or
    backslash splits them or is rewritten by proxies, and URL normalisation removes `.` and
    `..`. Any other text, Cyrillic and inner spaces included, is fine."""
    if "/" in value or "\\" in value:
        raise ValueError(_("must not contain '/' or '\\' (it is used in URL paths)"))
    if value in {".", ".."}:
        raise ValueError(_("must not be '.' or '..' (it is used in URL paths)"))
    return value


Id = Annotated[
    str,
    Field(min_length=1, max_length=200),
    AfterValidator(_storable_text),
    AfterValidator(_copyable),
]
"""An identifier from the caller's world: a call (`callqa import` uses relative file paths,
which no URL path carries: calls are addressed by callqa's own id)."""
SegmentId = Annotated[Id, AfterValidator(_path_segment)]
"""An identifier that is a path segment of later URLs (a manager, a team), or a name held to
the same rule (a source: a platform or tenant)."""
Label = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_storable_text)]
ChecklistKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
ChecklistVersion = Annotated[str, Field(pattern=r"^[0-9a-f]{1,64}$")]
# A call sent without `checklist` before checklists were data was scored with this one; its
# content hash says so still, so retries of such calls stay 200s.
_CHECKLIST_BEFORE_ASSIGNMENTS = "realty_phone"
FormatName = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")]
Transcript = str | dict[str, Any] | list[Any]


def check_started_at(value: datetime) -> datetime:
    """An aware time with a whole-minute offset, within years PostgreSQL and Python share."""
    offset = value.utcoffset()
    assert offset is not None  # AwareDatetime guarantees it
    if offset % timedelta(minutes=1) or abs(offset) > _MAX_OFFSET:
        raise ValueError(_("the UTC offset must be whole minutes within ±18:00"))
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError(_("must lie between the years 1900 and 2999"))
    return value


def _not_a_number(value: object) -> object:
    """Pydantic would read 1700000000 or "1700000000" as Unix time; ours are ISO 8601 only."""
    if isinstance(value, int | float) or (
        isinstance(value, str) and _BARE_NUMBER.fullmatch(value.strip())
    ):
        raise ValueError(_("must be an ISO 8601 date and time with a UTC offset, not a number"))
    return value


StartedAt = Annotated[
    AwareDatetime, BeforeValidator(_not_a_number), AfterValidator(check_started_at)
]


class ScoreIn(BaseModel):
    """What scoring needs: a transcript and how to read and judge it."""

    model_config = ConfigDict(extra="forbid")

    transcript: Transcript = Field(
        description="Plain text, WebVTT or SRT as a string, or the JSON of a speech-to-text tool."
    )
    format: FormatName = Field(default="auto", description="Reader to use; `auto` detects it.")
    manager_speaker: Label | None = Field(
        default=None,
        description="Speaker label of the manager; inferred when absent. `*` scores all "
        "speech as the manager's (input without speaker labels).",
    )
    checklist: ChecklistKey | None = Field(
        default=None,
        description="Checklist key; without it, the team's checklist, else the default one "
        "(`PUT /v1/checklists/default`), else realty_phone.",
    )
    checklist_version: ChecklistVersion | None = Field(
        default=None, description="Version of the checklist; without it, the latest."
    )
    team_id: SegmentId | None = Field(default=None, description="The manager's team.")


class CallIn(ScoreIn):
    """One call to ingest: who, when, and the transcript to score and store."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "external_id": "pbx-2026-000123",
                    "manager_id": "m-anna",
                    "team_id": "t-north",
                    "started_at": "2026-03-02T23:30:00+03:00",
                    "duration_s": 312.5,
                    "transcript": "Менеджер: Добрый день! Какой район вы рассматриваете?\n"
                    "Клиент: Центр, рядом с парком.",
                    "metadata": {"line": "+7 495 000-00-00"},
                }
            ]
        },
    )

    external_id: Id = Field(description="The platform's id of the call, unique per source.")
    source: SegmentId = Field(
        default="default", description="The platform or tenant sending the call."
    )
    manager_id: SegmentId
    manager_name: Label | None = None
    started_at: StartedAt = Field(description="ISO 8601 with a UTC offset; echoed as given.")
    duration_s: float | None = Field(default=None, ge=0, le=7 * 24 * 3600, allow_inf_nan=False)
    metadata: dict[str, Any] | None = Field(
        default=None, description="Free-form object stored with the call (at most 16 KB)."
    )

    @field_validator("metadata")
    @classmethod
    def _small_storable_metadata(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        problem = json_problem(value, max_depth=32)
        if problem:
            where, reason = problem
            raise ValueError(
                _("%(where)s %(reason)s", where=where or _("the object"), reason=reason)
            )
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        if size > METADATA_MAX_BYTES:
            raise ValueError(
                _(
                    "is %(size)s bytes as JSON; at most %(limit)s are allowed",
                    size=size,
                    limit=METADATA_MAX_BYTES,
                )
            )
        return value

    def content_hash(self) -> str:
        """SHA-256 of the canonical request content: equal hashes mean the same call resent."""
        content = self.model_dump(mode="json")
        content["checklist"] = content["checklist"] or _CHECKLIST_BEFORE_ASSIGNMENTS
        if content["checklist_version"] is None:
            del content["checklist_version"]
        canonical = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()
