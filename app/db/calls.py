"""Queries of stored calls (reads, erasure, the day roll-ups' zone). Services call these;
routers and the CLI never build SQL. What an ingest writes, the call row included, goes through
`call_writes`, the one write path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    delete,
    func,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, defer

from app.db.models import Call, CallQuestion, CallScore, CallTombstone, CallViolation
from app.db.scope import (
    CALL,
    DAY_ROLLUP,
    DAY_ZONE,
    VERSION_DAY,
    VERSION_MONTH,
    VIOLATION_DAY,
    VIOLATION_MONTH,
    visible,
)
from app.tenancy import DEFAULT_ORGANISATION, LOCAL, Tenant

CallKey = tuple[str, str]
"""(source, external_id): what makes a call unique."""


# What a call listing returns: everything but the large transcript, utterances and score.
SUMMARY_COLUMNS = (
    Call.id,
    Call.source,
    Call.external_id,
    Call.manager_id,
    Call.manager_name,
    Call.team_id,
    Call.started_at,
    Call.started_at_offset_min,
    Call.duration_s,
    Call.checklist_key,
    Call.checklist_version,
    Call.total,
    Call.grade,
)


_SERIES_KEY = "organisation_id, checklist_version, manager_id, team_id, checklist_key"
_SUMS = ("calls", "total_sum", "questions", "violations")
_MAPS = ("question_counts", "item_passed", "versions")


def summed_map(column: str) -> str:
    """SQL re-summing a {key: count} column key by key within each group."""
    return f"""(
        SELECT coalesce(jsonb_object_agg(kv.key, kv.n), '{{}}'::jsonb)
        FROM (
            SELECT pair.key, sum(pair.value::bigint) AS n
            FROM unnest(array_agg({column})) AS slot(counts)
            CROSS JOIN jsonb_each_text(slot.counts) AS pair
            GROUP BY pair.key
        ) AS kv
    )"""


# The day rows of a zone, from the slots (exact: every real zone's midnight is a slot
# boundary). Each day's slot counts are expanded and re-summed key by key within the day:
# ~4x faster than folding them with jsonb_add_counts, or than one global expansion.
_REBUILD_DAYS = text(
    f"""
INSERT INTO manager_rollup_day ({_SERIES_KEY}, day, {", ".join((*_SUMS, *_MAPS))})
SELECT {_SERIES_KEY}, (slot_start AT TIME ZONE CAST(:zone AS text))::date,
    {", ".join(f"sum({c})" for c in _SUMS)}, {", ".join(summed_map(c) for c in _MAPS)}
FROM manager_rollup
GROUP BY 1, 2, 3, 4, 5, 6
"""
)
# The phrase hits of a zone's days, from the stored scores: those calls were ingested with
# from their stored hits, those added by rescoring from their JSON; each in its version's
# series and, when it is the call's latest under the checklist, in the latest ('') series.
# The months from the days.
_REBUILD_VIOLATION_DAYS = text(
    f"""
WITH score AS (
    SELECT call_id, organisation_id, checklist_key, checklist_version, score,
        row_number() OVER (
            PARTITION BY call_id, checklist_key ORDER BY scored_at DESC, checklist_version DESC
        ) = 1 AS latest
    FROM call_score
), hit AS (
    SELECT s.call_id, s.organisation_id, s.checklist_key, s.checklist_version, s.latest, v.phrase
    FROM score AS s
    JOIN call_violation AS v ON v.organisation_id = s.organisation_id AND v.call_id = s.call_id
    WHERE s.score IS NULL
    UNION ALL
    SELECT s.call_id, s.organisation_id, s.checklist_key, s.checklist_version, s.latest,
        v->>'phrase'
    FROM score AS s CROSS JOIN jsonb_array_elements(s.score->'violations') AS v
    WHERE s.score IS NOT NULL
)
INSERT INTO violation_rollup_day ({_SERIES_KEY}, day, phrase, said)
SELECT hit.organisation_id, series.version, c.manager_id, coalesce(c.team_id, ''),
    hit.checklist_key, (c.started_at AT TIME ZONE CAST(:zone AS text))::date, hit.phrase, count(*)
FROM hit
JOIN call AS c ON c.organisation_id = hit.organisation_id AND c.id = hit.call_id
CROSS JOIN LATERAL (VALUES (hit.checklist_version), ('')) AS series(version)
WHERE series.version <> '' OR hit.latest
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7
"""
)
_REBUILD_VIOLATION_MONTHS = text(
    f"""
INSERT INTO violation_rollup_month ({_SERIES_KEY}, month, phrase, said)
SELECT {_SERIES_KEY}, date_trunc('month', day)::date, phrase, sum(said)
FROM violation_rollup_day
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7
"""
)

# The latest ('') series' versions per day, from the day rows, and per month, from those (as
# ingest upserts them).
_REBUILD_VERSION_DAYS = text(
    """
INSERT INTO version_rollup_day (organisation_id, day, manager_id, team_id, checklist_key,
    version, calls)
SELECT d.organisation_id, d.day, d.manager_id, d.team_id, d.checklist_key, v.key,
    sum(v.value::integer)
FROM manager_rollup_day AS d CROSS JOIN jsonb_each_text(d.versions) AS v
WHERE d.checklist_version = ''
GROUP BY 1, 2, 3, 4, 5, 6
HAVING sum(v.value::integer) <> 0
ORDER BY 1, 2, 3, 4, 5, 6
"""
)
_REBUILD_VERSION_MONTHS = text(
    """
INSERT INTO version_rollup_month (organisation_id, month, manager_id, team_id, checklist_key,
    version, calls)
SELECT organisation_id, date_trunc('month', day)::date, manager_id, team_id, checklist_key,
    version, sum(calls)
FROM version_rollup_day
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6
"""
)


def set_day_zone(session: Session, zone: str) -> bool:
    """Keep the day roll-ups in `zone` from now on; True if they had to be rebuilt.

    A rebuild locks the zone row's table first, so it waits for every request and ingest that
    has read the old zone and holds back new ones until it commits: none sees day rows of one
    zone labelled with the other. The day rows (sums from the slots, phrase hits from the stored
    hits, the versions from the days; their months from those) are replaced with DELETE, not
    TRUNCATE, whose lock an ingest waiting for the zone could already hold against it (a
    deadlock).
    """
    if session.execute(select(DAY_ZONE.c.zone)).scalar_one() == zone:
        return False
    session.execute(text("LOCK TABLE day_rollup_zone IN ACCESS EXCLUSIVE MODE"))
    if session.execute(select(DAY_ZONE.c.zone)).scalar_one() == zone:
        return False  # another process rebuilt it meanwhile
    session.execute(delete(DAY_ROLLUP))
    session.execute(_REBUILD_DAYS, {"zone": zone})
    session.execute(delete(VERSION_DAY))
    session.execute(delete(VERSION_MONTH))
    session.execute(_REBUILD_VERSION_DAYS)
    session.execute(_REBUILD_VERSION_MONTHS)
    session.execute(delete(VIOLATION_DAY))
    session.execute(delete(VIOLATION_MONTH))
    session.execute(_REBUILD_VIOLATION_DAYS, {"zone": zone})
    session.execute(_REBUILD_VIOLATION_MONTHS)
    session.execute(update(DAY_ZONE).values(zone=zone))
    return True


def _calls_of(tenant: Tenant) -> list[ColumnElement[bool]]:
    return visible(CALL, tenant)


def get_existing(
    session: Session, keys: Iterable[CallKey], tenant: Tenant = LOCAL
) -> dict[CallKey, tuple[int, str]]:
    """(id, content_hash) of the organisation's stored calls among `keys`."""
    wanted = list(keys)
    if not wanted:
        return {}
    stmt = select(Call.id, Call.source, Call.external_id, Call.content_hash).where(
        Call.organisation_id == tenant.organisation_id,
        tuple_(Call.source, Call.external_id).in_(wanted),
    )
    return {(r.source, r.external_id): (r.id, r.content_hash) for r in session.execute(stmt)}


def erased(session: Session, keys: Iterable[CallKey], tenant: Tenant = LOCAL) -> set[CallKey]:
    """The keys among `keys` of calls the organisation erased (tombstones)."""
    wanted = list(keys)
    if not wanted:
        return set()
    t = CallTombstone
    stmt = select(t.source, t.external_id).where(
        t.organisation_id == tenant.organisation_id, tuple_(t.source, t.external_id).in_(wanted)
    )
    return {(r.source, r.external_id) for r in session.execute(stmt)}


def get_call(session: Session, call_id: int, tenant: Tenant = LOCAL) -> Call | None:
    """One call the tenant may see, with everything stored about it but its utterances
    (`get_utterances`)."""
    stmt = (
        select(Call).options(defer(Call.utterances)).where(Call.id == call_id, *_calls_of(tenant))
    )
    return session.execute(stmt).scalar_one_or_none()


def find_call_id(
    session: Session, source: str, external_id: str, tenant: Tenant = LOCAL
) -> int | None:
    """The id of the tenant's call with this platform id, if it may see one."""
    stmt = select(Call.id).where(
        Call.source == source, Call.external_id == external_id, *_calls_of(tenant)
    )
    return session.execute(stmt).scalar_one_or_none()


def lock_call(session: Session, call_id: int, tenant: Tenant = LOCAL) -> Call | None:
    """A call the tenant may see, locked for its erasure (a concurrent one waits, then finds
    it gone)."""
    stmt = select(Call).where(Call.id == call_id, *_calls_of(tenant)).with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def erase_call(session: Session, call: Call) -> None:
    """Delete a call, its questions and violations (which have no foreign key to it; its
    scores, corrections and reviews go with it: ON DELETE CASCADE) and leave its tombstone,
    so a late retry of its ingest cannot store it again."""
    key = {"organisation_id": call.organisation_id, "source": call.source}
    session.execute(
        insert(CallTombstone).values(**key, external_id=call.external_id).on_conflict_do_nothing()
    )
    for child in (CallQuestion, CallViolation):
        session.execute(
            delete(child).where(
                child.organisation_id == call.organisation_id, child.call_id == call.id
            )
        )
    session.execute(
        delete(Call).where(Call.organisation_id == call.organisation_id, Call.id == call.id)
    )
    session.expunge(call)


def get_scores(session: Session, call_id: int, tenant: Tenant = LOCAL) -> Sequence[CallScore]:
    """A call's scores, one per checklist version, oldest first."""
    stmt = (
        select(CallScore)
        .where(CallScore.organisation_id == tenant.organisation_id, CallScore.call_id == call_id)
        .order_by(CallScore.scored_at, CallScore.checklist_key, CallScore.checklist_version)
    )
    return session.scalars(stmt).all()


@dataclass(frozen=True, slots=True)
class StoredScore:
    """What a stored score of a call counts in the roll-ups (read from its JSON in PostgreSQL)."""

    checklist_key: str
    checklist_version: str
    total: float
    question_counts: dict[str, int]
    item_passed: dict[str, int]
    phrases: list[str]


@dataclass(frozen=True, slots=True)
class RescoreText:
    """A stored call as scoring it again needs it (`manager`: the score's manager choice),
    and whether it had a score under the version when read."""

    id: int
    transcript: str
    format: str
    manager: dict[str, Any] | None
    manager_id: str
    team_id: str | None
    started_at: datetime
    done: bool


@dataclass(frozen=True, slots=True)
class LatestScore:
    """Whether a call has a score under the version, and its latest score under the checklist
    (None if none), which a new one replaces in the roll-ups' latest series."""

    done: bool
    latest: StoredScore | None


# Read with no lock and no transaction kept open: scoring happens after it, and the latest
# score it replaces is read again, locked, when the new one is written (`latest_scores`).
# The manager choice is the call's own score's (the one a rescore keeps).
_RESCORE_TEXTS = text(
    """
SELECT c.id, c.transcript, c.format, c.score->'manager' AS manager, c.manager_id, c.team_id,
    c.started_at, EXISTS (
        SELECT FROM call_score AS cs
        WHERE cs.organisation_id = :organisation AND cs.call_id = c.id
            AND cs.checklist_key = :key AND cs.checklist_version = :version
    ) AS done
FROM call AS c
WHERE c.organisation_id = :organisation AND c.id = ANY(:ids)
ORDER BY c.id
"""
)

# The latest score of each call under the checklist: its JSON (the call's own for the version
# it was ingested with) reduced to what the roll-ups count, so the large JSON stays in the
# database. Latest is the last written (`scored_at`), the higher version on a tie: the same
# rule as every other reader of the latest score.
# The JSON is detoasted once (`|| '{}'` in a subquery kept apart by OFFSET 0), not
# once per field read: ~2.5x less PostgreSQL time for this read.
_LATEST_SCORES = text(
    """
SELECT c.id, latest.done, latest.checklist_version, latest.total,
    latest.question_counts, latest.item_passed, latest.phrases
FROM call AS c
LEFT JOIN LATERAL (
    SELECT bool_or(cs.checklist_version = :version) OVER () AS done, cs.checklist_version,
        cs.total,
        s.json->'question_counts' AS question_counts,
        (SELECT coalesce(jsonb_object_agg(i->>'key', (i->>'passed')::boolean::int), '{}')
            FROM jsonb_array_elements(coalesce(s.json->'items', '[]')) AS i) AS item_passed,
        jsonb_path_query_array(s.json, '$.violations[*].phrase') AS phrases
    FROM call_score AS cs
    CROSS JOIN LATERAL (SELECT coalesce(cs.score, c.score) || '{}'::jsonb AS json OFFSET 0) AS s
    WHERE cs.organisation_id = :organisation AND cs.call_id = c.id AND cs.checklist_key = :key
    ORDER BY cs.scored_at DESC, cs.checklist_version DESC
    LIMIT 1
) AS latest ON true
WHERE c.organisation_id = :organisation AND c.id = ANY(:ids)
ORDER BY c.id
"""
)


def lock_calls(
    session: Session, call_ids: Sequence[int], organisation_id: str = DEFAULT_ORGANISATION
) -> None:
    """Lock the calls for rescoring (FOR NO KEY UPDATE, in id order, so two rescorings of the
    same calls wait on each other instead of deadlocking; inserts of their child rows do not
    wait): a rescoring under another version waits until this one commits, then reads the
    score this one added as the latest it replaces. Taken before any roll-up row, the lock
    order of every writer: calls first, then roll-ups."""
    stmt = (
        select(Call.id)
        .where(Call.organisation_id == organisation_id, Call.id.in_(list(call_ids)))
        .order_by(Call.id)
        .with_for_update(key_share=True)
    )
    session.execute(stmt).all()


def rescore_texts(
    session: Session,
    call_ids: Sequence[int],
    checklist_key: str,
    version: str,
    organisation_id: str = DEFAULT_ORGANISATION,
) -> list[RescoreText]:
    """The stored calls among `call_ids` as scoring them again needs them, in id order."""
    params = {"ids": list(call_ids), "key": checklist_key, "version": version}
    params |= {"organisation": organisation_id}
    return [RescoreText(*r) for r in session.execute(_RESCORE_TEXTS, params)]


def latest_scores(
    session: Session,
    call_ids: Sequence[int],
    checklist_key: str,
    version: str,
    organisation_id: str = DEFAULT_ORGANISATION,
) -> dict[int, LatestScore]:
    """Of the stored calls among `call_ids` (lock them first): whether each has a score under
    the version, and its latest score under the checklist (found by the key of `call_score`,
    which leads with the organisation)."""
    params = {"ids": list(call_ids), "key": checklist_key, "version": version}
    params |= {"organisation": organisation_id}
    out = {}
    for r in session.execute(_LATEST_SCORES, params):
        latest = None
        if r.total is not None:
            counts = r.question_counts or {}
            latest = StoredScore(
                checklist_key, r.checklist_version, r.total, counts, r.item_passed, r.phrases
            )
        out[r.id] = LatestScore(bool(r.done), latest)
    return out


_LATEST_SCORE_JSON = text(
    """
SELECT coalesce(cs.score, c.score)
FROM call_score AS cs
JOIN call AS c ON c.organisation_id = cs.organisation_id AND c.id = cs.call_id
WHERE cs.organisation_id = :organisation AND cs.call_id = :id AND cs.checklist_key = :key
ORDER BY cs.scored_at DESC, cs.checklist_version DESC
LIMIT 1
"""
)


def latest_score_json(
    session: Session, call_id: int, checklist_key: str, organisation_id: str = DEFAULT_ORGANISATION
) -> dict[str, Any] | None:
    """The whole JSON of a call's latest score under a checklist (the rule of
    `latest_scores`), None if it has none."""
    params = {"organisation": organisation_id, "id": call_id, "key": checklist_key}
    found: dict[str, Any] | None = session.execute(_LATEST_SCORE_JSON, params).scalar()
    return found


def get_utterances(
    session: Session, call_id: int, offset: int, limit: int, tenant: Tenant = LOCAL
) -> tuple[list[dict[str, Any]], int] | None:
    """Utterances [offset, offset + limit) of a call and how many it has; None if no call.

    Sliced inside PostgreSQL, so a page of a long call never brings the rest across."""
    page = func.jsonb_path_query_array(
        Call.utterances,
        text("CAST(:range AS jsonpath)").bindparams(range=f"$[{offset} to {offset + limit - 1}]"),
    )
    stmt = select(page, func.jsonb_array_length(Call.utterances)).where(
        Call.id == call_id, *_calls_of(tenant)
    )
    row = session.execute(stmt).one_or_none()
    return None if row is None else (row[0], row[1])


def get_calls_brief(
    session: Session, call_ids: Sequence[int], tenant: Tenant = LOCAL
) -> dict[int, Any]:
    """Summary columns plus the score of the given calls (the answer to a retried ingest)."""
    if not call_ids:
        return {}
    stmt = select(*SUMMARY_COLUMNS, Call.score).where(
        Call.organisation_id == tenant.organisation_id, Call.id.in_(call_ids)
    )
    return {r.id: r for r in session.execute(stmt)}


def _newest_score() -> Any:
    """Each call's newest score (of any checklist), as `get_call` shows it: the call's own
    columns hold the score it was ingested with, which a rescoring leaves as it was."""
    s = CallScore
    order = (s.scored_at.desc(), s.checklist_key.desc(), s.checklist_version.desc())
    return (
        select(s.checklist_key, s.checklist_version, s.total, s.grade)
        .where(s.organisation_id == Call.organisation_id, s.call_id == Call.id)
        .order_by(*order)
        .limit(1)
        .correlate(Call)
        .lateral("newest_score")
    )


_NEWEST = _newest_score()
_NEWEST_SUMMARY = (
    *(c for c in SUMMARY_COLUMNS if c.key not in _NEWEST.c),
    *_NEWEST.c,
)


def list_calls(
    session: Session,
    *,
    manager_id: str | None = None,
    team_id: str | None = None,
    started_from: datetime | None = None,
    started_to: datetime | None = None,
    external_id: str | None = None,
    source: str | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 100,
    tenant: Tenant = LOCAL,
) -> Sequence[Any]:
    """The tenant's calls newest first with their newest scores, keyset-paginated on
    (started_at, id) after the cursor `after`."""
    stmt = select(*_NEWEST_SUMMARY).join(_NEWEST, true()).where(*_calls_of(tenant))
    if external_id is not None:
        stmt = stmt.where(Call.external_id == external_id)
    if source is not None:
        stmt = stmt.where(Call.source == source)
    if manager_id is not None:
        stmt = stmt.where(Call.manager_id == manager_id)
    if team_id is not None:
        stmt = stmt.where(Call.team_id == team_id)
    if started_from is not None:
        stmt = stmt.where(Call.started_at >= started_from)
    if started_to is not None:
        stmt = stmt.where(Call.started_at < started_to)
    if after is not None:
        # A row comparison, so PostgreSQL walks the (started_at, id) index backwards.
        stmt = stmt.where(tuple_(Call.started_at, Call.id) < tuple_(*after))
    stmt = stmt.order_by(Call.started_at.desc(), Call.id.desc()).limit(limit)
    return session.execute(stmt).all()


def count_children(session: Session, call_id: int, tenant: Tenant = LOCAL) -> tuple[int, int]:
    """(questions, violations) stored for a call."""
    org = tenant.organisation_id
    q = select(func.count()).select_from(CallQuestion)
    q = q.where(CallQuestion.organisation_id == org, CallQuestion.call_id == call_id)
    v = select(func.count()).select_from(CallViolation)
    v = v.where(CallViolation.organisation_id == org, CallViolation.call_id == call_id)
    return session.execute(q).scalar_one(), session.execute(v).scalar_one()


def ping(session: Session) -> None:
    """Round-trip to the database; raises if it is unreachable."""
    session.execute(text("SELECT 1"))
