"""The trainer report of one manager: summary, series, item pass rates, phrases to coach, best
and worst calls, and optionally the periods before and after a training side by side.

Figures come from the roll-ups; only the grade counts, the best/worst calls and the example
utterances read calls, through the (manager_id, started_at) index within the window. The JSON
dict built here is the single source of the HTML and CSV renderings.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from app.db import call_stats
from app.db.scope import Bucket, Scope
from app.db.trends import day_zone as day_zone_of
from app.engine import EngineError, list_checklists
from app.services import coaching
from app.services.categories import Categories
from app.services.periods import Window, moment_param
from app.services.phrases import call_link, phrase_stats
from app.services.records import with_offset
from app.services.trends import (
    Bound,
    ItemCounts,
    Sums,
    pass_rate,
    require_manager,
    require_version,
    resolve_window,
    rollup_scope,
    series,
    series_echo,
    shown_categories,
    totals,
    window_echo,
)
from app.tenancy import LOCAL, Tenant

log = logging.getLogger(__name__)
GRADES = ("green", "yellow", "red")
EXAMPLES_PER_PHRASE = 2


@lru_cache(maxsize=8)
def item_titles(checklist: str | None) -> dict[str, str]:
    """Item key -> title, in checklist order: the report's checklist first, then the items
    only other built-in checklists have."""
    try:
        ordered = sorted(list_checklists(), key=lambda c: c.key != checklist)
    except EngineError:  # a broken checklist file must not take reports down: keys as titles
        log.exception("cannot load the built-in checklists for item titles")
        return {}
    titles: dict[str, str] = {}
    for rules in ordered:
        for item in rules.items:
            titles.setdefault(item.key, item.title)
    return titles


def item_rates(items: ItemCounts, checklist: str | None) -> list[dict[str, Any]]:
    """Pass rate of every item seen, titled and in checklist order (unknown keys last)."""
    titles = item_titles(checklist)
    order = {key: i for i, key in enumerate(titles)}
    entries = [
        {
            "key": key,
            "title": titles.get(key, key),
            "passed": passed,
            "calls": calls,
            "rate": pass_rate(passed, calls),
        }
        for key, (passed, calls) in items.items()
    ]
    return sorted(entries, key=lambda e: (order.get(e["key"], len(order)), e["key"]))


@dataclass(frozen=True, slots=True)
class Part:
    """What a summary is made of; additive, so a window is the sum of its two halves."""

    sums: Sums
    items: ItemCounts
    grades: dict[str, int]

    def __add__(self, other: Part) -> Part:
        items: ItemCounts = {}
        for k in self.items.keys() | other.items.keys():
            (p1, n1), (p2, n2) = self.items.get(k, (0, 0)), other.items.get(k, (0, 0))
            items[k] = (p1 + p2, n1 + n2)
        grades = {g: self.grades.get(g, 0) + other.grades.get(g, 0) for g in GRADES}
        return Part(self.sums + other.sums, items, grades)

    def exact(self) -> dict[str, Any]:
        """Unrounded figures, for deltas."""
        rates = {k: p / n if n else None for k, (p, n) in self.items.items()}
        return {**self.sums.exact(), "item_pass_rate": rates}

    def shown(self) -> dict[str, Any]:
        """The summary as a report shows it (2 decimals, rates 4)."""
        return {
            **self.sums.figures(),
            "grades": {g: int(self.grades.get(g, 0)) for g in GRADES},
            "item_pass_rate": {k: pass_rate(p, n) for k, (p, n) in sorted(self.items.items())},
        }


def part(session: Session, scope: Scope, categories: Categories) -> Part:
    """The sums, item counts and grade counts of a scope."""
    sums, items = totals(session, scope, categories)
    grades = call_stats.grade_counts(session, scope) if sums.calls else {}
    return Part(sums, items, grades)


def _grade_bands(categories: Categories) -> dict[str, float] | None:
    """The lowest totals of the green and yellow grades of the checklist shown."""
    if categories.grades is None:
        return None
    green, yellow = categories.grades
    return {"green": green, "yellow": yellow}


def _diff(after: float | None, before: float | None, digits: int) -> float | None:
    if after is None or before is None:
        return None
    return round(after - before, digits)


def delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """after - before from unrounded figures, rounded only now (null where a side is empty)."""
    keys = sorted(set(before["item_pass_rate"]) | set(after["item_pass_rate"]))
    return {
        "calls": after["calls"] - before["calls"],
        "avg_total": _diff(after["avg_total"], before["avg_total"], 2),
        "avg_questions": {
            c: _diff(after["avg_questions"][c], before["avg_questions"].get(c), 2)
            for c in after["avg_questions"]
        },
        "avg_questions_total": _diff(
            after["avg_questions_total"], before["avg_questions_total"], 2
        ),
        "violations_per_call": _diff(
            after["violations_per_call"], before["violations_per_call"], 2
        ),
        "item_pass_rate": {
            k: _diff(after["item_pass_rate"].get(k), before["item_pass_rate"].get(k), 4)
            for k in keys
        },
    }


def comparison(parts: tuple[Part, Part], windows: tuple[Window, Window]) -> dict[str, Any]:
    """Both halves of the window side by side, and their deltas."""
    before, after = ({**window_echo(w), **p.shown()} for p, w in zip(parts, windows, strict=True))
    return {"before": before, "after": after, "delta": delta(parts[0].exact(), parts[1].exact())}


def _call_entry(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "external_id": row.external_id,
        "started_at": with_offset(row.started_at, row.started_at_offset_min),
        "total": row.total,
        "grade": row.grade,
        "link": call_link(row.id),
    }


def _ranked(session: Session, scope: Scope, *, best: bool, limit: int) -> list[dict[str, Any]]:
    return [_call_entry(r) for r in call_stats.ranked_calls(session, scope, best=best, limit=limit)]


def manager_report(
    session: Session,
    manager_id: str,
    *,
    start: Bound = None,
    end: Bound = None,
    compare_before: Bound = None,
    bucket: Bucket = "week",
    checklist: str | None = None,
    version: str | None = None,
    tz: str | None = None,
    default_tz: str = "UTC",
    max_buckets: int = 1000,
    phrases: int = 5,
    calls: int = 3,
    tenant: Tenant = LOCAL,
) -> dict[str, Any]:
    """Everything a trainer reads about one manager over a window (weekly series by default)."""
    win = resolve_window(start, end, tz, default_tz, bucket, max_buckets)
    cut = moment_param(compare_before, win.zone, "compare_before") if compare_before else None
    require_manager(session, manager_id, tenant)
    require_version(session, checklist, version, tenant)
    day_zone = day_zone_of(session)
    scope = rollup_scope(win, day_zone, manager_id, None, checklist, version, tenant=tenant)
    newest, categories = shown_categories(session, scope)
    latest = call_stats.latest_calls(session, [manager_id], tenant).get(manager_id)
    halves = win.split(cut) if cut is not None else None
    if halves is None:
        whole = part(session, scope, categories)
    else:
        before, after = (
            rollup_scope(h, day_zone, manager_id, None, checklist, version, tenant=tenant)
            for h in halves
        )
        parts = (part(session, before, categories), part(session, after, categories))
        whole = parts[0] + parts[1]
    items = item_rates(whole.items, categories.checklist)
    coaching.with_targets(items, whole.sums, categories.checklist)
    return {
        "manager_id": manager_id,
        "manager_name": latest.manager_name if latest else None,
        "checklist": checklist,
        **series_echo(session, scope),
        "categories": categories.to_list(),
        "grade_bands": _grade_bands(categories),
        "bucket": bucket,
        **window_echo(win),
        "generated_at": datetime.now(UTC).astimezone(win.zone).replace(microsecond=0),
        "summary": whole.shown(),
        "series": series(session, scope, win, bucket, newest, categories),
        "item_pass_rates": items,
        "weak_categories": coaching.weak_categories(session, scope, whole.sums, categories),
        "weak_items": coaching.weak_items(items),
        "top_phrases": phrase_stats(session, scope, limit=phrases, examples=EXAMPLES_PER_PHRASE),
        "best_calls": _ranked(session, scope, best=True, limit=calls),
        "worst_calls": _ranked(session, scope, best=False, limit=calls),
        "comparison": None if halves is None else comparison(parts, halves),
    }


CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


class RussianExcel(csv.excel):
    """Excel under Russian regional settings: the comma is the decimal mark, `;` separates."""

    delimiter = ";"


def report_csv(report: dict[str, Any], *, excel: bool = False) -> bytes:
    """The series, one row per period, UTF-8 with a BOM so Excel reads Cyrillic keys right; one
    column per question category of the report's checklist. `excel` writes `;` between fields
    and decimal commas, which Russian Excel opens as numbers."""
    items = sorted({k for row in report["series"] for k in row["item_pass_rate"]})
    categories = [c["key"] for c in report["categories"]]
    out = io.StringIO()
    writer = csv.writer(out, dialect=RussianExcel if excel else csv.excel, lineterminator="\r\n")
    cell = _decimal_comma if excel else _cell
    writer.writerow(
        [
            "period_start",
            "calls",
            "avg_total",
            *(f"avg_{c}" for c in categories),
            "avg_questions_total",
            "violations_per_call",
            *(f"pass_rate_{k}" for k in items),
        ]
    )
    for row in report["series"]:
        writer.writerow(
            [
                row["period_start"].date().isoformat(),
                row["calls"],
                cell(row["avg_total"]),
                *(cell(row["avg_questions"][c]) for c in categories),
                cell(row["avg_questions_total"]),
                cell(row["violations_per_call"]),
                *(cell(row["item_pass_rate"].get(k)) for k in items),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: float | None) -> str:
    return "" if value is None else str(value)


def _decimal_comma(value: float | None) -> str:
    return _cell(value).replace(".", ",")
