"""Query parameters shared by the trend, report, leaderboard and violation routes, and the
response models that document them in OpenAPI.

The answers themselves are sent with `json_response` as the services build them; the models
here describe that shape for /docs without re-validating every series point.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import BaseModel, Field

from app.services.schemas import ChecklistKey, Id

ManagerIdPath = Annotated[Id, Path(description="The manager id the calls were ingested with.")]
TeamIdPath = Annotated[Id, Path(description="The team id the calls were ingested with.")]
FromQuery = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=64,
        description="A date (inclusive, in `tz`) or an ISO 8601 datetime. "
        "Default: 90 days before `to`.",
    ),
]
ToQuery = Annotated[
    str | None,
    Query(
        alias="to",
        max_length=64,
        description="A date (inclusive, in `tz`) or an ISO 8601 datetime (exclusive). "
        "Default: today.",
    ),
]
TzQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description="IANA zone for dates and buckets; default CALLQA_TIMEZONE.",
    ),
]
ChecklistQuery = Annotated[
    ChecklistKey | None, Query(description="Only calls scored with this checklist.")
]
VersionQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=128,
        description="With `checklist`: only scores under this version of it count. Without "
        "it, each call counts with its latest score under the checklist.",
    ),
]
ReportFormatQuery = Annotated[Literal["json", "html", "csv"], Query()]
DialectQuery = Annotated[
    Literal["excel"] | None,
    Query(description="With format=csv: `excel` for Russian Excel (`;`, decimal comma)."),
]


class SeriesOut(BaseModel):
    """Which scores an answer counts."""

    version: str | None = Field(description="The version asked for; null: each call's latest.")
    versions: list[str] = Field(description="The checklist versions of the scores counted.")
    calls_without_version: int | None = Field(
        description="With `version`: calls in the window without a score under it; else null."
    )


QuestionAverages = Annotated[
    dict[str, float | None],
    Field(description="Questions per call by category key of the checklist, and `other`."),
]


class CategoryOut(BaseModel):
    """A question category of the checklist shown, in its order; `other` last."""

    key: str
    title: str
    color: str = Field(description="CSS hex colour reports draw it in.")


class GradeBands(BaseModel):
    green: float = Field(description="Lowest total graded green.")
    yellow: float = Field(description="Lowest total graded yellow.")


class Figures(BaseModel):
    """Per-call averages of some calls; null where there are none."""

    calls: int
    avg_total: float | None
    avg_questions: QuestionAverages
    avg_questions_total: float | None
    violations_per_call: float | None


class SeriesPoint(Figures):
    period_start: datetime = Field(description="Local start of the bucket, with its offset.")
    item_pass_rate: dict[str, float | None]


class TrendsOut(SeriesOut):
    manager_id: str
    bucket: str
    checklist: str | None
    categories: list[CategoryOut]
    from_: datetime = Field(alias="from")
    to: datetime = Field(description="Exclusive end.")
    tz: str
    series: list[SeriesPoint]


class LastCall(BaseModel):
    id: int
    started_at: datetime
    link: str


class ManagerOut(BaseModel):
    manager_id: str
    manager_name: str | None
    teams: list[str]
    calls: int
    avg_total: float | None
    last_call: LastCall | None


class ManagersOut(BaseModel):
    managers: list[ManagerOut]


class LeaderboardEntry(Figures):
    rank: int
    manager_id: str
    manager_name: str | None


class LeaderboardOut(SeriesOut):
    team_id: str
    sort: str
    checklist: str | None
    categories: list[CategoryOut]
    from_: datetime = Field(alias="from")
    to: datetime
    tz: str
    managers: list[LeaderboardEntry]


class PhraseManager(BaseModel):
    manager_id: str
    count: int


class PhraseOut(BaseModel):
    phrase: str
    replacement: str | None
    count: int
    manager_count: int
    managers: list[PhraseManager] = Field(description="Who said it, most first (up to 10).")


class ViolationsOut(SeriesOut):
    team_id: str | None
    manager_id: str | None
    from_: datetime = Field(alias="from")
    to: datetime
    tz: str
    phrases: list[PhraseOut]


class Summary(Figures):
    grades: dict[str, int] = Field(description="Calls per grade: green, yellow, red.")
    item_pass_rate: dict[str, float | None]


class PeriodSummary(Summary):
    from_: datetime = Field(alias="from")
    to: datetime
    tz: str


class Delta(BaseModel):
    """after - before, from unrounded figures; null where a side has no calls."""

    calls: int
    avg_total: float | None
    avg_questions: QuestionAverages
    avg_questions_total: float | None
    violations_per_call: float | None
    item_pass_rate: dict[str, float | None]


class Comparison(BaseModel):
    before: PeriodSummary
    after: PeriodSummary
    delta: Delta


class ItemRate(BaseModel):
    key: str
    title: str
    passed: int
    calls: int
    rate: float | None
    category: str | None = Field(description="The question category a question-count item counts.")
    target: float | None = Field(description="Questions of `category` per call the item asks for.")
    average: float | None = Field(description="Questions of `category` asked per call.")


class ModelQuestion(BaseModel):
    call_id: int
    link: str
    utterance: int = Field(description="Index of the utterance in the call.")
    text: str
    total: float = Field(description="The score of the call it was asked in.")
    started_at: datetime


class WeakCategory(CategoryOut):
    """A question category asked less than the checklist's target, weakest first."""

    item: str = Field(description="The checklist item that sets the target.")
    average: float = Field(description="Questions of the category per call.")
    target: float
    model_questions: list[ModelQuestion]
    model_source: Literal["manager", "team"] | None = Field(
        description="Whose best calls the model questions come from."
    )


class WeakItem(BaseModel):
    key: str
    title: str
    passed: int
    calls: int
    rate: float


class Example(BaseModel):
    call_id: int
    link: str
    utterance: int = Field(description="Index of the utterance in the call.")
    text: str | None
    matched: str = Field(description="The words as spoken.")
    started_at: datetime


class CoachingPhrase(BaseModel):
    phrase: str
    replacement: str | None
    count: int
    examples: list[Example]


class RankedCall(BaseModel):
    id: int
    external_id: str
    started_at: datetime = Field(description="With the offset the call was sent with.")
    total: float
    grade: str
    link: str


class ReportOut(SeriesOut):
    """The trainer report (format=json)."""

    manager_id: str
    manager_name: str | None
    checklist: str | None
    categories: list[CategoryOut]
    grade_bands: GradeBands | None
    bucket: str
    from_: datetime = Field(alias="from")
    to: datetime
    tz: str
    generated_at: datetime
    summary: Summary
    series: list[SeriesPoint]
    item_pass_rates: list[ItemRate]
    weak_categories: list[WeakCategory]
    weak_items: list[WeakItem] = Field(description="Items passed in under 80 % of calls.")
    top_phrases: list[CoachingPhrase]
    best_calls: list[RankedCall]
    worst_calls: list[RankedCall]
    comparison: Comparison | None


class TrendPoint(BaseModel):
    period_start: datetime
    calls: int
    avg_total: float | None
    avg_questions_total: float | None


class ManagerChange(BaseModel):
    """after - before the training of score and questions per call (both sides have calls)."""

    avg_total: float
    avg_questions_total: float
    before: Figures
    after: Figures


class TeamManager(Figures):
    manager_id: str
    manager_name: str | None
    series: list[TrendPoint]
    change: ManagerChange | None = Field(description="Null without compare_before or calls.")


class Improved(ManagerChange):
    manager_id: str
    manager_name: str | None


class TeamPhrase(PhraseOut):
    examples: list[Example]


class TeamReportOut(SeriesOut):
    """The team report (format=json): managers best score first."""

    team_id: str
    checklist: str | None
    categories: list[CategoryOut]
    bucket: str
    from_: datetime = Field(alias="from")
    to: datetime
    tz: str
    compare_before: datetime | None
    generated_at: datetime
    summary: Figures
    series: list[TrendPoint] = Field(description="The team's own trend line.")
    managers: list[TeamManager]
    improved_most: list[Improved] = Field(description="Up to 3, most improved score first.")
    top_phrases: list[TeamPhrase]
