"""Labels, number and date formats, and the plain tables of the trainer report page.

Kept apart from the page layout (report_html) so each stays small; every user string that
reaches HTML here goes through html.escape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from html import escape
from typing import Any

from babel.dates import format_date

from app import i18n
from app.engine.checklist import OTHER
from app.i18n import N_, _, ngettext
from app.services import wording

_BUCKETS = {"day": N_("Day"), "week": N_("Week (start)"), "month": N_("Month")}
GRADES = ("green", "yellow", "red")
# Background of the red, yellow and green zones of the score chart (thresholds: the checklist's).
BAND_COLORS = ("#fee2e2", "#fef9c3", "#dcfce7")


def bucket_label(bucket: str) -> str:
    """The axis title of a bucket size, in the current language."""
    return _(_BUCKETS[bucket])


def date_label(moment: datetime) -> str:
    """A day as readers of the current language write it (14.03.2026 in ru)."""
    return i18n.day(moment)


def offset_label(moment: datetime) -> str:
    """The UTC offset a call was given with, as UTC+03:00."""
    raw = moment.strftime("%z")
    return f"UTC{raw[:3]}:{raw[3:5]}" if raw else "UTC"


def period_label(moment: datetime, bucket: str) -> str:
    """A short axis label: 14.03 for days and weeks, мар. 26 for months (Babel's words)."""
    if bucket == "month":
        return format_date(moment, format="LLL yy", locale=i18n.current())
    return format_date(
        moment, format="dd.MM" if i18n.current() == "ru" else "MMM d", locale=i18n.current()
    )


def times(count: int) -> str:
    """How often something was said: "35 раз", "2 раза"."""
    return ngettext("%(n)s time", "%(n)s times", count)


def footer() -> str:
    """What every report page says of where its figures come from."""
    return _(
        "callqa · scores by the checklist; questions and forbidden phrases found automatically "
        "in the manager's utterances"
    )


def grade_label(grade: str) -> str:
    """A grade's name in the current language."""
    return wording.grade(grade)


def num(value: float | None, digits: int = 2) -> str:
    """A figure without trailing zeros in the current language (0,5 in ru), a real minus
    sign, and a dash for no data."""
    return i18n.number(value, digits).replace("-", "−")


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
    """A category's title in its colour; the questions no category claimed are named by
    callqa (in the current language), the others by their checklist."""
    title = _("Other questions") if category.get("key") == OTHER else category["title"]
    return f"<span style='color:{escape(category['color'])}'>{escape(title)}</span>"


ShareLinks = Callable[[int], str]
"""The share token of a call's page, for a report opened through a share link."""
_SHARE: ContextVar[ShareLinks | None] = ContextVar("share_links", default=None)


@contextmanager
def sharing(share: ShareLinks | None) -> Iterator[None]:
    """Call links rendered inside carry `share(call_id)` (set once, not passed through every
    section of a report)."""
    token = _SHARE.set(share)
    try:
        yield
    finally:
        _SHARE.reset(token)


def call_page_link(base_url: str, call_id: int, utterance: int | None = None) -> str:
    """The call page (GET /calls/{id}), at one utterance's anchor when given, with its own
    share link when the report was opened through one."""
    anchor = "" if utterance is None else f"#u{utterance}"
    share = _SHARE.get()
    query = f"?share={share(call_id)}" if share else ""
    return escape(f"{base_url}/calls/{call_id}{query}{anchor}")


def calls_table(title: str, calls: list[dict[str, Any]], base_url: str) -> str:
    """Best or worst calls: link, external id, start with its offset, score and grade."""
    rows = "".join(
        f"<tr><td><a href='{call_page_link(base_url, c['id'])}'>#{c['id']}</a>"
        f"<br><small>{escape(c['external_id'])}</small></td>"
        f"<td>{c['started_at']:%d.%m.%Y %H:%M}"
        f"<br><small>{offset_label(c['started_at'])}</small></td>"
        f"<td class='num'><span class='dot g-{escape(c['grade'])}' "
        f"title='{grade_label(c['grade'])}'></span>{num(c['total'], 1)}</td></tr>"
        for c in calls
    )
    call, start, score = _("call"), _("start"), _("score")
    return (
        f"<div><h3>{title}</h3><table><thead><tr><th>{call}</th><th>{start}</th>"
        f"<th class='num'>{score}</th></tr></thead><tbody>{rows}</tbody></table></div>"
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
    title, note = _("Figures by period"), _("Averages per call; an empty period had no calls.")
    calls, score, asked, said = _("calls"), _("score"), _("questions"), _("forbidden phrases")
    return (
        f"<section class='data'><h2>{title}</h2><p class='note'>{note}</p><table><thead><tr>"
        f"<th>{bucket_label(report['bucket']).lower()}</th><th class='num'>{calls}</th>"
        f"<th class='num'>{score}</th><th class='num'>{asked}</th>{heads}"
        f"<th class='num'>{said}</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )
