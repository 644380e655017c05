"""The team report as one self-contained HTML page (inline CSS and SVG, no script), in the
trainer report's style: managers side by side with trend lines, who improved most, and the
phrases the team says most with their replacements."""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Any

from app.services import charts
from app.services.report_css import CSS
from app.services.report_format import category_label, date_label, num, signed
from app.services.report_html import training_marker


def _who(entry: dict[str, Any]) -> str:
    return escape(entry["manager_name"] or entry["manager_id"])


def _header(report: dict[str, Any]) -> str:
    last_day = date_label(report["to"] - timedelta(microseconds=1))
    return (
        f"<header><h1>Отчёт по команде {escape(report['team_id'])}</h1>"
        f"<p class='meta'>Период <b>{date_label(report['from'])} — {last_day}</b> "
        f"({escape(report['tz'])}) · чек-лист: {escape(report['checklist'] or 'все')} · "
        f"сформирован {report['generated_at']:%d.%m.%Y %H:%M}</p></header>"
    )


def _kpis(report: dict[str, Any]) -> str:
    s = report["summary"]
    figures = (
        (len(report["managers"]), "менеджеров"),
        (s["calls"], "звонков"),
        (num(s["avg_total"], 1), "средний балл из 100"),
        (num(s["avg_questions_total"], 1), "вопросов за звонок"),
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
            title=f"Средний балл: {m['manager_id']}",
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
    since = f"<th class='num'>балл<br>с {report['compare_before']:%d.%m}</th>" if compared else ""
    return (
        "<section><h2>Менеджеры рядом</h2>"
        "<p class='note'>Средние на звонок; линия — средний балл по периодам, "
        "пунктир — тренинг.</p>"
        "<table class='team'><thead><tr><th>менеджер</th><th class='num'>звонков</th>"
        f"<th class='num'>балл</th><th class='num'>вопросов</th>{heads}"
        f"<th class='num'>запрещ. фраз</th><th>динамика балла</th>{since}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
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
    since = date_label(report["compare_before"])
    body = (
        "<table class='cmp'><thead><tr><th></th><th>балл до</th><th>после</th><th>изменение</th>"
        "<th>вопросов до</th><th>после</th><th>изменение</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        if rows
        else "<p>Нет менеджеров со звонками и до, и после.</p>"
    )
    return f"<section><h2>Кто вырос больше всех с {since}</h2>{body}</section>"


def _phrases(report: dict[str, Any]) -> str:
    cards = []
    for p in report["top_phrases"]:
        who = ", ".join(f"{escape(w['manager_id'])}: {w['count']}" for w in p["managers"])
        cards.append(
            "<li class='phrase'><div class='swap'>"
            f"<span class='bad'>«{escape(p['phrase'])}»</span><span class='arrow'>→</span>"
            f"<span class='good'>«{escape(p['replacement'] or '—')}»</span>"
            f"<span class='count'>{p['count']} раз</span></div>"
            f"<p class='note'>Кто говорит: {who}</p></li>"
        )
    body = (
        f"<ol>{''.join(cards)}</ol>" if cards else "<p>За период запрещённых фраз не найдено.</p>"
    )
    return (
        f"<section class='coach'><h2>Что тренировать команде: замените фразы</h2>{body}</section>"
    )


def render_team_report_html(report: dict[str, Any]) -> str:
    """The whole page."""
    return (
        "<!doctype html><html lang='ru'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Отчёт по команде — {escape(report['team_id'])}</title>"
        f"<style>{CSS}</style></head><body><main>"
        + _header(report)
        + _kpis(report)
        + _managers(report)
        + _improved(report)
        + _phrases(report)
        + "<footer>callqa · баллы по чек-листу, вопросы и запрещённые фразы найдены "
        "автоматически в репликах менеджера</footer></main></body></html>"
    )
