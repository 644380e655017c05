"""Call-level queries of the report and of top violations: grades, best and worst calls, the
phrases said most and their example utterances, the newest call of each manager.

Each reads `call` through the (manager_id | team_id, started_at, id) indexes, bounded by the
window, and the scores the scope's series counts by the key of `call_score` (one probe a call):
under its version, or each call's latest under its checklist; never `call.total` or
`call.grade`, the score a call was ingested with, which a rescoring leaves as they were. The
call table itself is read only for the handful of rows shown. Phrase hits are those of the same
scores: `call_violation` rows for the score a call was ingested with (as corrected), the
score's JSON for one added by rescoring. For a scope of whole local days of the day roll-ups'
zone, the phrases said most are counted from the phrase hits per month and day
(`violation_rollup_month`, `_day`) instead, and the calls probed for its examples are only
those of the managers and days the phrase's day rows name, from the newest on.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    cast,
    column,
    distinct,
    func,
    null,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, aggregate_order_by, distinct_on
from sqlalchemy.orm import Session
from sqlalchemy.types import TIMESTAMP, Text

from app.db.call_writes import LATEST
from app.db.scope import (
    CALL,
    DAY_ZONE,
    SCORE,
    VIOLATION,
    VIOLATION_DAY,
    VIOLATION_MONTH,
    Scope,
    Shape,
    bind,
    month_periods,
    params_of,
    periods_of,
    visible,
    where,
    where_days,
)
from app.tenancy import LOCAL, Tenant

_c, _v = CALL, VIOLATION


def latest_calls(
    session: Session, manager_ids: Sequence[str], tenant: Tenant = LOCAL
) -> dict[str, Row[Any]]:
    """The newest call the tenant may see of each manager (name, start, offset): one index
    probe per manager."""
    if not manager_ids:
        return {}
    ids = func.unnest(cast(list(manager_ids), ARRAY(Text))).table_valued("id").render_derived("m")
    newest = (
        select(_c.c.id, _c.c.manager_name, _c.c.started_at, _c.c.started_at_offset_min)
        .where(_c.c.manager_id == ids.c.id, *visible(_c, tenant))
        .order_by(_c.c.started_at.desc(), _c.c.id.desc())
        .limit(1)
        .lateral("newest")
    )
    stmt = select(ids.c.id.label("manager_id"), newest).select_from(ids).join(newest, true())
    return {row.manager_id: row for row in session.execute(stmt)}


def _latest_scores(shape: Shape) -> Any:
    """Each call's (`call` of the enclosing query) latest score under each checklist (the
    scope's, when it has one): the last written, the higher version on a tie, the rule of the
    latest series and of every other reader of the latest score. Its total and grade."""
    s = SCORE.alias("latest_score")
    on = [s.c.organisation_id == _c.c.organisation_id, s.c.call_id == _c.c.id]
    if shape[2]:
        on.append(s.c.checklist_key == bind("checklist", Text()))
    latest = select(s.c.total, s.c.grade).where(*on).correlate(_c)
    order = (s.c.checklist_key, s.c.scored_at.desc(), s.c.checklist_version.desc())
    return latest.ext(distinct_on(s.c.checklist_key)).order_by(*order).lateral("latest")


_RESCORED = (
    select(SCORE.c.call_id)
    .where(SCORE.c.organisation_id == bind("organisation_id", Text()), SCORE.c.score.is_not(None))
    .limit(1)
)


def reads_scores(session: Session, scope: Scope) -> bool:
    """Whether the scope's series must read `call_score`: a version's, or the latest series
    of an organisation that rescored some call. Until then each call's latest score is the one
    it was ingested with, which the covering index of `call` holds (one probe of the partial
    index of added scores, ix_call_score_added, decides)."""
    if _versioned(scope):
        return True
    params = {"organisation_id": scope.organisation_id}
    return session.execute(_RESCORED, params).first() is not None


def scored_calls(
    shape: Shape, versioned: bool, scores: bool = True
) -> tuple[Any, Any, list[ColumnElement[bool]]]:
    """(the calls of a scope joined with the scores its series counts, those scores, the
    scope's conditions on the calls): under its version (whatever checklist the calls were
    ingested with), or each call's latest score under each checklist (under the scope's one,
    not the one it was ingested with). Without `scores` (`_reads_scores` said none was added),
    the calls alone: their own total and grade are their latest."""
    if not scores:
        return _c, _c, where(_c, "started_at", shape)
    conditions = where(_c, "started_at", (shape[0], shape[1], False, shape[3]))
    if versioned:
        s = SCORE
        scored = _c.join(
            s,
            and_(
                s.c.organisation_id == bind("organisation_id", Text()),
                s.c.call_id == _c.c.id,
                s.c.checklist_key == bind("checklist", Text()),
                s.c.checklist_version == bind("checklist_version", Text()),
            ),
        )
        return scored, s, conditions
    latest = _latest_scores(shape)
    return _c.join(latest, true()), latest, conditions


@lru_cache(maxsize=32)
def _grades_stmt(shape: Shape, versioned: bool, scores: bool) -> Select[Any]:
    scored, score, conditions = scored_calls(shape, versioned, scores)
    return (
        select(score.c.grade, func.count().label("n"))
        .select_from(scored)
        .where(*conditions)
        .group_by(score.c.grade)
    )


def grade_counts(session: Session, scope: Scope) -> dict[str, int]:
    """Calls per grade within the scope, by the scores its series counts (a call scored under
    two checklists counts once under each, as in the roll-ups)."""
    stmt = _grades_stmt(scope.shape, _versioned(scope), reads_scores(session, scope))
    rows = session.execute(stmt, params_of(scope))
    return {row.grade: int(row.n) for row in rows}


@lru_cache(maxsize=32)
def _ranked_stmt(shape: Shape, best: bool, versioned: bool, scores: bool) -> Select[Any]:
    scored, score, conditions = scored_calls(shape, versioned, scores)
    total, grade = score.c.total, score.c.grade
    ranked = select(_c.c.organisation_id, _c.c.id, total, grade, _c.c.started_at)
    ranked = ranked.select_from(scored)
    order = total.desc() if best else total.asc()
    top = (
        ranked.where(*conditions)
        .order_by(order, _c.c.started_at.desc(), _c.c.id.desc())
        .limit(bind("limit", Integer()))
        .subquery("top")
    )
    columns = ("id", "external_id", "started_at", "started_at_offset_min")
    return (
        select(*(_c.c[name] for name in columns), top.c.total, top.c.grade)
        # The organisation leads the call's key: joined on the id alone, each row kept scans it.
        .join(top, and_(top.c.organisation_id == _c.c.organisation_id, top.c.id == _c.c.id))
        .order_by(top.c.total.desc() if best else top.c.total.asc())
        .order_by(top.c.started_at.desc(), top.c.id.desc())
    )


def ranked_calls(session: Session, scope: Scope, *, best: bool, limit: int) -> Sequence[Row[Any]]:
    """The highest (or lowest) scored calls in the scope, newest first on ties, by the scores
    its series counts (`scored_calls`): one `call_score` probe per call in the window once
    scores were added (else the covering index alone), the call table read only for the rows
    kept."""
    stmt = _ranked_stmt(scope.shape, best, _versioned(scope), reads_scores(session, scope))
    return session.execute(stmt, params_of(scope) | {"limit": limit}).all()


def _counted_scores(shape: Shape, versioned: bool, calls: Any = _c) -> Any:
    """The scores of each call (`calls` of the enclosing query, with its organisation_id and
    id) that the scope's series counts: its score under the scope's version, or its latest
    score under each checklist (the scope's, when it has one): the last written, the higher
    version on a tie. Their JSON; NULL for the score the call was ingested with, whose hits
    are its call_violation rows."""
    s = SCORE.alias("score_of_call")
    on = [s.c.organisation_id == calls.c.organisation_id, s.c.call_id == calls.c.id]
    if versioned:
        on.append(s.c.checklist_version == bind("checklist_version", Text()))
    if versioned or shape[2]:
        on.append(s.c.checklist_key == bind("checklist", Text()))
    counted = select(s.c.score).where(*on).correlate(calls)
    if not versioned:
        latest = (s.c.checklist_key, s.c.scored_at.desc(), s.c.checklist_version.desc())
        counted = counted.ext(distinct_on(s.c.checklist_key)).order_by(*latest)
    return counted.lateral("counted")


def _hits_in(counted: Any, calls: Any = _c) -> Any:
    """The forbidden-phrase hits of the counted scores of each call (of `calls`): the stored
    rows of the score it was ingested with, the `violations` of a score added since from its
    JSON."""
    stored = (
        select(
            _v.c.phrase,
            _v.c.utterance,
            _v.c.matched,
            _v.c.replacement,
            _v.c.utterance_text,
        )
        .where(
            _v.c.organisation_id == calls.c.organisation_id,
            _v.c.call_id == calls.c.id,
            counted.c.score.is_(None),
        )
        .correlate(calls, counted)
    )
    hit = (
        func.jsonb_array_elements(counted.c.score["violations"])
        .table_valued(column("value", JSONB))
        .render_derived("violation")
    )
    added = (
        select(
            hit.c.value["phrase"].astext.label("phrase"),
            cast(hit.c.value["utterance"].astext, Integer).label("utterance"),
            hit.c.value["matched"].astext.label("matched"),
            hit.c.value["replacement"].astext.label("replacement"),
            null().label("utterance_text"),  # its utterance's text is read from the call's
        )
        .select_from(hit)
        .correlate(counted)
    )
    return union_all(stored, added).lateral("hit")


def _series_hits(shape: Shape, versioned: bool) -> tuple[Any, Any, list[ColumnElement[bool]]]:
    """(calls joined with the hits of the scores the scope's series counts, those hits, the
    scope's conditions on the calls): the checklist filter is on the scores, not on the
    checklist a call was ingested with."""
    counted = _counted_scores(shape, versioned)
    hits = _hits_in(counted)
    joined = _c.join(counted, true()).join(hits, true())
    return joined, hits, where(_c, "started_at", (shape[0], shape[1], False, shape[3]))


def _violations_of(shape: Shape, versioned: bool) -> tuple[Select[Any], Any]:
    joined, hits, conditions = _series_hits(shape, versioned)
    return select().select_from(joined).where(*conditions), hits


@lru_cache(maxsize=32)
def _top_stmt(shape: Shape, versioned: bool) -> Select[Any]:
    said = func.count().label("said")
    newest = func.array_agg(aggregate_order_by(_c.c.id, _c.c.started_at.desc(), _c.c.id.desc()))
    hits_of, hit = _violations_of(shape, versioned)
    return (
        hits_of.add_columns(
            hit.c.phrase,
            said,
            func.count(distinct(_c.c.manager_id)).label("managers"),
            newest[1 : bind("newest", Integer())].label("newest"),
        )
        .group_by(hit.c.phrase)
        .order_by(said.desc(), hit.c.phrase)
        .limit(bind("limit", Integer()))
    )


def _versioned(scope: Scope) -> bool:
    """Whether the scope reads one version's scores (else each call's latest)."""
    return scope.version != LATEST


def top_phrases(
    session: Session, scope: Scope, *, limit: int, newest: int = 1
) -> Sequence[Row[Any]]:
    """The phrases said most in the scope's series: phrase, said (times), managers, and the ids
    of the newest calls with it (2 x `newest` of them: a call that said it twice appears
    twice)."""
    params = params_of(scope) | {"limit": limit, "newest": 2 * newest}
    return session.execute(_top_stmt(scope.shape, _versioned(scope)), params).all()


@lru_cache(maxsize=32)
def _phrase_hits_stmt(shape: Shape, versioned: bool) -> Select[Any]:
    joined, hit, _ = _series_hits(shape, versioned)
    speaker = _c.c.score["manager"]["speaker"].astext
    # A hit read from a score's JSON: its utterance's text from the call's utterances, the
    # manager's turn where two share the index (as the ingest stored it).
    u = func.jsonb_array_elements(_c.c.utterances).table_valued(
        column("value", JSONB), with_ordinality="n"
    )
    u = u.render_derived("u")
    spoken = (
        select(u.c.value["text"].astext)
        .where(cast(u.c.value["index"].astext, Integer) == hit.c.utterance)
        .order_by((u.c.value["speaker"].astext == speaker).desc().nulls_last(), u.c.n)
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            _c.c.id.label("call_id"),
            hit.c.phrase,
            hit.c.utterance,
            func.coalesce(hit.c.utterance_text, spoken).label("utterance_text"),
            hit.c.matched,
            hit.c.replacement,
            _c.c.started_at,
            _c.c.started_at_offset_min,
            _c.c.transcript_removed_at,
        )
        .ext(distinct_on(_c.c.id, hit.c.phrase))
        .select_from(joined)
        .where(
            _c.c.organisation_id == bind("organisation_id", Text()),
            _c.c.id == func.any(bind("call_ids", ARRAY(BigInteger()))),
            tuple_(_c.c.id, hit.c.phrase).in_(bindparam("pairs", expanding=True)),
        )
        .order_by(_c.c.id, hit.c.phrase, hit.c.utterance)
    )


def phrase_hits(session: Session, scope: Scope, pairs: Sequence[tuple[int, str]]) -> Sequence[Any]:
    """The first hit of each (call id, phrase) in the scores the scope's series counts:
    utterance, its text, the words said, the replacement, and when the call started."""
    if not pairs:
        return []
    stmt = _phrase_hits_stmt(scope.shape, _versioned(scope))
    params = params_of(scope) | {"call_ids": sorted({i for i, _ in pairs}), "pairs": list(pairs)}
    return session.execute(stmt, params).all()


def phrase_managers(session: Session, scope: Scope, phrases: Sequence[str]) -> Sequence[Row[Any]]:
    """(phrase, manager_id, said) for the given phrases within the scope's series."""
    if not phrases:
        return []
    said = func.count().label("said")
    hits_of, hit = _violations_of(scope.shape, _versioned(scope))
    stmt = (
        hits_of.add_columns(hit.c.phrase, _c.c.manager_id, said)
        .where(hit.c.phrase.in_(list(phrases)))
        .group_by(hit.c.phrase, _c.c.manager_id)
        .order_by(hit.c.phrase, said.desc(), _c.c.manager_id)
    )
    rows: Sequence[Row[Any]] = session.execute(stmt, params_of(scope)).all()
    return rows


@lru_cache(maxsize=16)
def _rollup_top_stmt(shape: Shape) -> Select[Any]:
    periods = periods_of(
        VIOLATION_MONTH, VIOLATION_DAY, shape, "phrase", "manager_id", count="said"
    )
    per_manager = (
        select(periods.c.phrase, periods.c.manager_id, func.sum(periods.c.said).label("said"))
        .group_by(periods.c.phrase, periods.c.manager_id)
        .having(func.sum(periods.c.said) > 0)  # a rescoring can take a manager's hits out
        .subquery("per_manager")
    )
    pm = per_manager.c
    said = func.sum(pm.said).label("said")
    most = (pm.said.desc(), pm.manager_id)  # the order of phrase_managers
    first = bind("per_phrase", Integer())
    return (
        select(
            pm.phrase,
            said,
            func.count().label("managers"),
            func.array_agg(aggregate_order_by(pm.manager_id, *most))[1:first].label("who"),
            func.array_agg(aggregate_order_by(pm.said, *most))[1:first].label("who_said"),
        )
        .group_by(pm.phrase)
        .order_by(said.desc(), pm.phrase)
        .limit(bind("limit", Integer()))
    )


def _rollup_params(scope: Scope) -> dict[str, Any]:
    assert scope.days is not None, "the violation roll-ups serve scopes of whole local days"
    return params_of(scope) | month_periods(scope.days)


def top_phrases_of_rollups(
    session: Session, scope: Scope, *, limit: int, per_phrase: int
) -> Sequence[Row[Any]]:
    """`top_phrases` for a scope with `days`, from the phrase hits per month and day: phrase,
    said, managers, and the `per_phrase` managers who said it most (`who`, `who_said`: the
    first rows of `phrase_managers`)."""
    params = _rollup_params(scope) | {"limit": limit, "per_phrase": per_phrase}
    return session.execute(_rollup_top_stmt(scope.shape), params).all()


@lru_cache(maxsize=32)
def _newest_calls_stmt(shape: Shape, versioned: bool) -> Select[Any]:
    said = (
        func.unnest(bind("phrases", ARRAY(Text)))
        .table_valued("phrase", with_ordinality="n")
        .render_derived("said")
    )
    d = VIOLATION_DAY
    of_phrase = [*where_days(d, shape), d.c.phrase == said.c.phrase, d.c.said > 0]
    # The day of the phrase's `newest`-th newest (manager, team, day) with hits: each holds a
    # call of its own that said it, so the newest calls that did are on that day or later.
    # In the order of the primary key read backwards, so the rows stream from the window's end.
    newest_first = (d.c.day.desc(), d.c.manager_id.desc(), d.c.team_id.desc())
    first_day = (
        select(d.c.day)
        .where(*of_phrase)
        .ext(distinct_on(d.c.day, d.c.manager_id, d.c.team_id))
        .order_by(*newest_first)
        .offset(bind("newest", Integer()) - 1)
        .limit(1)
        .correlate(said)
        .scalar_subquery()
    )
    # The managers and days with hits since then (a manager once a day, whatever the team or
    # checklist), and their calls of those local days (PostgreSQL's zone rules, as the day
    # rows were filed with): no other call of the scope said the phrase since that day.
    pairs = (
        select(d.c.manager_id, d.c.day)
        .where(*of_phrase, d.c.day >= func.coalesce(first_day, bind("start_day", Date())))
        .distinct()
        .correlate(said)
        .subquery("pairs")
    )

    def local_start(day: Any) -> ColumnElement[Any]:
        return func.timezone(DAY_ZONE.c.zone, cast(day, TIMESTAMP()), type_=DateTime(timezone=True))

    on_calls = where(_c, "started_at", (shape[0], shape[1], False, shape[3]))  # on the scores
    candidates = (
        select(_c.c.organisation_id, _c.c.id, _c.c.started_at)
        .select_from(pairs.join(DAY_ZONE, true()))
        .join(
            _c,
            and_(
                _c.c.manager_id == pairs.c.manager_id,
                _c.c.started_at >= local_start(pairs.c.day),
                _c.c.started_at < local_start(pairs.c.day + 1),
            ),
        )
        .where(*on_calls)
        .order_by(_c.c.started_at.desc(), _c.c.id.desc())
        .subquery("candidate")
    )
    # Each candidate's hits of the phrase, newest first until `newest` calls said it; the
    # candidates come sorted, so the probes stop there.
    counted = _counted_scores(shape, versioned, candidates)
    hit = _hits_in(counted, candidates)
    hits = (
        select(func.count().label("hits"))
        .select_from(counted.join(hit, true()))
        .where(hit.c.phrase == said.c.phrase)
        .correlate(candidates, said)
        .lateral("hits")
    )
    newest = (
        select(candidates.c.id, candidates.c.started_at, hits.c.hits)
        .select_from(candidates.join(hits, true()))
        .where(hits.c.hits > 0)
        .order_by(candidates.c.started_at.desc(), candidates.c.id.desc())
        .limit(bind("newest", Integer()))
        .lateral("newest")
    )
    return (
        select(said.c.phrase, newest.c.id, newest.c.hits)
        .select_from(said)
        .join(newest, true())
        .order_by(said.c.n, newest.c.started_at.desc(), newest.c.id.desc())
    )


def newest_calls(
    session: Session, scope: Scope, phrases: Sequence[str], *, newest: int
) -> dict[str, list[tuple[int, int]]]:
    """(call id, hits) of the `newest` newest calls in the scope (with `days`) that said each
    phrase, newest first. The phrase's day rows name the managers who said it on each day, from
    the newest back to the day with `newest` of them; only their calls of those days are read
    (from the manager index) and probed for hits, newest first until enough said it: a phrase
    said on one day by a few of 200 managers probes a few dozen calls, not every call of the
    day, and one last said weeks before the window ends costs no more."""
    out: dict[str, list[tuple[int, int]]] = {p: [] for p in phrases}
    if not phrases:
        return out
    params = params_of(scope) | {"newest": newest, "phrases": list(phrases)}
    for row in session.execute(_newest_calls_stmt(scope.shape, _versioned(scope)), params):
        out[row.phrase].append((row.id, int(row.hits)))
    return out
