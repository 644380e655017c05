"""The readable, coloured score summary a trainer reads in a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

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
    head.append(f"{data['total']:.1f} / 100 ", style=_GRADE_STYLE[grade])
    head.append(f"({grade})", style=_GRADE_STYLE[grade])
    head.append(f"   checklist {data['checklist']['key']} @ {data['checklist']['version']}")
    m = data["manager"]
    head.append(f"\nmanager: {m['speaker']} — {m['reason']}", style="dim")
    for w in data.get("warnings", []):
        head.append(f"\nwarning {w['code']}: {w['message']}", style="yellow")
    console.print(head)

    items = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    items.add_column("")
    items.add_column("item")
    items.add_column("points", justify="right")
    items.add_column("why")
    for item in data["items"]:
        mark = Text("✔", style="green") if item["passed"] else Text("✘", style="red")
        items.add_row(
            mark, item["title"], f"{item['points']:g}/{item['max_points']:g}", item["detail"]
        )
    console.print(items)

    # The checklist's own colours; `other` dim.
    styles = {c.key: c.color for c in categories_of(data["checklist"]["key"]).shown}
    styles["other"] = "dim"
    counts = ", ".join(f"{k} {v}" for k, v in data["question_counts"].items())
    console.print(Text(f"\nQuestions ({len(data['questions'])}): {counts}", style="bold"))
    for q in data["questions"]:
        line = Text(f"  #{q['utterance']:<4}{_time(q['start']):>6} ")
        line.append(f"{q['category']:<11}", style=styles.get(q["category"], "blue"))
        line.append(q["text"])
        console.print(line)

    console.print(Text(f"\nForbidden phrases ({len(data['violations'])})", style="bold"))
    for v in data["violations"]:
        line = Text(f"  #{v['utterance']:<4}{_time(v['start']):>6} ")
        line.append(f"«{v['matched']}»", style="red")
        line.append(" → ")
        line.append(f"«{v['replacement']}»", style="green")
        console.print(line)
    console.print()
