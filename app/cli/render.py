"""The readable, coloured score summary a trainer reads in a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from app.i18n import _, number
from app.services import wording
from app.services.categories import categories_of

_GRADE_STYLE = {"green": "bold green", "yellow": "bold yellow", "red": "bold red"}


def _time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    m, s = divmod(int(seconds), 60)
    return f"{m:02d}:{s:02d}"


def render_score(console: Console, data: dict[str, Any], title: str | None = None) -> None:
    """Print items, questions and violations with the words said and the replacement."""
    grade = data["grade"]
    head = Text()
    if title:
        head.append(f"{title}\n", style="bold")
    head.append(f"{number(data['total'], 1)} / 100 ", style=_GRADE_STYLE[grade])
    head.append(f"({wording.grade(grade)})", style=_GRADE_STYLE[grade])
    checklist = data["checklist"]
    head.append("   " + _("checklist %(key)s, version %(version)s", **checklist))
    m = data["manager"]
    manager = _(
        "manager: %(speaker)s — %(reason)s", speaker=m["speaker"], reason=wording.manager_reason(m)
    )
    head.append(f"\n{manager}", style="dim")
    warning = _("warning")
    for w in data.get("warnings", []):
        head.append(f"\n{warning} {w['code']}: {wording.warning(w)}", style="yellow")
    console.print(head)

    items = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    items.add_column("")
    items.add_column(_("item"))
    items.add_column(_("points"), justify="right")
    items.add_column(_("why"))
    for item in data["items"]:
        mark = Text("✔", style="green") if item["passed"] else Text("✘", style="red")
        points = f"{number(item['points'])}/{number(item['max_points'])}"
        items.add_row(mark, item["title"], points, wording.item_detail(item))
    console.print(items)

    # The checklist's own titles and colours; `other` dim.
    shown = {c.key: c for c in categories_of(data["checklist"]["key"]).shown}
    titles = {k: c.title for k, c in shown.items()} | {"other": _("Other questions")}
    styles = {k: c.color for k, c in shown.items()} | {"other": "dim"}
    counts = ", ".join(f"{titles.get(k, k)} {v}" for k, v in data["question_counts"].items())
    asked = _("Questions (%(n)s): %(counts)s", n=len(data["questions"]), counts=counts)
    console.print(Text(f"\n{asked}", style="bold"))
    width = max((len(t) for t in titles.values()), default=10) + 1
    for q in data["questions"]:
        line = Text(f"  #{q['utterance']:<4}{_time(q['start']):>6} ")
        title = titles.get(q["category"], q["category"])
        line.append(f"{title:<{width}}", style=styles.get(q["category"], "blue"))
        line.append(q["text"])
        console.print(line)

    said = _("Forbidden phrases (%(n)s)", n=len(data["violations"]))
    console.print(Text(f"\n{said}", style="bold"))
    for v in data["violations"]:
        line = Text(f"  #{v['utterance']:<4}{_time(v['start']):>6} ")
        line.append(f"«{v['matched']}»", style="red")
        line.append(" → ")
        line.append(f"«{v['replacement']}»", style="green")
        console.print(line)
    console.print()
