"""The trainer report as one self-contained HTML page: inline CSS, inline SVG charts, no script.

Trainers read it on screen, print it, or mail it as a file; so nothing is fetched, every user
string is escaped, and `@media print` keeps sections whole on A4. Headings are Russian.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any

from app.i18n import _, current
from app.services import charts
from app.services.periods import next_bucket
from app.services.report_css import CSS
from app.services.report_format import (
    BAND_COLORS,
    GRADES,
    ShareLinks,
    bucket_label,
    call_page_link,
    calls_table,
    category_label,
    data_table,
    date_label,
    footer,
    grade_label,
    num,
    period_label,
    sharing,
    signed,
    times,
)


def _header(report: dict[str, Any]) -> str:
    who = report["manager_name"] or report["manager_id"]
    checklist = report["checklist"] or _("all")
    last_day = date_label(report["to"] - timedelta(microseconds=1))
    title = _("Trainer report: %(who)s", who=escape(who))
    meta = _(
        "Manager <b>%(manager)s</b> · period <b>%(first)s — %(last)s</b> (%(tz)s) · "
        "checklist: %(checklist)s · made %(made)s",
        manager=escape(report["manager_id"]),
        first=date_label(report["from"]),
        last=last_day,
        tz=escape(report["tz"]),
        checklist=escape(checklist),
        made=f"{date_label(report['generated_at'])} {report['generated_at']:%H:%M}",
    )
    return f"<header><h1>{title}</h1><p class='meta'>{meta}</p></header>"


def _kpis(summary: dict[str, Any], categories: list[dict[str, Any]]) -> str:
    q = summary["avg_questions"]
    grades = summary["grades"]
    calls = max(summary["calls"], 1)
    bar = "".join(
        f"<span class='g-{g}' style='width:{100 * grades[g] / calls:.1f}%'></span>"
        for g in GRADES
        if grades[g]
    )
    split = " · ".join(f"{category_label(c)} {num(q[c['key']])}" for c in categories)
    legend = " · ".join(f"{grade_label(g)}: {grades[g]}" for g in GRADES)
    cards = (
        (str(summary["calls"]), _("calls"), ""),
        (num(summary["avg_total"], 1), _("average score of 100"), ""),
        (num(summary["avg_questions_total"], 1), _("questions per call"), split),
        (num(summary["violations_per_call"]), _("forbidden phrases per call"), ""),
    )
    shown = "".join(
        f"<div class='kpi'><div class='v'>{v}</div><div class='l'>{label}</div>"
        + (f"<div class='s'>{sub}</div>" if sub else "")
        + "</div>"
        for v, label, sub in cards
    )
    grades_title = _("Call grades")
    return (
        f"<section class='kpis'>{shown}"
        f"<div class='kpi wide'><div class='l'>{grades_title}</div><div class='gbar'>{bar}</div>"
        f"<div class='s'>{legend}</div></div></section>"
    )


def _comparison(report: dict[str, Any]) -> str:
    comp = report.get("comparison")
    if not comp:
        return ""
    before, after, delta = comp["before"], comp["after"], comp["delta"]
    rows = [
        (_("Calls"), before["calls"], after["calls"], signed(delta["calls"], neutral=True)),
        (_("Average score"), before["avg_total"], after["avg_total"], signed(delta["avg_total"])),
        (
            _("Questions per call"),
            before["avg_questions_total"],
            after["avg_questions_total"],
            signed(delta["avg_questions_total"]),
        ),
    ]
    for c in report["categories"]:
        key = c["key"]
        rows.append(
            (
                f"— {category_label(c)}",
                before["avg_questions"][key],
                after["avg_questions"][key],
                signed(delta["avg_questions"][key]),
            )
        )
    rows.append(
        (
            _("Forbidden phrases per call"),
            before["violations_per_call"],
            after["violations_per_call"],
            signed(delta["violations_per_call"], better_when_lower=True),
        )
    )
    body = "".join(
        f"<tr><th>{label}</th><td>{num(b)}</td><td>{num(a)}</td>{d}</tr>" for label, b, a, d in rows
    )
    title = _("Before and after the training (%(day)s)", day=date_label(after["from"]))
    heads = (_("before"), _("after"), _("change"))
    return (
        f"<section><h2>{title}</h2><table class='cmp'><thead><tr><th></th>"
        f"<th>{heads[0]}<br><small>{_span(before)}</small></th>"
        f"<th>{heads[1]}<br><small>{_span(after)}</small></th>"
        f"<th>{heads[2]}</th></tr></thead><tbody>{body}</tbody></table></section>"
    )


def _span(part: dict[str, Any]) -> str:
    """A period as its first and last local day (its `to` is exclusive)."""
    if part["to"] <= part["from"]:
        return _("no data")
    last = part["to"] - timedelta(microseconds=1)
    return f"{part['from']:%d.%m} — {date_label(last)}"


def _highlight(text: str, matched: str) -> str:
    at = text.lower().find(matched.lower()) if matched else -1
    if at < 0:
        return escape(text)
    end = at + len(matched)
    return f"{escape(text[:at])}<mark>{escape(text[at:end])}</mark>{escape(text[end:])}"


def _example(base_url: str, text: str, call_id: int, utterance: int, started_at: Any) -> str:
    link = call_page_link(base_url, call_id, utterance)
    where = _("call #%(call)s, utterance %(n)s", call=call_id, n=utterance + 1)
    return f"<li><q>{text}</q> <a href='{link}'>{where}</a> · {date_label(started_at)}</li>"


def _weak_categories(report: dict[str, Any], base_url: str) -> str:
    """Categories below target, each with model questions to borrow."""
    cards = []
    for c in report["weak_categories"]:
        examples = "".join(
            _example(base_url, escape(e["text"]), e["call_id"], e["utterance"], e["started_at"])
            for e in c["model_questions"]
        )
        if c["model_source"] == "manager":
            source = _("Asked like this in the manager's best calls:")
        else:
            source = _("Asked like this in the team's best calls:")
        note = f"<p class='note'>{source}</p>" if examples else ""
        goal = _(
            "%(category)s: <b>%(average)s</b> per call against a target of <b>%(target)s</b>",
            category=category_label(c),
            average=num(c["average"]),
            target=num(c["target"]),
        )
        cards.append(
            f"<li class='target'><div class='goal'>{goal}</div>{note}"
            f"<ul class='ex'>{examples}</ul></li>"
        )
    if not cards:
        return ""
    return "<h3>" + _("Ask more questions") + f"</h3><ol>{''.join(cards)}</ol>"


def _weak_items(report: dict[str, Any]) -> str:
    rows = "".join(
        "<li>"
        + _(
            "<b>%(item)s</b>: met in %(rate)s %% of calls (%(passed)s of %(calls)s)",
            item=escape(i["title"]),
            rate=num(i["rate"] * 100, 0),
            passed=i["passed"],
            calls=i["calls"],
        )
        + "</li>"
        for i in report["weak_items"]
    )
    if not rows:
        return ""
    return "<h3>" + _("Checklist items to work on") + f"</h3><ul class='items'>{rows}</ul>"


def _phrases(report: dict[str, Any], base_url: str) -> str:
    phrases = report["top_phrases"]
    title = _("Replace phrases")
    if not phrases:
        return f"<h3>{title}</h3><p>" + _("No forbidden phrases were said in the period.") + "</p>"
    cards = []
    for p in phrases:
        examples = "".join(
            _example(
                base_url,
                _highlight(e["text"] or e["matched"], e["matched"]),
                e["call_id"],
                e["utterance"],
                e["started_at"],
            )
            for e in p["examples"]
        )
        cards.append(
            "<li class='phrase'><div class='swap'>"
            f"<span class='bad'>«{escape(p['phrase'])}»</span><span class='arrow'>→</span>"
            f"<span class='good'>«{escape(p['replacement'] or '—')}»</span>"
            f"<span class='count'>{times(p['count'])}</span></div>"
            f"<ul class='ex'>{examples}</ul></li>"
        )
    return f"<h3>{title}</h3><ol>{''.join(cards)}</ol>"


def _coaching(report: dict[str, Any], base_url: str) -> str:
    return (
        "<section class='coach'><h2>"
        + _("What to train")
        + "</h2>"
        + _weak_categories(report, base_url)
        + _weak_items(report)
        + _phrases(report, base_url)
        + "</section>"
    )


def training_marker(starts: list[datetime], bucket: str, cut: datetime) -> tuple[float, str] | None:
    """Where an instant falls on the series axis (bucket i spans [i, i + 1)) and its label:
    the training marker sits on the compare_before moment itself, the last bucket included
    (measured against the bucket's full length, which a window may cut short)."""
    for i, start in enumerate(starts):
        end = next_bucket(start, bucket)
        if start <= cut < end:
            label = _("training %(day)s", day=period_label(cut, "day"))
            return i + (cut - start) / (end - start), label
    return None


def _marker(report: dict[str, Any]) -> tuple[float, str] | None:
    """The training date on the series axis, when the report compares before and after."""
    comp = report.get("comparison")
    if not comp or not report["series"]:
        return None
    starts = [p["period_start"] for p in report["series"]]
    return training_marker(starts, report["bucket"], comp["after"]["from"])


def _bands(report: dict[str, Any]) -> tuple[tuple[float, float, str, str], ...]:
    """The grade zones of the report's checklist; none when it has no checklist."""
    grades = report.get("grade_bands")
    if grades is None:
        return ()
    green, yellow = grades["green"], grades["yellow"]
    return (
        (0.0, yellow, BAND_COLORS[0], _("red zone < %(low)s", low=num(yellow))),
        (
            yellow,
            green,
            BAND_COLORS[1],
            _("yellow %(low)s–%(high)s", low=num(yellow), high=num(green)),
        ),
        (green, 100.0, BAND_COLORS[2], _("green ≥ %(low)s", low=num(green))),
    )


def _charts(report: dict[str, Any]) -> str:
    series, bucket = report["series"], report["bucket"]
    labels = [period_label(p["period_start"], bucket) for p in series]
    x_label = bucket_label(bucket)
    marker = _marker(report)
    line = charts.line_chart(
        labels,
        [p["avg_total"] for p in series],
        title=_("Average call score"),
        y_label=_("score (0–100)"),
        x_label=x_label,
        bands=_bands(report),
        marker=marker,
    )
    stacks = [
        (c["title"], c["color"], [p["avg_questions"][c["key"]] for p in series])
        for c in report["categories"]
    ]
    bars = charts.stacked_bars(
        labels,
        stacks,
        title=_("Questions per call by kind"),
        y_label=_("questions per call"),
        x_label=x_label,
        marker=marker,
    )
    items = charts.rate_bars(
        _item_bars(report),
        title=_("Checklist items met"),
        legend=(_("before the training"), _("after")) if report.get("comparison") else None,
    )
    return "<section class='charts'><h2>" + _("Trends") + f"</h2>{line}{bars}{items}</section>"


def _item_bars(report: dict[str, Any]) -> list[charts.Bar]:
    """An item's pass rate, or for a question-count item its average against the target (so
    a rise from 2,3 to 5,6 questions shows below a target of 10); before and after a training
    when compared."""
    comp = report.get("comparison")
    bars = []
    for i in report["item_pass_rates"]:
        key, target = i["key"], i["target"]
        if target is None:
            after = comp["after"]["item_pass_rate"].get(key) if comp else i["rate"]
            before = comp["before"]["item_pass_rate"].get(key) if comp else None
            bars.append(charts.Bar(i["title"], after, before))
            continue
        category = i["category"]
        now = comp["after"]["avg_questions"].get(category) if comp else i["average"]
        was = comp["before"]["avg_questions"].get(category) if comp else None
        figures = f"{num(was, 1)} → " if was is not None else ""
        figures += _("%(average)s of %(target)s", average=num(now, 1), target=num(target))
        bars.append(
            charts.Bar(
                _("%(item)s, against target", item=i["title"]),
                None if now is None else min(now / target, 1.0),
                None if was is None else min(was / target, 1.0),
                figures,
            )
        )
    return bars


def render_report_html(
    report: dict[str, Any], *, base_url: str = "", share: ShareLinks | None = None
) -> str:
    """The whole page; `base_url` makes call links absolute for a saved file, `share` gives
    them share links."""
    with sharing(share):
        return _page(report, base_url.rstrip("/"))


def _page(report: dict[str, Any], base: str) -> str:
    calls = (
        "<section class='calls'><h2>"
        + _("Best and worst calls")
        + "</h2><div class='two'>"
        + calls_table(_("Best"), report["best_calls"], base)
        + calls_table(_("Worst"), report["worst_calls"], base)
        + "</div></section>"
    )
    who = escape(report["manager_name"] or report["manager_id"])
    return (
        f"<!doctype html><html lang='{current()}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>" + _("Trainer report: %(who)s", who=who) + f"</title>"
        f"<style>{CSS}</style></head><body><main>"
        + _header(report)
        + _kpis(report["summary"], report["categories"])
        + _comparison(report)
        + _coaching(report, base)
        + _charts(report)
        + calls
        + data_table(report)
        + f"<footer>{footer()}</footer></main></body></html>"
    )
