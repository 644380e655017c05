"""Tables: scored calls, their scores per checklist version, their questions and violations,
and per-manager roll-ups.

The models mirror migrations/versions; Alembic owns the schema. One roll-up is keyed by a
15-minute UTC slot because every real UTC offset is a multiple of 15 minutes, so day, week and
month buckets in any zone are exact sums of slots. The other holds the same sums per local day
of one zone (`day_rollup_zone`): a tenth of the rows for queries in that zone. Two more count the
forbidden-phrase hits per local day and month of that zone, so top violations need no join of
calls, and two the latest series' calls per version and local day and month, so the versions an
answer counts need no expansion of every day row's `versions`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class Call(Base):
    """One ingested call with its raw transcript, parsed utterances and score."""

    __tablename__ = "call"
    __table_args__ = (
        UniqueConstraint("organisation_id", "source", "external_id"),
        CheckConstraint("grade IN ('green', 'yellow', 'red')", name="grade"),
        Index("ix_call_team_id_started_at", "organisation_id", "team_id", "started_at", "id"),
        Index("ix_call_started_at", "organisation_id", "started_at", "id"),
        # Find a call by the platform's id.
        Index("ix_call_external_id", "organisation_id", "external_id"),
        # Index-only scans for trends and reports (migration 2026-11-23-1300).
        Index(
            "ix_call_manager_id_started_at_covering",
            "organisation_id",
            "manager_id",
            "started_at",
            "id",
            postgresql_include=["checklist_key", "total", "grade"],
        ),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    source: Mapped[str] = mapped_column(Text, server_default=text("'default'"))
    external_id: Mapped[str] = mapped_column(Text)
    manager_id: Mapped[str] = mapped_column(Text)
    manager_name: Mapped[str | None] = mapped_column(Text)
    team_id: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The caller's UTC offset, so responses echo the time as it was given.
    started_at_offset_min: Mapped[int] = mapped_column(SmallInteger)
    duration_s: Mapped[float | None] = mapped_column(Float)
    format: Mapped[str] = mapped_column(Text)
    transcript: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(Text)
    utterances: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    meta: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, server_default=text("'{}'::jsonb")
    )
    checklist_key: Mapped[str] = mapped_column(Text)
    checklist_version: Mapped[str] = mapped_column(Text)
    total: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(Text)
    score: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # When retention removed the transcript and evidence texts (numbers and roll-ups stay).
    transcript_removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def _call_key(table: str) -> ForeignKeyConstraint:
    """A child row's key to its call: (organisation_id, call_id), removed with the call."""
    return ForeignKeyConstraint(
        ["organisation_id", "call_id"],
        ["call.organisation_id", "call.id"],
        ondelete="CASCADE",
        name=f"fk_{table}_call",
    )


class CallTombstone(Base):
    """An erased call's platform id, so a late retry of it answers 410 instead of storing it
    again."""

    __tablename__ = "call_tombstone"

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    source: Mapped[str] = mapped_column(Text, primary_key=True)
    external_id: Mapped[str] = mapped_column(Text, primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


CALL_SCORE_VERSION_KEY = "fk_call_score_checklist_version"
"""The foreign key of a score to its checklist version (a refusal by it: deleted meanwhile)."""


class CallScore(Base):
    """A call's score under one checklist version: one row per version it was scored with.

    `score` is the JSON of a version added after ingest; NULL for the version the call was
    ingested with, whose JSON is `Call.score` (not stored twice)."""

    __tablename__ = "call_score"
    __table_args__ = (
        CheckConstraint("grade IN ('green', 'yellow', 'red')", name="grade"),
        # NOT VALID in the database (migration 2026-12-02-1810): rows older than it unchecked.
        ForeignKeyConstraint(
            ["organisation_id", "checklist_key", "checklist_version"],
            [
                "checklist_version.organisation_id",
                "checklist_version.key",
                "checklist_version.version",
            ],
            name=CALL_SCORE_VERSION_KEY,
        ),
        _call_key("call_score"),
        # The scores added by rescoring (migration 2026-12-05-0200): whether an organisation
        # has any decides if the latest series may read calls' own totals and grades.
        Index(
            "ix_call_score_added",
            "organisation_id",
            "call_id",
            postgresql_where=text("score IS NOT NULL"),
        ),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    call_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    checklist_key: Mapped[str] = mapped_column(Text, primary_key=True)
    checklist_version: Mapped[str] = mapped_column(Text, primary_key=True)
    total: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(Text)
    score: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The moment of the write, not of its transaction: versions added in one transaction
    # still order.
    scored_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )


class CallQuestion(Base):
    """One question the manager asked, for aggregation by category."""

    __tablename__ = "call_question"
    __table_args__ = (
        # No foreign key to the call (its check per row cost ~10% of an ingest's database
        # CPU): written with their call by call_writes, deleted with it by calls.erase_call.
        Index("ix_call_question_call_id", "organisation_id", "call_id"),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    call_id: Mapped[int] = mapped_column(BigInteger)
    utterance: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    start_s: Mapped[float | None] = mapped_column(Float)


class CallViolation(Base):
    """One forbidden-phrase hit, with the utterance it was said in for coaching examples."""

    __tablename__ = "call_violation"
    __table_args__ = (
        # No foreign key to the call, as for call_question.
        Index(
            "ix_call_violation_call_id_covering",
            "organisation_id",
            "call_id",
            postgresql_include=["phrase"],
        ),
        Index("ix_call_violation_phrase", "organisation_id", "phrase"),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    # Indexed by ix_call_violation_call_id_covering only.
    call_id: Mapped[int] = mapped_column(BigInteger)
    utterance: Mapped[int] = mapped_column(Integer)
    phrase: Mapped[str] = mapped_column(Text)
    matched: Mapped[str] = mapped_column(Text)
    replacement: Mapped[str | None] = mapped_column(Text)
    utterance_text: Mapped[str | None] = mapped_column(Text)
    start_s: Mapped[float | None] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)


# Question counts are a map by the checklist's own category keys (`other` included), added
# key by key on conflict like item_passed; `questions` is their total.


class ManagerRollup(Base):
    """Sums per manager, team, checklist and 15-minute UTC slot, upserted on every ingest."""

    __tablename__ = "manager_rollup"
    __table_args__ = (
        # Key columns only (migration 2026-12-05-0100): an ingest adding to a row changes no
        # indexed column, so the row's new version is a HOT update that touches no index (the
        # tables keep a third of each page free for them: fillfactor 70).
        Index(
            "ix_manager_rollup_manager_id_slot_start_keys",
            "organisation_id",
            "checklist_version",
            "manager_id",
            "slot_start",
            postgresql_include=["checklist_key"],
        ),
        Index(
            "ix_manager_rollup_team_id_slot_start_keys",
            "organisation_id",
            "checklist_version",
            "team_id",
            "slot_start",
            postgresql_include=["manager_id", "checklist_key"],
        ),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    # '' for the series of each call's latest score under the checklist, else a version's own.
    checklist_version: Mapped[str] = mapped_column(Text, primary_key=True)
    manager_id: Mapped[str] = mapped_column(Text, primary_key=True)
    # '' rather than NULL for "no team", so the primary key (and ON CONFLICT) works.
    team_id: Mapped[str] = mapped_column(Text, primary_key=True)
    checklist_key: Mapped[str] = mapped_column(Text, primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)
    total_sum: Mapped[float] = mapped_column(Float)
    questions: Mapped[int] = mapped_column(Integer)
    question_counts: Mapped[dict[str, int]] = mapped_column(JSONB)
    violations: Mapped[int] = mapped_column(Integer)
    item_passed: Mapped[dict[str, int]] = mapped_column(JSONB)
    # {version: calls} of the scores summed here: which versions the latest series counts.
    versions: Mapped[dict[str, int]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class ManagerRollupDay(Base):
    """The sums of `ManagerRollup` per local day of the zone in `DayRollupZone`, upserted on
    every ingest with the slots; trends in that zone read ~365 rows a manager-year, not ~4,300."""

    __tablename__ = "manager_rollup_day"
    __table_args__ = (
        Index(
            "ix_manager_rollup_day_manager_id_day_keys",
            "organisation_id",
            "checklist_version",
            "manager_id",
            "day",
            postgresql_include=["checklist_key"],
        ),
        Index(
            "ix_manager_rollup_day_team_id_day_keys",
            "organisation_id",
            "checklist_version",
            "team_id",
            "day",
            postgresql_include=["manager_id", "checklist_key"],
        ),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    # '' for the series of each call's latest score under the checklist, else a version's own.
    checklist_version: Mapped[str] = mapped_column(Text, primary_key=True)
    manager_id: Mapped[str] = mapped_column(Text, primary_key=True)
    team_id: Mapped[str] = mapped_column(Text, primary_key=True)
    checklist_key: Mapped[str] = mapped_column(Text, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)
    total_sum: Mapped[float] = mapped_column(Float)
    questions: Mapped[int] = mapped_column(Integer)
    question_counts: Mapped[dict[str, int]] = mapped_column(JSONB)
    violations: Mapped[int] = mapped_column(Integer)
    item_passed: Mapped[dict[str, int]] = mapped_column(JSONB)
    # {version: calls} of the scores summed here: which versions the latest series counts.
    versions: Mapped[dict[str, int]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class ViolationRollupDay(Base):
    """Forbidden-phrase hits per manager, team, checklist, local day of the zone in
    `DayRollupZone` and phrase, upserted on every ingest: top violations over whole days of that
    zone count these (and `ViolationRollupMonth`) instead of joining the calls with their hits."""

    __tablename__ = "violation_rollup_day"
    __table_args__ = (
        # The primary key leads with the day for windows over all teams.
        Index(
            "ix_violation_rollup_day_manager_id_day_keys",
            "organisation_id",
            "checklist_version",
            "manager_id",
            "day",
            postgresql_include=["team_id", "checklist_key", "phrase"],
        ),
        Index(
            "ix_violation_rollup_day_team_id_day_keys",
            "organisation_id",
            "checklist_version",
            "team_id",
            "day",
            postgresql_include=["manager_id", "checklist_key", "phrase"],
        ),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    # '' for the series of each call's latest score under the checklist, else a version's own.
    checklist_version: Mapped[str] = mapped_column(Text, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    manager_id: Mapped[str] = mapped_column(Text, primary_key=True)
    # '' rather than NULL for "no team", as in the other roll-ups.
    team_id: Mapped[str] = mapped_column(Text, primary_key=True)
    checklist_key: Mapped[str] = mapped_column(Text, primary_key=True)
    phrase: Mapped[str] = mapped_column(Text, primary_key=True)
    said: Mapped[int] = mapped_column(Integer)


class ViolationRollupMonth(Base):
    """The sums of `ViolationRollupDay` per local calendar month (`month`: its first day),
    upserted with the days: a year of all teams is ~17,000 month rows, not ~250,000 day rows;
    the days serve only the edges of a window that are not whole months."""

    __tablename__ = "violation_rollup_month"
    __table_args__ = (
        # The primary key leads with the month for windows over all teams.
        Index(
            "ix_violation_rollup_month_manager_id_month_keys",
            "organisation_id",
            "checklist_version",
            "manager_id",
            "month",
            postgresql_include=["team_id", "checklist_key", "phrase"],
        ),
        Index(
            "ix_violation_rollup_month_team_id_month_keys",
            "organisation_id",
            "checklist_version",
            "team_id",
            "month",
            postgresql_include=["manager_id", "checklist_key", "phrase"],
        ),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    # '' for the series of each call's latest score under the checklist, else a version's own.
    checklist_version: Mapped[str] = mapped_column(Text, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    manager_id: Mapped[str] = mapped_column(Text, primary_key=True)
    team_id: Mapped[str] = mapped_column(Text, primary_key=True)
    checklist_key: Mapped[str] = mapped_column(Text, primary_key=True)
    phrase: Mapped[str] = mapped_column(Text, primary_key=True)
    said: Mapped[int] = mapped_column(Integer)


class VersionRollupDay(Base):
    """Calls of the latest series per manager, team, checklist, local day of the zone in
    `DayRollupZone` and checklist version of their latest score: the `versions` maps of the
    day rows, one row a version (migration 2026-12-06-0100), upserted with them. With
    `VersionRollupMonth` they say which versions a window's answer counts: a year of all
    teams reads ~2,400 month rows and the days of its edges, not ~73,000 maps expanded."""

    __tablename__ = "version_rollup_day"

    # The primary key leads with the day for windows over all teams; a team's or a manager's
    # rows are filtered among those.
    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    manager_id: Mapped[str] = mapped_column(Text, primary_key=True)
    team_id: Mapped[str] = mapped_column(Text, primary_key=True)
    checklist_key: Mapped[str] = mapped_column(Text, primary_key=True)
    # The version of the scores counted (not a series: only the latest series is kept).
    version: Mapped[str] = mapped_column(Text, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)


class VersionRollupMonth(Base):
    """The sums of `VersionRollupDay` per local calendar month (`month`: its first day),
    upserted with the days."""

    __tablename__ = "version_rollup_month"

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    manager_id: Mapped[str] = mapped_column(Text, primary_key=True)
    team_id: Mapped[str] = mapped_column(Text, primary_key=True)
    checklist_key: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[str] = mapped_column(Text, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)


class DayRollupZone(Base):
    """The one zone whose local days (and months) the day roll-ups and violation roll-ups are
    kept in. Stored with the data, not read from each process's settings, so every writer and reader
    agrees on what a day row means."""

    __tablename__ = "day_rollup_zone"
    __table_args__ = (CheckConstraint("singleton", name="singleton"),)

    singleton: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    zone: Mapped[str] = mapped_column(Text)


class ChecklistVersion(Base):
    """One immutable checklist version of an organisation: its resolved document, named by the
    SHA-256 of its canonical JSON, and the text it was pushed as. The latest pushed is the key's
    default. `adopted`: a built-in's copy held only so the organisation's scores can refer to it
    (migration 2026-12-04-0200), not a version the organisation pushed. `builtin`: stored from
    the package in the organisation 'default', which makes it readable to every organisation
    (the `builtin` row-level policy, migration 2026-12-05-0300); nothing else 'default' holds
    is."""

    __tablename__ = "checklist_version"
    __table_args__ = (
        Index(
            "ix_checklist_version_organisation_id_key_pushed_at",
            "organisation_id",
            "key",
            "pushed_at",
        ),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[str] = mapped_column(Text, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source: Mapped[str] = mapped_column(Text)
    pushed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("clock_timestamp()")
    )
    adopted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    builtin: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class ChecklistAssignment(Base):
    """The checklist a team ('' for the default of all teams) is scored with: pinned to a
    version, or following the latest when `checklist_version` is NULL."""

    __tablename__ = "checklist_assignment"
    __table_args__ = (
        ForeignKeyConstraint(
            ["organisation_id", "checklist_key", "checklist_version"],
            [ChecklistVersion.organisation_id, ChecklistVersion.key, ChecklistVersion.version],
            name="fk_checklist_assignment_version",
        ),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    team_id: Mapped[str] = mapped_column(Text, primary_key=True)
    checklist_key: Mapped[str] = mapped_column(Text)
    checklist_version: Mapped[str | None] = mapped_column(Text)


class Job(Base):
    """Background work a user asked for (a rescoring), with its status and progress; its parts
    run as procrastinate jobs (migration 2026-12-02-1800 holds the queue's schema)."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name="status",
        ),
        Index("ix_job_id", "id", unique=True),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default=text("'queued'"))
    total: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    done: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    skipped: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    parts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    parts_done: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CallCorrection(Base):
    """A reviewer's correction of one answer of a call; the machine's answer stays in the score.

    `machine` and `words` keep what the engine answered (a question's category, `found` or
    `missed` for a violation, `passed` or `failed` for an item) and on which words, for
    calibration."""

    __tablename__ = "call_correction"
    __table_args__ = (
        CheckConstraint("target IN ('question', 'violation', 'item')", name="target"),
        Index("ix_call_correction_organisation_id_call_id", "organisation_id", "call_id"),
        _call_key("call_correction"),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    call_id: Mapped[int] = mapped_column(BigInteger)
    target: Mapped[str] = mapped_column(Text)
    utterance: Mapped[int | None] = mapped_column(Integer)
    span: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    phrase: Mapped[str | None] = mapped_column(Text)
    item: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    valid: Mapped[bool | None] = mapped_column(Boolean)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    machine: Mapped[str | None] = mapped_column(Text)
    words: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CallReview(Base):
    """A call a reviewer looked at, with the machine's and the corrected answers calibration
    counts: the calls it measures (a call reviewed with nothing to correct counts too)."""

    __tablename__ = "call_review"
    __table_args__ = (
        Index(
            "ix_call_review_organisation_id_checklist_key_started_at",
            "organisation_id",
            "checklist_key",
            "started_at",
        ),
        _call_key("call_review"),
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    call_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reviewer: Mapped[str] = mapped_column(Text)
    reviewed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # The call's own, copied (a call never changes them): calibration filters this table alone.
    checklist_key: Mapped[str] = mapped_column(Text)
    team_id: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The machine's question counts aligned to `categories` (keys, space-separated); item
    # verdicts as bits aligned to `items` (bit i: item i passed), by the machine and corrected.
    categories: Mapped[str] = mapped_column(Text)
    question_counts: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    items: Mapped[str] = mapped_column(Text)
    machine_passed: Mapped[int] = mapped_column(BigInteger)
    passed: Mapped[int] = mapped_column(BigInteger)


class Webhook(Base):
    """A receiver of events: its URL, the secret that signs them and which events it wants
    (migration 2026-12-03-0830)."""

    __tablename__ = "webhook"
    __table_args__ = (Index("ix_webhook_id", "id", unique=True),)

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(ARRAY(Text))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class Organisation(Base):
    """A tenant and its settings; `share_secret` signs its share links unless
    CALLQA_SECRET_KEY is set."""

    __tablename__ = "organisation"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    retention_days: Mapped[int | None] = mapped_column(Integer)
    mask: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    rate_limit: Mapped[int | None] = mapped_column(Integer)
    share_secret: Mapped[str] = mapped_column(
        Text,
        server_default=text("replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')"),
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class WebhookDelivery(Base):
    """One event for one webhook: the outbox row the job worker sends, and its delivery log."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        ForeignKeyConstraint(
            ["organisation_id", "webhook_id"],
            [Webhook.organisation_id, Webhook.id],
            name="fk_webhook_delivery_organisation_id_webhook",
            ondelete="CASCADE",
        ),
        CheckConstraint("status IN ('pending', 'retrying', 'delivered', 'failed')", name="status"),
        Index("ix_webhook_delivery_id", "id", unique=True),
        Index(
            "ix_webhook_delivery_organisation_id_webhook_id", "organisation_id", "webhook_id", "id"
        ),
        # Room on each page for the update that logs a delivery: it stays a heap-only tuple.
        {"postgresql_with": {"fillfactor": 50}},
    )

    organisation_id: Mapped[str] = mapped_column(
        Text, primary_key=True, server_default=text("'default'")
    )
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    webhook_id: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[UUID] = mapped_column(Uuid, server_default=text("gen_random_uuid()"))
    event: Mapped[str] = mapped_column(Text)
    call_id: Mapped[int | None] = mapped_column(BigInteger)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    # The event's payload: a job's; NULL for a call's, whose body is made from the call when
    # sent (migration 2026-12-06-0300; call events written before it keep theirs).
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    status: Mapped[str] = mapped_column(Text, server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """An API key: its organisation, scopes and teams (None: all), stored as its SHA-256."""

    __tablename__ = "api_key"
    __table_args__ = (Index("ix_api_key_organisation_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(Text, ForeignKey("organisation.id"))
    name: Mapped[str | None] = mapped_column(Text)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    teams: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    secret_sha256: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Who (which key; None in local mode) read, exported or deleted which call, and when."""

    __tablename__ = "audit_log"

    organisation_id: Mapped[str] = mapped_column(Text, primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    key_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(Text)
    call_id: Mapped[int | None] = mapped_column(BigInteger)
    path: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
