"""The team report as one self-contained HTML page (inline CSS and SVG, no script), in the
trainer report's style: managers side by side with trend lines, who improved most, and the
phrases the team says most with their replacements."""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Any

from app.i18n import _, current
from app.services import charts
from app.services.report_css import CSS
from app.services.report_format import (
    category_label,
    date_label,
    footer,
    num,
    period_label,
    signed,
    times,
)
from app.services.report_html import training_marker


def _who(entry: dict[str, Any]) -> str:
    return escape(entry["manager_name"] or entry["manager_id"])


def _header(report: dict[str, Any]) -> str:
    last_day = date_label(report["to"] - timedelta(microseconds=1))
    title = _("Team report %(team)s", team=escape(report["team_id"]))
    meta = _(
        "Period <b>%(first)s — %(last)s</b> (%(tz)s) · checklist: %(checklist)s · made %(made)s",
        first=date_label(report["from"]),
        last=last_day,
        tz=escape(report["tz"]),
        checklist=escape(report["checklist"] or _("all")),
        made=f"{date_label(report['generated_at'])} {report['generated_at']:%H:%M}",
    )
    return f"<header><h1>{title}</h1><p class='meta'>{meta}</p></header>"


def _kpis(report: dict[str, Any]) -> str:
    s = report["summary"]
    figures = (
        (len(report["managers"]), _("managers")),
        (s["calls"], _("calls")),
        (num(s["avg_total"], 1), _("average score of 100")),
        (num(s["avg_questions_total"], 1), _("questions per call")),
    )
    cards = "".join(
        f"<div class='kpi'><div class='v'>{v}</div><div class='l'>{label}</div></div>"
        for v, label in figures
    )
    return f"<section class='kpis'>{cards}</section>"


def _managers(report: dict[str, Any]) -> str:
    categories = report["categories"]
    compared = report["compare_before"] is not None
    marker = None
    rows = []
    for m in report["managers"]:
        points = m["series"]
        if compared and points:
            starts = [p["period_start"] for p in points]
            found = training_marker(starts, report["bucket"], report["compare_before"])
            marker = found[0] if found else None
        spark = charts.sparkline(
            [p["avg_total"] for p in points],
            title=_("Average score: %(manager)s", manager=m["manager_id"]),
            marker=marker,
        )
        change = m["change"]
        delta = "" if not compared else signed(change["avg_total"] if change else None)
        rows.append(
            f"<tr><th>{_who(m)}<br><small>{escape(m['manager_id'])}</small></th>"
            f"<td class='num'>{m['calls']}</td><td class='num'>{num(m['avg_total'], 1)}</td>"
            f"<td class='num'>{num(m['avg_questions_total'])}</td>"
            + "".join(
                f"<td class='num'>{num(m['avg_questions'][c['key']])}</td>" for c in categories
            )
            + f"<td class='num'>{num(m['violations_per_call'])}</td><td>{spark}</td>{delta}</tr>"
        )
    heads = "".join(f"<th class='num'>{category_label(c)}</th>" for c in categories)
    since = ""
    if compared:
        day = period_label(report["compare_before"], "day")
        since = "<th class='num'>" + _("score<br>since %(day)s", day=day) + "</th>"
    title = _("Managers side by side")
    note = _("Averages per call; the line is the average score by period, dashed the training.")
    columns = (
        _("manager"),
        _("calls"),
        _("score"),
        _("questions"),
        _("forbidden phrases"),
        _("score trend"),
    )
    return (
        f"<section><h2>{title}</h2><p class='note'>{note}</p><table class='team'><thead><tr>"
        f"<th>{columns[0]}</th><th class='num'>{columns[1]}</th><th class='num'>{columns[2]}</th>"
        f"<th class='num'>{columns[3]}</th>{heads}<th class='num'>{columns[4]}</th>"
        f"<th>{columns[5]}</th>{since}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _improved(report: dict[str, Any]) -> str:
    if report["compare_before"] is None:
        return ""
    rows = "".join(
        f"<tr><th>{_who(m)}</th><td>{num(m['before']['avg_total'], 1)}</td>"
        f"<td>{num(m['after']['avg_total'], 1)}</td>{signed(m['avg_total'])}"
        f"<td>{num(m['before']['avg_questions_total'], 1)}</td>"
        f"<td>{num(m['after']['avg_questions_total'], 1)}</td>"
        f"{signed(m['avg_questions_total'])}</tr>"
        for m in report["improved_most"]
    )
    heads = "".join(
        f"<th>{h}</th>"
        for h in (
            "",
            _("score before"),
            _("after"),
            _("change"),
            _("questions before"),
            _("after"),
            _("change"),
        )
    )
    none = _("No manager has calls both before and after.")
    body = (
        f"<table class='cmp'><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else f"<p>{none}</p>"
    )
    title = _("Who improved most since %(day)s", day=date_label(report["compare_before"]))
    return f"<section><h2>{title}</h2>{body}</section>"


def _phrases(report: dict[str, Any]) -> str:
    cards = []
    for p in report["top_phrases"]:
        who = ", ".join(f"{escape(w['manager_id'])}: {w['count']}" for w in p["managers"])
        says = _("Who says it: %(who)s", who=who)
        cards.append(
            "<li class='phrase'><div class='swap'>"
            f"<span class='bad'>«{escape(p['phrase'])}»</span><span class='arrow'>→</span>"
            f"<span class='good'>«{escape(p['replacement'] or '—')}»</span>"
            f"<span class='count'>{times(p['count'])}</span></div>"
            f"<p class='note'>{says}</p></li>"
        )
    none = _("No forbidden phrases were said in the period.")
    body = f"<ol>{''.join(cards)}</ol>" if cards else f"<p>{none}</p>"
    title = _("What the team should train: replace phrases")
    return f"<section class='coach'><h2>{title}</h2>{body}</section>"


def render_team_report_html(report: dict[str, Any]) -> str:
    """The whole page."""
    title = _("Team report %(team)s", team=escape(report["team_id"]))
    return (
        f"<!doctype html><html lang='{current()}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>{CSS}</style></head><body><main>"
        + _header(report)
        + _kpis(report)
        + _managers(report)
        + _improved(report)
        + _phrases(report)
        + f"<footer>{footer()}</footer></main></body></html>"
    )
