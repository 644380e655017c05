"""The one write path of scored calls: a call, its score under its checklist version, its
questions and violations, and what it adds to the roll-ups, for a single ingest and a batch
chunk alike; rescoring adds a version's scores (`add_scores`) and deltas (`add_to_rollups`).

A call's roll-up delta is typed (`RollupDelta`, built from the score by services.records) and
written one way: rows of one write that share a roll-up key are summed inside PostgreSQL (GROUP
BY; the {key: count} maps expanded and re-summed key by key, `calls.summed_map`, ~8x faster
than folding them with `jsonb_sum_counts`) and upserted in key order, so concurrent writers take
row locks in one global order: calls by (source, external_id), then slots, their
local days, the latest series' versions per day, per month, phrase hits per day, per month. After
the calls' INSERT (one round trip, to learn which are new), everything else goes in one psycopg
pipeline on the session's connection (so in its transaction): one round trip whether the write
holds one call or fifty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db import webhooks
from app.db.calls import CallKey, summed_map
from app.db.scope import CALL, QUESTION, VIOLATION
from app.tenancy import DEFAULT_ORGANISATION

LATEST = ""
"""The roll-up series of each call's latest score under its checklist (`checklist_version`
'' in the roll-up keys); any other value is the series of that version's scores alone."""


@dataclass(frozen=True, slots=True)
class RollupDelta:
    """What one scored call adds to the roll-ups."""

    manager_id: str
    team_id: str  # '' for no team, as the roll-up keys hold it
    checklist_key: str
    slot_start: datetime  # the 15-minute UTC slot; its local day follows in the database
    total: float
    question_counts: dict[str, int]  # by the checklist's category keys, `other` included
    violations: int
    item_passed: dict[str, int]  # 1 or 0 by item key
    phrases: dict[str, int]  # forbidden-phrase hits by canonical phrase
    checklist_version: str = ""  # of the score
    latest: bool = False  # to the latest series (''), else to its version's
    organisation_id: str = DEFAULT_ORGANISATION
    calls: int = 1  # calls the delta adds; -1 removes one

    def negated(self) -> RollupDelta:
        """The delta that takes this call's contribution out again (erasure, corrections,
        rescoring)."""
        return replace(
            self,
            calls=-self.calls,
            total=-self.total,
            question_counts={k: -v for k, v in self.question_counts.items()},
            violations=-self.violations,
            item_passed={k: -v for k, v in self.item_passed.items()},
            phrases={k: -v for k, v in self.phrases.items()},
        )


def series_deltas(new: RollupDelta, replaced: RollupDelta | None = None) -> list[RollupDelta]:
    """What a call's new score adds to the roll-ups: itself to its version's series, and to the
    latest series the difference from the latest score it replaces (none at ingest): the one
    rule of the series."""
    out = [new, replace(new, latest=True)]
    if replaced is not None:
        out.append(replace(replaced.negated(), latest=True))
    return out


@dataclass(frozen=True, slots=True)
class CallRows:
    """A scored call as rows: the `call` row, its child rows (without call_id) and its delta."""

    key: CallKey
    call: dict[str, Any]
    questions: list[dict[str, Any]]
    violations: list[dict[str, Any]]
    delta: RollupDelta


_SQL_TYPES = {int: "integer", str: "text", float: "float8"}


def _recordset(alias: str, columns: dict[str, str]) -> str:
    """Rows sent as one jsonb array of objects: one orjson dump instead of an array parameter
    per column, whose element-by-element dumping cost ~2 ms of CPU per call of a batch."""
    typed = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    return f"jsonb_to_recordset(%({alias})s) AS {alias}({typed})"


def _child_columns(table: Table) -> dict[str, str]:
    """A child table's columns but its id, with their SQL types."""
    return {
        c.name: "bigint" if c.name == "call_id" else _SQL_TYPES[c.type.python_type]
        for c in table.columns
        if c.name != "id"
    }


def _insert_rows_sql(table: Table) -> str:
    columns = _child_columns(table)
    names = ", ".join(columns)
    return f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {_recordset('x', columns)}"


_TEXT = "transcript"


@cache
def _insert_calls_sql(names: tuple[str, ...]) -> str:
    """The calls' INSERT from one recordset (not SQLAlchemy's insertmanyvalues, whose
    parameter conversion was ~8% of a batch's time), in (source, external_id) order by code
    point, the order batches are chunked in: overlapping writers wait, never deadlock. The
    transcripts come beside it as a text array: inside the recordset PostgreSQL lexed them
    character by character as JSON strings (~4% of its CPU per ingested call); in binary,
    which psycopg sends as they are, where the text form escapes each in Python. A call the
    organisation erased (its tombstone) is not inserted: the caller tells it from one stored
    before only for the keys not returned, so the usual ingest makes no lookup of its own."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    columns = {name: str(CALL.c[name].type.compile(dialect=dialect)) for name in names}
    typed = ", ".join(f"{name} {kind}" for name, kind in columns.items() if name != _TEXT)
    listed = ", ".join(names)
    aliases = ", ".join([*(name for name in names if name != _TEXT), _TEXT])
    return f"""
INSERT INTO call ({listed})
SELECT {listed}
FROM ROWS FROM (jsonb_to_recordset(%(x)s) AS ({typed}), unnest(%(t)b::text[])) AS x({aliases})
WHERE NOT EXISTS (
    SELECT FROM call_tombstone AS t
    WHERE t.organisation_id = x.organisation_id AND t.source = x.source
        AND t.external_id = x.external_id
)
ORDER BY x.source COLLATE "C", x.external_id COLLATE "C"
ON CONFLICT (organisation_id, source, external_id) DO NOTHING
RETURNING id, source, external_id
"""


def insert_calls(session: Session, rows: Sequence[dict[str, Any]]) -> dict[CallKey, int]:
    """Insert calls whose (source, external_id) is new and not erased; return the ids of
    those inserted.

    ON CONFLICT DO NOTHING makes a concurrent duplicate wait for the first writer and then
    insert nothing, so callers add children and roll-ups only for the keys returned here.
    """
    if not rows:
        return {}
    statement = _insert_calls_sql(tuple(rows[0]))
    params = {
        "x": _json([{k: v for k, v in row.items() if k != _TEXT} for row in rows]),
        "t": [row[_TEXT] for row in rows],
    }
    try:
        with _raw(session).cursor() as cursor:
            cursor.execute(statement, params)
            return {(source, external_id): int(i) for i, source, external_id in cursor}
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


# The score of each new call under the version it was ingested with (its JSON is call.score).
_SCORE_COLUMNS = {
    "organisation_id": "text",
    "call_id": "bigint",
    "checklist_key": "text",
    "checklist_version": "text",
    "total": "float8",
    "grade": "text",
}
_INSERT_SCORES = f"""
INSERT INTO call_score ({", ".join(_SCORE_COLUMNS)})
SELECT {", ".join(_SCORE_COLUMNS)} FROM {_recordset("x", _SCORE_COLUMNS)}
"""
_INSERT_QUESTIONS = _insert_rows_sql(QUESTION)
_INSERT_VIOLATIONS = _insert_rows_sql(VIOLATION)

# The deltas of one write, one row per call; their phrase hits, one row per (call, phrase).
_SERIES = {"organisation_id": "text", "checklist_version": "text"}
_DELTAS = _recordset(
    "d",
    _SERIES
    | {
        "manager_id": "text",
        "team_id": "text",
        "checklist_key": "text",
        "slot_start": "timestamptz",
        "calls": "integer",
        "total": "float8",
        "questions": "integer",
        "violations": "integer",
        "question_counts": "jsonb",
        "item_passed": "jsonb",
        "versions": "jsonb",
    },
)
_HITS = _recordset(
    "hit",
    _SERIES
    | {
        "manager_id": "text",
        "team_id": "text",
        "checklist_key": "text",
        "slot_start": "timestamptz",
        "phrase": "text",
        "said": "integer",
    },
)
_SUMS = ("calls", "total_sum", "questions", "violations")
_MAPS = ("question_counts", "item_passed", "versions")
# The zone as a scalar subquery (run once): joined, the never-analysed one-row table is
# estimated at ~1,300 rows, and a plan that looks that costly gets JIT-compiled (~100 ms).
_ZONE = "(SELECT zone FROM day_rollup_zone)"


def _group_map(name: str) -> str:
    """A map column of a group: the one row's as it is (every slot group, most day groups,
    since the rows come summed per slot), else re-summed key by key."""
    column = f"d.{name}"
    return f"CASE WHEN count(*) = 1 THEN (array_agg({column}))[1] ELSE {summed_map(column)} END"


def _merged_map(name: str) -> str:
    """A row's map plus the excluded row's, key by key: `jsonb_add_counts` written out as a
    subquery of the statement, planned once with it; the SQL function itself is parsed and
    planned again on every call (~6% of PostgreSQL's CPU per ingested call, four rows with
    three maps each)."""
    return f"""(
        SELECT coalesce(jsonb_object_agg(pair.key, pair.n), '{{}}'::jsonb)
        FROM (
            SELECT kv.key, sum(kv.value::bigint) AS n
            FROM (
                SELECT * FROM jsonb_each_text(r.{name})
                UNION ALL
                SELECT * FROM jsonb_each_text(excluded.{name})
            ) AS kv
            GROUP BY kv.key
        ) AS pair
    )"""


def _added_map(name: str) -> str:
    """A map column plus the excluded row's: `versions` of a version's own series is always
    {that version: calls}, so built, not merged; the rest merged key by key."""
    merged = _merged_map(name)
    if name != "versions":
        return merged
    own = "jsonb_build_object(r.checklist_version, r.calls + excluded.calls)"
    return f"CASE WHEN r.checklist_version = '{LATEST}' THEN {merged} ELSE {own} END"


def _upsert_rollups_sql(table: str, period_column: str, period: str) -> str:
    """The deltas summed per key (one statement may not update a row twice) and added into
    their rows in key order; the local day computed here from the zone stored with the day
    rows, so every writer files a call under the same day whatever its own settings."""
    key = f"organisation_id, checklist_version, manager_id, team_id, checklist_key, {period_column}"
    added = [f"{name} = r.{name} + excluded.{name}" for name in _SUMS]
    added += [f"{name} = {_added_map(name)}" for name in _MAPS]
    return f"""
INSERT INTO {table} AS r ({key}, {", ".join(_SUMS)}, {", ".join(_MAPS)})
SELECT d.organisation_id, d.checklist_version, d.manager_id, d.team_id, d.checklist_key,
    {period}, sum(d.calls), sum(d.total), sum(d.questions), sum(d.violations),
    {", ".join(_group_map(name) for name in _MAPS)}
FROM {_DELTAS}
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT ({key}) DO UPDATE SET {", ".join(added)}
"""


def _upsert_hits_sql(table: str, period: str) -> str:
    """Phrase hits added into their local periods (days, or months), summed per key first;
    a key whose hits cancel out (a rescore finding what the replaced score found) is left
    alone, so no row of nothing is made."""
    local = f"hit.slot_start AT TIME ZONE {_ZONE}"
    value = f"date_trunc('month', {local})::date" if period == "month" else f"({local})::date"
    key = (
        f"organisation_id, checklist_version, {period}, manager_id, team_id, checklist_key, phrase"
    )
    return f"""
INSERT INTO {table} AS r ({key}, said)
SELECT hit.organisation_id, hit.checklist_version, {value}, hit.manager_id, hit.team_id,
    hit.checklist_key, hit.phrase, sum(hit.said)
FROM {_HITS}
GROUP BY 1, 2, 3, 4, 5, 6, 7
HAVING sum(hit.said) <> 0
ORDER BY 1, 2, 3, 4, 5, 6, 7
ON CONFLICT ({key}) DO UPDATE SET said = r.said + excluded.said
"""


_UPSERT_SLOTS = _upsert_rollups_sql("manager_rollup", "slot_start", "d.slot_start")
_LOCAL_DAY = f"(d.slot_start AT TIME ZONE {_ZONE})::date"
_UPSERT_DAYS = _upsert_rollups_sql("manager_rollup_day", "day", _LOCAL_DAY)


def _upsert_versions_sql(table: str, period: str) -> str:
    """The latest series' {version: calls} added into its local periods (days, or months),
    version by version; a key whose calls cancel out (a correction, or a rescore under the
    version it replaces) is left alone."""
    value = f"date_trunc('month', {_LOCAL_DAY})::date" if period == "month" else _LOCAL_DAY
    key = f"organisation_id, {period}, manager_id, team_id, checklist_key, version"
    return f"""
INSERT INTO {table} AS r ({key}, calls)
SELECT d.organisation_id, {value}, d.manager_id, d.team_id, d.checklist_key, v.key,
    sum(v.value::integer)
FROM {_DELTAS}
CROSS JOIN jsonb_each_text(d.versions) AS v
WHERE d.checklist_version = '{LATEST}'
GROUP BY 1, 2, 3, 4, 5, 6
HAVING sum(v.value::integer) <> 0
ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT ({key}) DO UPDATE SET calls = r.calls + excluded.calls
"""


_UPSERT_VERSION_DAYS = _upsert_versions_sql("version_rollup_day", "day")
_UPSERT_VERSION_MONTHS = _upsert_versions_sql("version_rollup_month", "month")
_UPSERT_HIT_DAYS = _upsert_hits_sql("violation_rollup_day", "day")
_UPSERT_HIT_MONTHS = _upsert_hits_sql("violation_rollup_month", "month")


def _json(rows: list[dict[str, Any]]) -> Jsonb:
    """A jsonb parameter dumped by orjson straight to bytes (a str would be decoded and encoded
    again: ~6x the dump itself for a call's score and utterances)."""
    return Jsonb(rows, orjson.dumps)


def _add(into: dict[str, Any], counts: dict[str, int]) -> None:
    for name, n in counts.items():
        into[name] = into.get(name, 0) + n


def _slot_rows(deltas: Sequence[RollupDelta]) -> list[dict[str, Any]]:
    """The deltas summed per slot row of their series (a call's own and the latest series, a
    rescore's new and replaced scores): one row per roll-up row they touch, so PostgreSQL
    mostly adds a row as it is instead of re-summing maps."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    row: dict[str, Any]
    for d in deltas:
        series = LATEST if d.latest else d.checklist_version
        key = (d.organisation_id, series, d.manager_id, d.team_id, d.checklist_key, d.slot_start)
        found = rows.get(key)
        if found is not None:
            row = found
        else:
            row = dict(zip(_SLOT_KEY, key, strict=True))
            row |= {"calls": 0, "total": 0.0, "questions": 0, "violations": 0}
            row |= {"question_counts": {}, "item_passed": {}, "versions": {}}
            rows[key] = row
        row["calls"] += d.calls
        row["total"] += d.total
        row["questions"] += sum(d.question_counts.values())
        row["violations"] += d.violations
        _add(row["question_counts"], d.question_counts)
        _add(row["item_passed"], d.item_passed)
        _add(row["versions"], {d.checklist_version: d.calls})
    return list(rows.values())


def _hit_rows(deltas: Sequence[RollupDelta]) -> list[dict[str, Any]]:
    """The deltas' phrase hits summed per slot, series and phrase; those that cancel out
    dropped."""
    said: dict[tuple[Any, ...], int] = {}
    for d in deltas:
        series = LATEST if d.latest else d.checklist_version
        at = (d.organisation_id, series, d.manager_id, d.team_id, d.checklist_key, d.slot_start)
        for phrase, n in d.phrases.items():
            said[(*at, phrase)] = said.get((*at, phrase), 0) + n
    return [dict(zip(_HIT_KEY, key, strict=True)) | {"said": n} for key, n in said.items() if n]


_SLOT_KEY = (
    "organisation_id",
    "checklist_version",
    "manager_id",
    "team_id",
    "checklist_key",
    "slot_start",
)
_HIT_KEY = (*_SLOT_KEY, "phrase")


def _delta_statements(deltas: Sequence[RollupDelta]) -> list[tuple[str, dict[str, Jsonb]]]:
    """The roll-up upserts of some deltas, in lock order: slots, days, the latest series'
    versions per day and month, then (if any phrase hits are left once summed) the phrase hits
    per day and month."""
    per_slot = {"d": _json(_slot_rows(deltas))}
    statements = [(_UPSERT_SLOTS, per_slot), (_UPSERT_DAYS, per_slot)]
    statements += [(_UPSERT_VERSION_DAYS, per_slot), (_UPSERT_VERSION_MONTHS, per_slot)]
    if hits := _hit_rows(deltas):
        statements += [(_UPSERT_HIT_DAYS, {"hit": _json(hits)})]
        statements += [(_UPSERT_HIT_MONTHS, {"hit": _json(hits)})]
    return statements


def add_to_rollups(session: Session, deltas: Sequence[RollupDelta]) -> None:
    """Add deltas into the slots, their local days and the phrase hits per day and month, in
    that order and each in key order, in one round trip."""
    if deltas:
        _pipeline(session, _delta_statements(deltas))


# Rows an erasure left with no call (or phrase hit) in them, among the erased calls' managers:
# a roll-up row holds counted calls only, as if the erased ones had never been ingested.
_DROP_EMPTY = [
    f"DELETE FROM {table} WHERE organisation_id = %(org)s AND manager_id = ANY(%(managers)s)"
    f" AND {count} <= 0"
    for table, count in (
        ("manager_rollup", "calls"),
        ("manager_rollup_day", "calls"),
        ("version_rollup_day", "calls"),
        ("version_rollup_month", "calls"),
        ("violation_rollup_day", "said"),
        ("violation_rollup_month", "said"),
    )
]


def remove_from_rollups(
    session: Session, organisation_id: str, deltas: Sequence[RollupDelta]
) -> None:
    """Take calls' contributions out of the roll-ups (erasure): their negated deltas, written
    like any delta (same statements, same lock order), then the rows left empty dropped."""
    if not deltas:
        return
    keys: dict[str, Any] = {
        "org": organisation_id,
        "managers": sorted({d.manager_id for d in deltas}),
    }
    drops: list[tuple[str, Any]] = [(statement, keys) for statement in _DROP_EMPTY]
    _pipeline(session, _delta_statements([d.negated() for d in deltas]) + drops)


def _raw(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection of the session's (its transaction's) connection."""
    raw = session.connection().connection.driver_connection
    assert raw is not None  # a checked-out connection always has its psycopg connection
    return raw  # type: ignore[no-any-return]


def _pipeline(session: Session, statements: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Statements as one round trip on the session's connection (in its transaction);
    psycopg errors re-raised as SQLAlchemy's."""
    raw = _raw(session)
    statement = ""
    try:
        with raw.pipeline(), raw.cursor() as cursor:  # sent and answered together on exit
            for statement, params in statements:
                cursor.execute(statement, params)
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


ORG = "organisation_id"
_VERSION_OF = (ORG, "checklist_key", "checklist_version")
# An organisation scored under a built-in (stored once in the organisation 'default', marked
# `builtin`) gets its own copy of that version first (`adopted`: not one it pushed), so the key
# of its scores to their version holds within the organisation.
_ADOPT_VERSIONS = f"""
INSERT INTO checklist_version
    (organisation_id, key, version, title, document, source, pushed_at, adopted)
SELECT DISTINCT w.organisation_id, v.key, v.version, v.title, v.document, v.source, v.pushed_at,
    true
FROM {_recordset("w", dict.fromkeys(_VERSION_OF, "text"))}
JOIN checklist_version AS v ON v.organisation_id = '{DEFAULT_ORGANISATION}'
    AND v.key = w.checklist_key AND v.version = w.checklist_version AND v.builtin
WHERE w.organisation_id <> '{DEFAULT_ORGANISATION}'
ORDER BY 1, 2, 3
ON CONFLICT DO NOTHING
"""


def _adopt_versions(scores: Sequence[dict[str, Any]]) -> list[tuple[str, dict[str, Jsonb]]]:
    """The statement copying shared checklist versions into the scores' organisations, if any
    score is of another organisation than the default."""
    if all(s["organisation_id"] == DEFAULT_ORGANISATION for s in scores):
        return []
    return [(_ADOPT_VERSIONS, {"w": _json([dict(s) for s in scores])})]


_ADD_SCORES = f"""
INSERT INTO call_score ({", ".join(_SCORE_COLUMNS)}, score)
SELECT {", ".join(_SCORE_COLUMNS)}, score
FROM {_recordset("x", _SCORE_COLUMNS | {"score": "jsonb"})}
ORDER BY call_id
ON CONFLICT DO NOTHING
RETURNING call_id
"""


def add_scores(session: Session, rows: Sequence[dict[str, Any]]) -> set[int]:
    """Add scores of calls under a checklist version (call_id, checklist_key,
    checklist_version, total, grade, score; organisation_id, the default one when absent);
    the calls that had none under it, the only ones whose roll-up deltas may then be added:
    so a call is never counted twice for a version."""
    if not rows:
        return set()
    scores = [
        {
            c: r.get(c, DEFAULT_ORGANISATION) if c == ORG else r[c]
            for c in (*_SCORE_COLUMNS, "score")
        }
        for r in rows
    ]
    if adopt := _adopt_versions([{c: s[c] for c in _VERSION_OF} for s in scores]):
        _pipeline(session, adopt)
    try:
        with _raw(session).cursor() as cursor:
            cursor.execute(_ADD_SCORES, {"x": _json(scores)})
            return {int(r[0]) for r in cursor.fetchall()}
    except psycopg.Error as exc:
        raise DBAPIError.instance(_ADD_SCORES, None, exc, psycopg.Error) from exc


def _outbox_statement(stored: Sequence[tuple[int, CallRows]]) -> tuple[str, dict[str, Any]]:
    """The webhook events of newly stored calls, last in the pipeline (after their violations,
    which `violation.found` reads)."""
    return webhooks.call_events([(c.call["organisation_id"], i) for i, c in stored])


def store_calls(session: Session, calls: Sequence[CallRows]) -> dict[CallKey, int]:
    """Store the calls whose (source, external_id) is new (and not erased) with their score
    row, questions, violations, roll-up deltas and webhook events; the ids of those stored (a
    call stored before gets nothing written, so a retried ingest emits no event)."""
    ids = insert_calls(session, [c.call for c in calls])
    stored = [(ids[c.key], c) for c in calls if c.key in ids]
    if not stored:
        return ids
    scores = [
        {c: call_id if c == "call_id" else rows.call[c] for c in _SCORE_COLUMNS}
        for call_id, rows in stored
    ]
    statements: list[tuple[str, dict[str, Any]]] = _adopt_versions(
        [{c: s[c] for c in _VERSION_OF} for s in scores]
    )
    statements += [(_INSERT_SCORES, {"x": _json(scores)})]
    for statement, kind in ((_INSERT_QUESTIONS, "questions"), (_INSERT_VIOLATIONS, "violations")):
        children = [
            {"call_id": call_id, "organisation_id": c.call["organisation_id"], **r}
            for call_id, c in stored
            for r in getattr(c, kind)
        ]
        if children:
            statements.append((statement, {"x": _json(children)}))
    deltas = [d for _, c in stored for d in series_deltas(c.delta)]
    statements += _delta_statements(deltas)
    statements.append(_outbox_statement(stored))
    _pipeline(session, statements)
    return ids
