"""Validated inputs of the use cases, shared by the HTTP API and the CLI.

Validation here is what keeps every later step (scoring, PostgreSQL) from failing on input: a
field that passes these models can be stored, so bad input ends as a 422 naming the field.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

from app.services.jsonsafe import json_problem, text_problem

METADATA_MAX_BYTES = 16 * 1024
# Real UTC offsets lie within ±14 h; ±18 h is what ISO 8601 parsers commonly allow.
_MAX_OFFSET = timedelta(hours=18)
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2999, 12, 31, tzinfo=UTC)


def _storable_text(value: str) -> str:
    reason = text_problem(value)
    if reason:
        raise ValueError(reason)
    return value


Id = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_storable_text)]
"""An identifier from the caller's world: a call, a manager, a team, a source."""
Label = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_storable_text)]
ChecklistKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
FormatName = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")]
Transcript = str | dict[str, Any] | list[Any]


def check_started_at(value: datetime) -> datetime:
    """An aware time with a whole-minute offset, within years PostgreSQL and Python share."""
    offset = value.utcoffset()
    assert offset is not None  # AwareDatetime guarantees it
    if offset % timedelta(minutes=1) or abs(offset) > _MAX_OFFSET:
        raise ValueError("the UTC offset must be whole minutes within ±18:00")
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError("must lie between the years 1900 and 2999")
    return value


StartedAt = Annotated[AwareDatetime, AfterValidator(check_started_at)]


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
    checklist: ChecklistKey = Field(default="realty_phone", description="Checklist key.")


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
    source: Id = Field(default="default", description="The platform or tenant sending the call.")
    manager_id: Id
    manager_name: Label | None = None
    team_id: Id | None = None
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
            raise ValueError(f"{where or 'the object'} {reason}")
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        if size > METADATA_MAX_BYTES:
            raise ValueError(f"is {size} bytes as JSON; at most {METADATA_MAX_BYTES} are allowed")
        return value

    def content_hash(self) -> str:
        """SHA-256 of the canonical request content: equal hashes mean the same call resent."""
        canonical = orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()
