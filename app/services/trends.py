"""Per-manager trends, the managers list, team leaderboards and the most said forbidden phrases.

Every figure is a ratio of exact roll-up sums (total points, questions, violations over calls),
computed unrounded and rounded to 2 decimals only when shown, so before/after deltas and
dashboards agree to the decimal with a recount from the calls themselves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from app.db import trends as q
from app.db.trends import Bucket, Scope
from app.services.errors import NotFound
from app.services.periods import Window, window, zone_of
from app.services.records import with_offset

CATEGORIES = ("expertise", "personal", "motivation", "other")
SortKey = Literal[
    "avg_total", "expertise", "personal", "motivation", "questions", "violations_per_call", "calls"
]
Bound = str | date | datetime | None


def rounded(value: float | None, digits: int = 2) -> float | None:
    """Round for display; None (no calls) stays None rather than pretending to be 0."""
    return None if value is None else round(value, digits)


@dataclass(frozen=True, slots=True)
class Sums:
    """Additive roll-up figures of some set of calls."""

    calls: int
    total_sum: float
    questions: dict[str, int]
    violations: int

    @classmethod
    def of(cls, row: Any) -> Sums:
        """From a row with the roll-up column names (calls, total_sum, q_*, violations)."""
        questions = {c: int(getattr(row, f"q_{c}") or 0) for c in CATEGORIES}
        calls, violations = int(row.calls or 0), int(row.violations or 0)
        return cls(calls, float(row.total_sum or 0), questions, violations)

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
        """The per-call figures as shown: 2 decimals, null for an empty period."""
        return round_figures(self.exact())


def round_figures(figures: dict[str, Any]) -> dict[str, Any]:
    """Round every float of a figures dict (nested one level) to 2 decimals."""
    out: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            out[key] = {k: rounded(v) for k, v in value.items()}
        elif isinstance(value, float) or value is None:
            out[key] = rounded(value)
        else:
            out[key] = value
    return out


def pass_rate(passed: int, calls: int) -> float | None:
    """Share of calls that passed an item, 4 decimals."""
    return round(passed / calls, 4) if calls else None


def require_manager(session: Session, manager_id: str) -> None:
    """404 unless the manager has stored calls."""
    if not q.manager_exists(session, manager_id):
        raise NotFound(f"no calls are stored for manager {manager_id!r}")


def resolve_window(start: Bound, end: Bound, tz: str | None, default_tz: str) -> Window:
    """The window of a request: zone first, since dates are read in it."""
    return window(start, end, zone_of(tz, default_tz))


def window_echo(win: Window) -> dict[str, Any]:
    """How a response states the window it covers (local times, `to` exclusive)."""
    return {"from": win.local(win.start), "to": win.local(win.end), "tz": win.tz}


def _row_items(row: Any, keys: list[str]) -> dict[str, tuple[int, int]]:
    """(passed, calls) per item from a sums row of the known-keys fast path."""
    calls = int(row.calls or 0)
    if not calls:
        return {}
    return {key: (int(getattr(row, f"item_{i}") or 0), calls) for i, key in enumerate(keys)}


def totals(session: Session, scope: Scope) -> tuple[Sums, dict[str, tuple[int, int]]]:
    """The scope's sums and (passed, calls) per checklist item."""
    keys = q.sample_item_keys(session, scope)
    row = q.totals(session, scope, keys)
    if row.mixed:
        items = {r.key: (int(r.passed), int(r.calls)) for r in q.item_counts(session, scope)}
    else:
        items = _row_items(row, keys)
    return Sums.of(row), items


def series(session: Session, scope: Scope, win: Window, bucket: Bucket) -> list[dict[str, Any]]:
    """One entry per bucket of the window, empty buckets with calls 0 and null averages."""
    keys = q.sample_item_keys(session, scope)
    rows = q.series(session, scope, bucket=bucket, tz=win.tz, last=win.last, keys=keys)
    items: dict[datetime, dict[str, tuple[int, int]]] = {}
    if any(row.mixed for row in rows):  # checklists with other items: count key by key
        for r in q.item_counts_by_period(session, scope, bucket=bucket, tz=win.tz):
            items.setdefault(r.period, {})[r.key] = (int(r.passed), int(r.calls))
    else:
        items = {row.period: _row_items(row, keys) for row in rows}
    return [
        {
            "period_start": row.period.replace(tzinfo=win.zone),
            **Sums.of(row).figures(),
            "item_pass_rate": {
                k: pass_rate(p, n) for k, (p, n) in sorted(items.get(row.period, {}).items())
            },
        }
        for row in rows
    ]


def manager_trends(
    session: Session,
    manager_id: str,
    *,
    bucket: Bucket = "week",
    start: Bound = None,
    end: Bound = None,
    checklist: str | None = None,
    tz: str | None = None,
    default_tz: str = "UTC",
) -> dict[str, Any]:
    """A manager's series by day, week or month, read from the roll-ups only."""
    win = resolve_window(start, end, tz, default_tz)
    require_manager(session, manager_id)
    scope = Scope(win.start, win.end, manager_id=manager_id, checklist=checklist)
    return {
        "manager_id": manager_id,
        "bucket": bucket,
        "checklist": checklist,
        **window_echo(win),
        "series": series(session, scope, win, bucket),
    }


def list_managers(session: Session) -> list[dict[str, Any]]:
    """Every manager with call count, average total, teams and the newest call."""
    rows = q.managers_overview(session)
    latest = q.latest_calls(session, [r.manager_id for r in rows])
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


def _sort_value(entry: dict[str, Any], key: SortKey) -> float:
    if key in ("expertise", "personal", "motivation"):
        return float(entry["avg_questions"][key])
    field = {"questions": "avg_questions_total"}.get(key, key)
    return float(entry[field])


def team_leaderboard(
    session: Session,
    team_id: str,
    *,
    sort: SortKey = "avg_total",
    start: Bound = None,
    end: Bound = None,
    checklist: str | None = None,
    tz: str | None = None,
    default_tz: str = "UTC",
) -> dict[str, Any]:
    """The team's managers ranked by one figure; fewer violations per call ranks higher."""
    win = resolve_window(start, end, tz, default_tz)
    if not q.team_exists(session, team_id):
        raise NotFound(f"no calls are stored for team {team_id!r}")
    scope = Scope(win.start, win.end, team_id=team_id, checklist=checklist)
    rows = q.by_manager(session, scope)
    names = q.latest_calls(session, [r.manager_id for r in rows])
    entries = [
        {
            "manager_id": r.manager_id,
            "manager_name": getattr(names.get(r.manager_id), "manager_name", None),
            **Sums.of(r).figures(),
        }
        for r in rows
    ]
    sign = 1 if sort == "violations_per_call" else -1
    entries.sort(key=lambda e: (sign * _sort_value(e, sort), -e["calls"], e["manager_id"]))
    for rank, entry in enumerate(entries, start=1):
        entry["rank"] = rank
    return {
        "team_id": team_id,
        "sort": sort,
        "checklist": checklist,
        **window_echo(win),
        "managers": entries,
    }


def phrase_stats(
    session: Session, scope: Scope, *, limit: int, managers_per_phrase: int = 10
) -> list[dict[str, Any]]:
    """The most said phrases with replacement, count and who said them how often."""
    top = q.top_phrases(session, scope, limit=limit)
    who: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in q.phrase_managers(session, scope, [r.phrase for r in top]):
        if len(who[row.phrase]) < managers_per_phrase:
            who[row.phrase].append({"manager_id": row.manager_id, "count": int(row.count)})
    return [
        {
            "phrase": r.phrase,
            "replacement": r.replacement,
            "count": int(r.count),
            "manager_count": int(r.managers),
            "managers": who[r.phrase],
        }
        for r in top
    ]


def top_violations(
    session: Session,
    *,
    team_id: str | None = None,
    manager_id: str | None = None,
    start: Bound = None,
    end: Bound = None,
    limit: int = 10,
    tz: str | None = None,
    default_tz: str = "UTC",
) -> dict[str, Any]:
    """Forbidden phrases said most in the window, optionally for one team or manager."""
    win = resolve_window(start, end, tz, default_tz)
    scope = Scope(win.start, win.end, manager_id=manager_id, team_id=team_id)
    return {
        "team_id": team_id,
        "manager_id": manager_id,
        **window_echo(win),
        "phrases": phrase_stats(session, scope, limit=limit),
    }
