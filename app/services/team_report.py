"""The team report: the team's managers side by side with their trend lines, the phrases the
team says most with their replacements, and who improved most since a training.

Figures come from the roll-ups (one grouped query per part of the window, one series per
manager); the phrases from `phrase_stats`, as the manager report's. The JSON dict built here is
the single source of the HTML and CSV renderings.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db import call_stats
from app.db import trends as q
from app.db.scope import Bucket, Scope
from app.services.categories import Categories
from app.services.periods import Window, bucket_starts, moment_param
from app.services.phrases import phrase_stats
from app.services.reports import RussianExcel
from app.services.trends import (
    Bound,
    Sums,
    checklist_categories,
    no_team,
    ratio,
    require_version,
    resolve_window,
    rollup_scope,
    series_echo,
    shown_categories,
    window_echo,
)
from app.tenancy import LOCAL, Tenant

IMPROVED = 3
"""Managers named under "improved most"."""


def _by_manager(session: Session, scope: Scope, categories: Categories) -> dict[str, Sums]:
    rows = q.by_manager(session, scope, categories.keys)
    return {r.manager_id: Sums.of(r, categories) for r in rows}


def _change(before: Sums | None, after: Sums | None) -> dict[str, Any] | None:
    """after - before of score and questions per call; None unless both sides have calls."""
    if not before or not after or not before.calls or not after.calls:
        return None
    b, a = before.exact(), after.exact()
    return {
        "avg_total": round(a["avg_total"] - b["avg_total"], 2),
        "avg_questions_total": round(a["avg_questions_total"] - b["avg_questions_total"], 2),
        "before": before.figures(),
        "after": after.figures(),
    }


Line = list[dict[str, Any]]


def _lines(
    session: Session, scope: Scope, win: Window, bucket: Bucket
) -> tuple[dict[str, Line], Line]:
    """Each manager's trend line and the team's over the window's buckets (calls 0 and
    nulls where empty), from one grouped query."""
    starts = bucket_starts(win, bucket)
    sums: dict[str | None, dict[datetime, list[float]]] = {None: {s: [0, 0, 0] for s in starts}}
    for row in q.by_manager_period(session, scope, bucket=bucket, tz=win.tz):
        period = row.period.replace(tzinfo=win.zone)
        added = (int(row.calls), float(row.total_sum), int(row.questions))
        sums.setdefault(row.manager_id, {})[period] = list(added)
        team = sums[None].setdefault(period, [0, 0, 0])
        for i, value in enumerate(added):
            team[i] += value
    lines = {
        manager_id: [_point(start, by_period.get(start)) for start in starts]
        for manager_id, by_period in sums.items()
    }
    team_line = lines.pop(None)
    return {str(m): line for m, line in lines.items()}, team_line


def _point(start: datetime, found: list[float] | None) -> dict[str, Any]:
    calls, total, questions = found or (0, 0.0, 0)
    return {
        "period_start": start,
        "calls": int(calls),
        "avg_total": round(total / calls, 2) if calls else None,
        "avg_questions_total": ratio(int(questions), int(calls), 2) if calls else None,
    }


def team_report(
    session: Session,
    team_id: str,
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
    tenant: Tenant = LOCAL,
) -> dict[str, Any]:
    """Everything a trainer compares across a team over a window (weekly series by default),
    of the teams the tenant may see: each call's latest score, or with `version` only the
    scores under that version of `checklist`."""
    win = resolve_window(start, end, tz, default_tz, bucket, max_buckets)
    cut = moment_param(compare_before, win.zone, "compare_before") if compare_before else None
    if not q.team_exists(session, team_id, tenant):
        raise no_team(team_id)
    require_version(session, checklist, version, tenant)
    day_zone = q.day_zone(session)
    scope = rollup_scope(win, day_zone, None, team_id, checklist, version, tenant=tenant)
    categories = (
        checklist_categories(session, scope, checklist)
        if checklist
        else shown_categories(session, scope)[1]
    )
    halves: tuple[dict[str, Sums], dict[str, Sums]] | None = None
    if cut is None:
        whole = _by_manager(session, scope, categories)
    else:
        before, after = (
            _by_manager(
                session,
                rollup_scope(h, day_zone, None, team_id, checklist, version, tenant=tenant),
                categories,
            )
            for h in win.split(cut)
        )
        halves = (before, after)
        none = Sums.none(categories)
        whole = {m: before.get(m, none) + after.get(m, none) for m in before.keys() | after.keys()}
    names = call_stats.latest_calls(session, list(whole), tenant)
    lines, team_line = _lines(session, scope, win, bucket)
    managers = []
    for manager_id in sorted(whole, key=lambda m: (-(whole[m].exact()["avg_total"] or 0), m)):
        managers.append(
            {
                "manager_id": manager_id,
                "manager_name": getattr(names.get(manager_id), "manager_name", None),
                **whole[manager_id].figures(),
                "series": lines[manager_id],
                "change": None
                if halves is None
                else _change(halves[0].get(manager_id), halves[1].get(manager_id)),
            }
        )
    team = sum(whole.values(), Sums.none(categories))
    improved = sorted(
        (m for m in managers if m["change"] is not None),
        key=lambda m: (-m["change"]["avg_total"], m["manager_id"]),
    )
    return {
        "team_id": team_id,
        "checklist": checklist,
        **series_echo(session, scope),
        "categories": categories.to_list(),
        "bucket": bucket,
        **window_echo(win),
        "compare_before": None if cut is None else win.local(cut),
        "generated_at": datetime.now(UTC).astimezone(win.zone).replace(microsecond=0),
        "summary": team.figures(),
        "series": team_line,
        "managers": managers,
        "improved_most": [
            {"manager_id": m["manager_id"], "manager_name": m["manager_name"], **m["change"]}
            for m in improved[:IMPROVED]
        ],
        "top_phrases": phrase_stats(session, scope, limit=phrases, examples=1, managers=True),
    }


def team_report_csv(report: dict[str, Any], *, excel: bool = False) -> bytes:
    """One row per manager, UTF-8 with a BOM; `excel` writes `;` and decimal commas. With a
    training date, the score before and after it and the change."""
    categories = [c["key"] for c in report["categories"]]
    compared = report["compare_before"] is not None
    out = io.StringIO()
    writer = csv.writer(out, dialect=RussianExcel if excel else csv.excel, lineterminator="\r\n")
    head = ["manager_id", "manager_name", "calls", "avg_total", *(f"avg_{c}" for c in categories)]
    head += ["avg_questions_total", "violations_per_call"]
    if compared:
        head += ["avg_total_before", "avg_total_after", "avg_total_change"]
    writer.writerow(head)
    for m in report["managers"]:
        values: list[Any] = [m["avg_total"], *(m["avg_questions"][c] for c in categories)]
        values += [m["avg_questions_total"], m["violations_per_call"]]
        if compared:
            change = m["change"] or {}
            values += [
                change.get("before", {}).get("avg_total"),
                change.get("after", {}).get("avg_total"),
                change.get("avg_total"),
            ]
        cells = ["" if v is None else str(v).replace(".", ",") if excel else str(v) for v in values]
        writer.writerow([m["manager_id"], m["manager_name"] or "", m["calls"], *cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
