"""The trainer report of one manager: summary, series, item pass rates, phrases to coach, best
and worst calls, and optionally the periods before and after a training side by side.

Figures come from the roll-ups; only the grade counts, the best/worst calls and the example
utterances read calls, through the (manager_id, started_at) index within the window. The JSON
dict built here is the single source of the HTML and CSV renderings.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from app.db import trends as q
from app.db.trends import Bucket, Scope
from app.engine import list_checklists
from app.services.periods import Window, moment_param
from app.services.records import with_offset
from app.services.trends import (
    CATEGORIES,
    Bound,
    pass_rate,
    phrase_stats,
    require_manager,
    resolve_window,
    series,
    totals,
    window_echo,
)

GRADES = ("green", "yellow", "red")
DEFAULT_CHECKLIST = "realty_phone"
EXAMPLES_PER_PHRASE = 2


@lru_cache(maxsize=8)
def item_titles(checklist: str | None) -> dict[str, str]:
    """Item key -> title, in checklist order: the report's checklist (else the default) first,
    then the items only other built-in checklists have."""
    first = checklist or DEFAULT_CHECKLIST
    ordered = sorted(list_checklists(), key=lambda c: c.key != first)
    titles: dict[str, str] = {}
    for rules in ordered:
        for item in rules.items:
            titles.setdefault(item.key, item.title)
    return titles


def item_rates(items: dict[str, tuple[int, int]], checklist: str | None) -> list[dict[str, Any]]:
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


def call_link(call_id: int) -> str:
    """Where the API serves a call with its transcript and evidence."""
    return f"/v1/calls/{call_id}"


Summary = tuple[dict[str, Any], dict[str, Any], dict[str, tuple[int, int]]]


def summary(session: Session, scope: Scope) -> Summary:
    """(shown, exact, items): the summary as rounded for display, its unrounded figures, and
    (passed, calls) per checklist item."""
    sums, items = totals(session, scope)
    grades = q.grade_counts(session, scope) if sums.calls else {}
    exact = sums.exact()
    exact["item_pass_rate"] = {k: p / n if n else None for k, (p, n) in items.items()}
    shown = {
        **sums.figures(),
        "grades": {g: int(grades.get(g, 0)) for g in GRADES},
        "item_pass_rate": {k: pass_rate(p, n) for k, (p, n) in sorted(items.items())},
    }
    return shown, exact, items


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
            c: _diff(after["avg_questions"][c], before["avg_questions"][c], 2) for c in CATEGORIES
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


def comparison(session: Session, scope: Scope, win: Window, cut: datetime) -> dict[str, Any]:
    """The window split at `cut`: both summaries and their deltas."""
    parts = win.split(cut)
    shown: list[dict[str, Any]] = []
    exact: list[dict[str, Any]] = []
    for part in parts:
        part_scope = Scope(part.start, part.end, scope.manager_id, scope.team_id, scope.checklist)
        s, e, _ = summary(session, part_scope)
        shown.append({**window_echo(part), **s})
        exact.append(e)
    return {"before": shown[0], "after": shown[1], "delta": delta(exact[0], exact[1])}


def _call_entry(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "external_id": row.external_id,
        "started_at": with_offset(row.started_at, row.started_at_offset_min),
        "total": row.total,
        "grade": row.grade,
        "link": call_link(row.id),
    }


def coaching(session: Session, scope: Scope, *, limit: int) -> list[dict[str, Any]]:
    """The phrases said most, each with its replacement and real example utterances."""
    phrases = phrase_stats(session, scope, limit=limit)
    examples: dict[str, list[dict[str, Any]]] = {p["phrase"]: [] for p in phrases}
    rows = q.phrase_examples(session, scope, list(examples), per_phrase=EXAMPLES_PER_PHRASE)
    for row in rows:
        examples[row.phrase].append(
            {
                "call_id": row.call_id,
                "link": call_link(row.call_id),
                "utterance": row.utterance,
                "text": row.utterance_text,
                "matched": row.matched,
                "started_at": with_offset(row.started_at, row.started_at_offset_min),
            }
        )
    for p in phrases:
        p.pop("managers")
        p.pop("manager_count")
        p["examples"] = examples[p["phrase"]]
    return phrases


def manager_report(
    session: Session,
    manager_id: str,
    *,
    start: Bound = None,
    end: Bound = None,
    compare_before: Bound = None,
    bucket: Bucket = "week",
    checklist: str | None = None,
    tz: str | None = None,
    default_tz: str = "UTC",
    phrases: int = 5,
    calls: int = 3,
) -> dict[str, Any]:
    """Everything a trainer reads about one manager over a window (weekly series by default)."""
    win = resolve_window(start, end, tz, default_tz)
    cut = moment_param(compare_before, win.zone, "compare_before") if compare_before else None
    require_manager(session, manager_id)
    scope = Scope(win.start, win.end, manager_id=manager_id, checklist=checklist)
    latest = q.latest_calls(session, [manager_id]).get(manager_id)
    shown, _, items = summary(session, scope)
    report: dict[str, Any] = {
        "manager_id": manager_id,
        "manager_name": latest.manager_name if latest else None,
        "checklist": checklist,
        "bucket": bucket,
        **window_echo(win),
        "generated_at": datetime.now(UTC).astimezone(win.zone).replace(microsecond=0),
        "summary": shown,
        "series": series(session, scope, win, bucket),
        "item_pass_rates": item_rates(items, checklist),
        "top_phrases": coaching(session, scope, limit=phrases),
        "best_calls": [
            _call_entry(r) for r in q.ranked_calls(session, scope, best=True, limit=calls)
        ],
        "worst_calls": [
            _call_entry(r) for r in q.ranked_calls(session, scope, best=False, limit=calls)
        ],
        "comparison": None,
    }
    if cut is not None:
        report["comparison"] = comparison(session, scope, win, cut)
    return report


CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def report_csv(report: dict[str, Any]) -> bytes:
    """The series, one row per period, UTF-8 with a BOM so Excel reads Cyrillic keys right."""
    items = sorted({k for row in report["series"] for k in row["item_pass_rate"]})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "period_start",
            "calls",
            "avg_total",
            *(f"avg_{c}" for c in CATEGORIES),
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
                _cell(row["avg_total"]),
                *(_cell(row["avg_questions"][c]) for c in CATEGORIES),
                _cell(row["avg_questions_total"]),
                _cell(row["violations_per_call"]),
                *(_cell(row["item_pass_rate"].get(k)) for k in items),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: float | None) -> str:
    return "" if value is None else str(value)
