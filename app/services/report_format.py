"""Labels, number and date formats, and the plain tables of the trainer report page.

Kept apart from the page layout (report_html) so each stays small; every user string that
reaches HTML here goes through html.escape.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

GRADE_LABELS = {"green": "зелёная", "yellow": "жёлтая", "red": "красная"}
BUCKET_LABELS = {"day": "День", "week": "Неделя (начало)", "month": "Месяц"}
_MONTHS = ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")
# Background of the red, yellow and green zones of the score chart (thresholds: the checklist's).
BAND_COLORS = ("#fee2e2", "#fef9c3", "#dcfce7")


def date_label(moment: datetime) -> str:
    """A day as Russian readers write it: 14.03.2026."""
    return moment.strftime("%d.%m.%Y")


def offset_label(moment: datetime) -> str:
    """The UTC offset a call was given with, as UTC+03:00."""
    raw = moment.strftime("%z")
    return f"UTC{raw[:3]}:{raw[3:5]}" if raw else "UTC"


def period_label(moment: datetime, bucket: str) -> str:
    """A short axis label: 14.03 for days and weeks, мар 26 for months."""
    if bucket == "month":
        return f"{_MONTHS[moment.month - 1]} {moment:%y}"
    return moment.strftime("%d.%m")


def num(value: float | None, digits: int = 2) -> str:
    """A figure without trailing zeros, a real minus sign, and a dash for no data."""
    if value is None:
        return "—"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text.replace("-", "−")


def signed(value: float | None, better_when_lower: bool = False, neutral: bool = False) -> str:
    """A delta cell: arrow, sign, and green when it is an improvement (grey if `neutral`)."""
    if value is None:
        return "<td class='delta'>—</td>"
    shown = num(value)
    good = value < 0 if better_when_lower else value > 0
    cls = "flat" if value == 0 or neutral else "good" if good else "bad"
    arrow = "" if value == 0 else "▲ " if value > 0 else "▼ "
    sign = "+" if value > 0 else ""
    return f"<td class='delta {cls}'>{arrow}{sign}{shown}</td>"


def category_label(category: dict[str, Any]) -> str:
    """A category's title in its colour."""
    return f"<span style='color:{escape(category['color'])}'>{escape(category['title'])}</span>"


def call_page_link(base_url: str, call_id: int, utterance: int | None = None) -> str:
    """The call page (GET /calls/{id}), at one utterance's anchor when given."""
    anchor = "" if utterance is None else f"#u{utterance}"
    return escape(f"{base_url}/calls/{call_id}{anchor}")


def calls_table(title: str, calls: list[dict[str, Any]], base_url: str) -> str:
    """Best or worst calls: link, external id, start with its offset, score and grade."""
    rows = "".join(
        f"<tr><td><a href='{call_page_link(base_url, c['id'])}'>#{c['id']}</a>"
        f"<br><small>{escape(c['external_id'])}</small></td>"
        f"<td>{c['started_at']:%d.%m.%Y %H:%M}"
        f"<br><small>{offset_label(c['started_at'])}</small></td>"
        f"<td class='num'><span class='dot g-{escape(c['grade'])}' "
        f"title='{GRADE_LABELS.get(c['grade'], '')}'></span>{num(c['total'], 1)}</td></tr>"
        for c in calls
    )
    return (
        f"<div><h3>{title}</h3><table><thead><tr><th>звонок</th><th>начало</th>"
        f"<th class='num'>балл</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def data_table(report: dict[str, Any]) -> str:
    """The series as a table, for print and for readers who want the numbers."""
    categories = report["categories"]
    rows = "".join(
        f"<tr><td>{date_label(p['period_start'])}</td><td class='num'>{p['calls']}</td>"
        f"<td class='num'>{num(p['avg_total'])}</td>"
        f"<td class='num'>{num(p['avg_questions_total'])}</td>"
        + "".join(f"<td class='num'>{num(p['avg_questions'][c['key']])}</td>" for c in categories)
        + f"<td class='num'>{num(p['violations_per_call'])}</td></tr>"
        for p in report["series"]
    )
    heads = "".join(f"<th class='num'>{escape(c['title'])}</th>" for c in categories)
    return (
        "<section class='data'><h2>Данные по периодам</h2>"
        "<p class='note'>Средние на один звонок; пустой период — звонков не было.</p>"
        "<table><thead><tr>"
        f"<th>{BUCKET_LABELS[report['bucket']].lower()}</th><th class='num'>звонков</th>"
        f"<th class='num'>балл</th><th class='num'>вопросов</th>{heads}"
        f"<th class='num'>запрещ. фраз</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )
