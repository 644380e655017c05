"""Per-manager trends, the managers list and team leaderboards, from the roll-ups.

Every figure is a ratio of exact roll-up sums (total points, questions, violations over calls),
computed unrounded and rounded to 2 decimals only when shown, so before/after deltas and
dashboards agree to the decimal with a recount from the calls themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from app.db import call_stats
from app.db import checklists as checklists_db
from app.db import trends as q
from app.db.call_writes import LATEST
from app.db.scope import Bucket, Scope
from app.engine.checklist import OTHER
from app.i18n import _
from app.services import checklists
from app.services.categories import Categories, categories_of
from app.services.errors import NotFound
from app.services.periods import Window, check_buckets, invalid, window, zone_of
from app.services.records import with_offset
from app.tenancy import LOCAL, Tenant

SORT_FIGURES = ("avg_total", "questions", "violations_per_call", "calls")
Bound = str | date | datetime | None


def rounded(value: float | None, digits: int = 2) -> float | None:
    """Round for display; None (no calls) stays None rather than pretending to be 0."""
    return None if value is None else round(value, digits)


@dataclass(frozen=True, slots=True)
class Sums:
    """Additive roll-up figures of some set of calls; `questions` by category key of the
    checklist shown, `other` last (questions of other checklists' categories count there)."""

    calls: int
    total_sum: float
    questions: dict[str, int]
    violations: int

    @classmethod
    def of_values(cls, values: Sequence[Any], categories: Categories) -> Sums:
        """From sums in `SUM_COLUMNS` order (calls, total_sum, questions, violations), then
        one per category key; NULLs of an empty period are 0."""
        calls, total, asked, violations, *counts = values
        questions = {c: int(n or 0) for c, n in zip(categories.keys, counts, strict=True)}
        questions[OTHER] = int(asked or 0) - sum(questions.values())
        return cls(int(calls or 0), float(total or 0), questions, int(violations or 0))

    @classmethod
    def of(cls, row: Any, categories: Categories) -> Sums:
        """From a row with the roll-up sums by name and the category counts as q_0..n."""
        m = row._asdict()
        names = [*q.SUM_COLUMNS, *(f"q_{i}" for i in range(len(categories.keys)))]
        return cls.of_values([m[name] for name in names], categories)

    @classmethod
    def none(cls, categories: Categories) -> Sums:
        """The sums of no calls."""
        return cls(0, 0.0, dict.fromkeys(categories.all_keys, 0), 0)

    def __add__(self, other: Sums) -> Sums:
        keys = dict.fromkeys([*self.questions, *other.questions])
        questions = {c: self.questions.get(c, 0) + other.questions.get(c, 0) for c in keys}
        return Sums(
            self.calls + other.calls,
            self.total_sum + other.total_sum,
            questions,
            self.violations + other.violations,
        )

    def mean(self, amount: float) -> float | None:
        """Per-call average of an amount, None when there are no calls."""
        return amount / self.calls if self.calls else None

    def exact(self) -> dict[str, Any]:
        """Unrounded per-call figures (deltas are taken from these)."""
        return {
            "calls": self.calls,
            "avg_total": self.mean(self.total_sum),
            "avg_questions": {c: self.mean(n) for c, n in self.questions.items()},
            "avg_questions_total": self.mean(sum(self.questions.values())),
            "violations_per_call": self.mean(self.violations),
        }

    def figures(self) -> dict[str, Any]:
        """The per-call figures as shown: `exact()` rounded to 2 decimals, null when empty.

        Written out rather than derived from exact(): a year of day buckets calls it 365
        times per request."""
        n, q = self.calls, self.questions
        if not n:
            return {
                "calls": 0,
                "avg_total": None,
                "avg_questions": dict.fromkeys(q),
                "avg_questions_total": None,
                "violations_per_call": None,
            }
        return {
            "calls": n,
            "avg_total": round(self.total_sum / n, 2),
            "avg_questions": {c: ratio(k, n, 2) for c, k in q.items()},
            "avg_questions_total": ratio(sum(q.values()), n, 2),
            "violations_per_call": ratio(self.violations, n, 2),
        }


@lru_cache(maxsize=1 << 16)
def ratio(part: int, whole: int, digits: int) -> float:
    """round(part / whole, digits), remembered: series repeat the same small ratios hundreds
    of times, and round() is the costliest step of building them."""
    return round(part / whole, digits)


def pass_rate(passed: int, calls: int) -> float | None:
    """Share of calls that passed an item, 4 decimals."""
    return ratio(passed, calls, 4) if calls else None


def no_team(team_id: str) -> NotFound:
    """The 404 of a team without stored calls."""
    return NotFound(_("no calls are stored for team «%(team)s»", team=team_id))


def require_manager(session: Session, manager_id: str, tenant: Tenant = LOCAL) -> None:
    """404 unless the manager has stored calls the tenant may see."""
    if not q.manager_exists(session, manager_id, tenant):
        raise NotFound(_("no calls are stored for manager «%(manager)s»", manager=manager_id))


def resolve_window(
    start: Bound,
    end: Bound,
    tz: str | None,
    default_tz: str,
    bucket: Bucket | None = None,
    max_buckets: int = 1000,
) -> Window:
    """The window of a request: zone first, since dates are read in it; with `bucket`, at most
    `max_buckets` of them (CALLQA_MAX_BUCKETS)."""
    win = window(start, end, zone_of(tz, default_tz))
    if bucket is not None:
        check_buckets(win, bucket, max_buckets)
    return win


def rollup_scope(
    win: Window,
    day_zone: str,
    manager_id: str | None = None,
    team_id: str | None = None,
    checklist: str | None = None,
    version: str | None = None,
    *,
    tenant: Tenant = LOCAL,
) -> Scope:
    """The scope of a window: with its local days when the window is whole days of the day
    roll-ups' zone (`q.day_zone`), so the roll-up queries read a day row, not 96 slots, a day;
    the series of `version`'s scores, or without it of each call's latest score."""
    days = win.whole_days() if win.tz == day_zone else None
    return Scope(
        win.start, win.end, manager_id, team_id, checklist, days, tenant, version or LATEST
    )


def require_version(
    session: Session, checklist: str | None, version: str | None, tenant: Tenant = LOCAL
) -> None:
    """422 for a version without its checklist, 404 for a version the tenant's organisation
    cannot use (never stored, or another organisation's)."""
    if version is None:
        return
    if checklist is None:
        raise invalid("version", _("a version is read with its checklist: give `checklist` too"))
    if checklists_db.get_version(session, tenant.organisation_id, checklist, version) is None:
        raise NotFound(
            _(
                "checklist %(key)r has no version %(version)r",
                key=checklist,
                version=version,
            )
        )


def series_echo(session: Session, scope: Scope) -> dict[str, Any]:
    """Which scores an answer counts: without a version, each call's latest (`versions`: the
    versions those are); with one, only that version's (`calls_without_version`: calls in the
    window without a score under it, null without a version)."""
    if scope.version == LATEST:
        versions = q.versions_used(session, scope)
        return {"version": None, "versions": versions, "calls_without_version": None}
    counted = q.calls_in(session, scope)
    lacking = q.calls_in(session, replace(scope, version=LATEST)) - counted
    versions = [scope.version] if counted else []
    return {"version": scope.version, "versions": versions, "calls_without_version": lacking}


def checklist_categories(session: Session, scope: Scope, checklist: str | None) -> Categories:
    """The categories of a checklist as the scope's organisation stores it (its own version,
    else the built-in), of the scope's version or else the latest."""
    if checklist is None:
        return categories_of(None)
    version = None if scope.version == LATEST else scope.version
    return categories_of(checklist, checklists.of_call(session, checklist, version, scope.tenant))


def shown_categories(session: Session, scope: Scope) -> tuple[q.Items, Categories]:
    """The newest roll-up row's (checklist, item keys), and the categories shown: those of
    the scope's checklist, else of the newest row's."""
    newest = q.newest_items(session, scope)
    return newest, checklist_categories(session, scope, scope.checklist or newest[0])


def window_echo(win: Window) -> dict[str, Any]:
    """How a response states the window it covers (local times, `to` exclusive)."""
    return {"from": win.local(win.start), "to": win.local(win.end), "tz": win.tz}


ItemCounts = dict[str, tuple[int, int]]
"""(passed, calls) per checklist item key."""


def _row_items(row: dict[str, Any], keys: list[str]) -> ItemCounts:
    """(passed, calls) per item from a sums row of the known-keys fast path."""
    calls = int(row["calls"] or 0)
    if not calls:
        return {}
    return {key: (int(row[f"item_{i}"] or 0), calls) for i, key in enumerate(keys)}


def totals(session: Session, scope: Scope, categories: Categories) -> tuple[Sums, ItemCounts]:
    """The scope's sums and (passed, calls) per checklist item."""
    items = q.newest_items(session, scope)
    row = q.totals(session, scope, items, categories.keys)
    if row.mixed:
        counts = {r.key: (int(r.passed), int(r.calls)) for r in q.item_counts(session, scope)}
    else:
        counts = _row_items(row._asdict(), items[1])
    return Sums.of(row, categories), counts


def series(
    session: Session,
    scope: Scope,
    win: Window,
    bucket: Bucket,
    newest: q.Items,
    categories: Categories,
) -> list[dict[str, Any]]:
    """One entry per bucket of the window, empty buckets with calls 0 and null averages."""
    try:
        rows = q.series(
            session,
            scope,
            bucket=bucket,
            tz=win.tz,
            last=win.last,
            items=newest,
            categories=categories.keys,
        )
        found = cast(Sequence[tuple[Any, ...]], rows)  # plain tuples: sliced by position below
    except DataError as exc:  # a zone Python knows and PostgreSQL does not ("localtime")
        raise invalid(
            "tz", _("the database does not know the time zone %(tz)r", tz=win.tz)
        ) from exc
    # Rows are (period, *SUM_COLUMNS, q_0..m, item_0..n, mixed); read by position, since a
    # year of day buckets is 365 rows and per-row name lookups cost more than the query's work.
    n_sums, keys = len(q.SUM_COLUMNS) + len(categories.keys), newest[1]
    rates: dict[datetime, dict[str, float | None]] = {}
    if any(row[-1] for row in found):  # checklists with other items: count key by key
        for r in q.item_counts_by_period(session, scope, bucket=bucket, tz=win.tz):
            rates.setdefault(r.period, {})[r.key] = pass_rate(int(r.passed), int(r.calls))
        rates = {period: dict(sorted(by_key.items())) for period, by_key in rates.items()}
    else:  # the keys are sorted already
        first = 1 + n_sums
        for row in found:
            if n := row[1]:
                passed = row[first : first + len(keys)]
                rates[row[0]] = {k: ratio(p or 0, n, 4) for k, p in zip(keys, passed, strict=True)}
    zone, points = win.zone, []
    empty = Sums.none(categories).figures()
    for row in found:
        point = {"period_start": row[0].replace(tzinfo=zone)}
        if row[1]:
            point.update(Sums.of_values(row[1 : 1 + n_sums], categories).figures())
        else:  # a fresh nested dict: points must not share one
            point.update(empty, avg_questions=dict.fromkeys(categories.all_keys))
        point["item_pass_rate"] = rates.get(row[0], {})
        points.append(point)
    return points


def manager_trends(
    session: Session,
    manager_id: str,
    *,
    bucket: Bucket = "week",
    start: Bound = None,
    end: Bound = None,
    checklist: str | None = None,
    version: str | None = None,
    tz: str | None = None,
    default_tz: str = "UTC",
    max_buckets: int = 1000,
    tenant: Tenant = LOCAL,
) -> dict[str, Any]:
    """A manager's series by day, week or month, read from the roll-ups only (the day
    roll-ups for whole days of their zone, else the slots)."""
    win = resolve_window(start, end, tz, default_tz, bucket, max_buckets)
    require_version(session, checklist, version, tenant)
    day_zone = q.day_zone(session)
    scope = rollup_scope(win, day_zone, manager_id, None, checklist, version, tenant=tenant)
    newest, categories = shown_categories(session, scope)
    if newest[0] is None:  # nothing in the window: a 404 only if the manager has no calls at all
        require_manager(session, manager_id, tenant)
    return {
        "manager_id": manager_id,
        "bucket": bucket,
        "checklist": checklist,
        **series_echo(session, scope),
        "categories": categories.to_list(),
        **window_echo(win),
        "series": series(session, scope, win, bucket, newest, categories),
    }


def list_managers(session: Session, *, tenant: Tenant = LOCAL) -> list[dict[str, Any]]:
    """Every manager with call count, average total, teams and the newest call."""
    rows = q.managers_overview(session, tenant)
    latest = call_stats.latest_calls(session, [r.manager_id for r in rows], tenant)
    out = []
    for row in rows:
        last = latest.get(row.manager_id)
        calls = int(row.calls)
        out.append(
            {
                "manager_id": row.manager_id,
                "manager_name": last.manager_name if last else None,
                "teams": sorted(t for t in row.teams if t),
                "calls": calls,
                "avg_total": rounded(float(row.total_sum) / calls) if calls else None,
                "last_call": None
                if last is None
                else {
                    "id": last.id,
                    "started_at": with_offset(last.started_at, last.started_at_offset_min),
                    "link": f"/v1/calls/{last.id}",
                },
            }
        )
    return out


def _sort_value(sums: Sums, key: str) -> float:
    """The unrounded figure a leaderboard ranks by (rounding must not create ties)."""
    exact = sums.exact()
    if key in sums.questions:
        return float(exact["avg_questions"][key])
    field = {"questions": "avg_questions_total"}.get(key, key)
    return float(exact[field])


def _check_sort(sort: str, categories: Categories) -> None:
    """422 unless `sort` is a figure or a category key of the checklist shown."""
    allowed = (*SORT_FIGURES, *categories.all_keys)
    if sort not in allowed:
        raise invalid("sort", _("expected one of %(allowed)s", allowed=", ".join(allowed)))


def team_leaderboard(
    session: Session,
    team_id: str,
    *,
    sort: str = "avg_total",
    start: Bound = None,
    end: Bound = None,
    checklist: str | None = None,
    version: str | None = None,
    tz: str | None = None,
    default_tz: str = "UTC",
    max_buckets: int = 1000,
    tenant: Tenant = LOCAL,
) -> dict[str, Any]:
    """The team's managers ranked by one figure, or by questions of one category of the
    checklist shown; fewer violations per call ranks higher. The window is bounded like a
    monthly series (at most `max_buckets` months)."""
    win = resolve_window(start, end, tz, default_tz, "month", max_buckets)
    if not q.team_exists(session, team_id, tenant):
        raise no_team(team_id)
    require_version(session, checklist, version, tenant)
    scope = rollup_scope(win, q.day_zone(session), None, team_id, checklist, version, tenant=tenant)
    categories = (
        checklist_categories(session, scope, checklist)
        if checklist
        else shown_categories(session, scope)[1]
    )
    _check_sort(sort, categories)
    rows = q.by_manager(session, scope, categories.keys)
    names = call_stats.latest_calls(session, [r.manager_id for r in rows], tenant)
    sign = 1 if sort == "violations_per_call" else -1
    ranked = sorted(
        ((r.manager_id, Sums.of(r, categories)) for r in rows),
        key=lambda e: (sign * _sort_value(e[1], sort), -e[1].calls, e[0]),
    )
    entries = [
        {
            "rank": rank,
            "manager_id": manager_id,
            "manager_name": getattr(names.get(manager_id), "manager_name", None),
            **sums.figures(),
        }
        for rank, (manager_id, sums) in enumerate(ranked, start=1)
    ]
    return {
        "team_id": team_id,
        "sort": sort,
        "checklist": checklist,
        **series_echo(session, scope),
        "categories": categories.to_list(),
        **window_echo(win),
        "managers": entries,
    }
