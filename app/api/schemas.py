"""Request envelopes and response models of API v1, as OpenAPI shows them.

Score-bearing answers are sent as the engine produced them (the `callqa score --json`
contract, byte for byte), so their models here document the shape without re-validating it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SkipValidation

from app.api.correction_schemas import CorrectionOut
from app.services.schemas import CallIn, ChecklistKey, ChecklistVersion, ScoreIn

__all__ = ["CallIn", "ScoreIn"]

MAX_BATCH = 1000


class _Open(BaseModel):
    """Engine output may grow fields; documentation models must not hide them."""

    model_config = ConfigDict(extra="allow")


class FieldErrorOut(BaseModel):
    pointer: str | None = Field(default=None, description="JSON pointer into the body.")
    parameter: str | None = Field(default=None, description="Query or path parameter.")
    line: int | None = Field(default=None, description="Line of a YAML body (1-based).")
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every error."""

    type: str = Field(examples=["urn:callqa:problem:invalid-input"])
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldErrorOut] | None = None


class ChecklistRef(BaseModel):
    key: str
    version: str | int


class MessageOut(BaseModel):
    """A text as a code and its parameters; the catalogs word it in the reader's language."""

    code: str = Field(examples=["questions_asked"])
    params: dict[str, Any] = Field(examples=[{"asked": 3, "target": 10}])


class ManagerOut(_Open):
    speaker: str | None = None
    inferred: bool | None = None
    reason: str | None = Field(default=None, description="Why, in English.")
    reason_parts: list[MessageOut] | None = Field(default=None, description="Why, as codes.")


class ItemOut(_Open):
    key: str
    title: str
    points: float
    max_points: float
    passed: bool
    evidence: list[Any]
    detail: str | None = Field(default=None, description="Why, in English.")
    detail_parts: list[MessageOut] | None = Field(default=None, description="Why, as codes.")


class QuestionOut(_Open):
    utterance: int
    text: str
    category: str
    start: float | None = None
    span: list[int] | None = Field(
        default=None,
        description="[start, end) character offsets of the question in its utterance's text.",
    )


class ViolationOut(_Open):
    utterance: int
    phrase: str
    matched: str
    replacement: str | None = None
    start: float | None = None
    end: float | None = None


class WarningOut(_Open):
    code: str = Field(examples=["single_speaker", "language_mismatch"])
    message: str = Field(description="In English.")
    params: dict[str, Any] | None = Field(default=None, description="What the message names.")


class ScoreOut(_Open):
    """The `callqa score --json` object."""

    total: float = Field(ge=0, le=100)
    grade: Literal["green", "yellow", "red"]
    checklist: ChecklistRef
    manager: ManagerOut
    items: list[ItemOut]
    questions: list[QuestionOut]
    question_counts: dict[str, int]
    violations: list[ViolationOut]
    metrics: dict[str, Any]
    format: str
    warnings: list[WarningOut] = Field(
        default_factory=list, description="Why the score may mislead, e.g. language_mismatch."
    )


class CallCreated(BaseModel):
    """The answer to an ingest: the stored call's id and its score."""

    id: int
    external_id: str
    manager_id: str
    team_id: str | None
    started_at: datetime
    score: ScoreOut


class BatchIn(BaseModel):
    """Up to 1,000 calls; each is validated on its own so one bad item fails alone."""

    model_config = ConfigDict(extra="forbid")

    # SkipValidation: OpenAPI shows CallIn, but items are validated one by one in the route.
    calls: list[SkipValidation[CallIn]] = Field(min_length=1, max_length=MAX_BATCH)


class BatchItemOut(BaseModel):
    index: int = Field(description="Position of the item in `calls`.")
    status: Literal[200, 201, 400, 403, 404, 409, 410, 413, 422, 503] = Field(
        description="201 stored, 200 already stored with the same content, else the error."
    )
    id: int | None = None
    external_id: str | None = None
    title: str | None = None
    detail: str | None = None
    errors: list[FieldErrorOut] | None = None


class BatchOut(BaseModel):
    """Per-item outcomes in input order, and their counts."""

    created: int
    existing: int
    failed: int
    items: list[BatchItemOut]


class CallSummary(BaseModel):
    id: int
    source: str
    external_id: str
    manager_id: str
    manager_name: str | None
    team_id: str | None
    started_at: datetime
    duration_s: float | None
    checklist: ChecklistRef
    total: float
    grade: str


class ScoreVersion(BaseModel):
    """The figures of a call under one checklist version."""

    checklist: ChecklistRef
    total: float
    grade: str
    scored_at: datetime


class CallDetail(CallSummary):
    """A call with its newest score; `scores` lists every checklist version it is scored
    under, oldest first."""

    format: str
    metadata: dict[str, Any]
    created_at: datetime
    score: ScoreOut = Field(description="With reviewers' corrections applied.")
    machine_score: ScoreOut = Field(description="As the engine computed it.")
    corrections: list[CorrectionOut]
    scores: list[ScoreVersion]
    utterances: list[dict[str, Any]] = Field(description="The first 500 parsed utterances.")
    utterances_total: int
    utterances_next: str | None = Field(description="URL of the next page, if any.")
    transcript: str
    transcript_removed_at: datetime | None = Field(
        default=None,
        description="When the retention period removed the transcript and evidence texts "
        "(the numbers stay).",
    )


class UtterancePageOut(BaseModel):
    call_id: int
    offset: int
    total: int
    items: list[dict[str, Any]]
    next: str | None = Field(description="URL of the next page, if any.")


class CallPageOut(BaseModel):
    items: list[CallSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class ChecklistSummary(BaseModel):
    key: str
    version: str
    title: str


class ChecklistAssignmentIn(BaseModel):
    """The checklist a team (or every team) is scored with."""

    model_config = ConfigDict(extra="forbid")

    checklist: ChecklistKey = Field(description="A stored checklist key.")
    version: ChecklistVersion | None = Field(
        default=None, description="A version to pin; null follows the latest."
    )


class ChecklistAssignmentOut(ChecklistAssignmentIn):
    team_id: str | None = Field(description="null for the default of every team.")


class ChecklistVersionOut(BaseModel):
    version: str
    title: str
    pushed_at: datetime


class ChecklistVersionsOut(BaseModel):
    key: str
    versions: list[ChecklistVersionOut] = Field(description="The latest first.")


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    revision: str | None
