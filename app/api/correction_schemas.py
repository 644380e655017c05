"""Request and response models of corrections, reviews and calibration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.engine.corrections import Correction
from app.services.corrections import NewCorrection
from app.services.jsonsafe import text_problem

Text = Annotated[str, Field(min_length=1, max_length=200)]


class CorrectionIn(BaseModel):
    """A reviewer's answer about one target: a question (by utterance and, when the utterance
    holds several, span) gets another `category` or `valid: false`; a violation (by utterance
    and canonical `phrase`) is `valid: false`, or `valid: true` for a missed one; an `item`
    `passed` or not."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"target": "question", "utterance": 4, "span": [27, 40], "category": "personal"}
            ]
        },
    )

    target: Literal["question", "violation", "item"]
    utterance: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    span: tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]] | None = None
    phrase: Text | None = None
    item: Text | None = None
    category: Text | None = None
    valid: bool | None = None
    passed: bool | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None

    @field_validator("phrase", "item", "category", "note")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        problem = text_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    def new_correction(self) -> NewCorrection:
        """What the corrections service takes (the JSON API and the call page's forms alike)."""
        return NewCorrection(
            Correction(
                self.target,
                utterance=self.utterance,
                span=self.span,
                phrase=self.phrase,
                item=self.item,
                category=self.category,
                valid=self.valid,
                passed=self.passed,
            ),
            self.note,
        )


class CorrectionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    corrections: Annotated[list[CorrectionIn], Field(min_length=1, max_length=100)]


class CorrectionOut(BaseModel):
    """A stored correction; `applied`: whether its target is in the score shown."""

    id: int
    target: str
    utterance: int | None = None
    span: list[int] | None = None
    phrase: str | None = None
    item: str | None = None
    category: str | None = None
    valid: bool | None = None
    passed: bool | None = None
    note: str | None = None
    author: str = Field(description="The API key that made it (`key:ID`), or `local`.")
    created_at: datetime
    applied: bool


class CorrectionsOut(BaseModel):
    call_id: int
    corrections: list[CorrectionOut]
    total: float = Field(description="The call's score with every correction applied.")
    grade: str


class ReviewOut(BaseModel):
    call_id: int
    reviewer: str
    reviewed_at: datetime
