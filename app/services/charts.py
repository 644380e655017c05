"""Charts as inline SVG strings, drawn here so a report needs no JavaScript, CDN or network.

Each chart is a fixed viewBox scaled to the page width (it prints the same), carries its title,
axis labels and legend inside the SVG, and escapes every label it is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from app import i18n

WIDTH = 760
FONT = "font-family='system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif'"
GRID = "#e5e7eb"
AXIS = "#6b7280"
INK = "#111827"


@dataclass(frozen=True, slots=True)
class Frame:
    """The plot area inside an SVG of `height`, with room for title, axes and legend."""

    height: int
    left: int = 52
    right: int = 16
    top: int = 58
    bottom: int = 44

    @property
    def plot_w(self) -> float:
        return WIDTH - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    def y(self, value: float, y_max: float) -> float:
        return self.top + self.plot_h * (1 - value / y_max)

    def x_center(self, index: int, n: int) -> float:
        return self.left + self.plot_w * (index + 0.5) / max(n, 1)


def _svg(title: str, height: int, body: list[str]) -> str:
    t = escape(title)
    return (
        f"<svg class='chart' xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {WIDTH} {height}' "
        f"role='img' aria-label='{t}' {FONT}><title>{t}</title>"
        f"<text x='0' y='20' font-size='16' font-weight='600' fill='{INK}'>{t}</text>"
        + "".join(body)
        + "</svg>"
    )


def nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 2.5, 5 or 10 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _number(value: float) -> str:
    """One decimal at most, with the current language's decimal mark."""
    return i18n.number(value, 1)


def _y_axis(frame: Frame, y_max: float, label: str, ticks: int = 5, unit: str = "") -> list[str]:
    out = []
    for i in range(ticks + 1):
        value = y_max * i / ticks
        y = frame.y(value, y_max)
        out.append(
            f"<line x1='{frame.left}' x2='{WIDTH - frame.right}' y1='{y:.1f}' y2='{y:.1f}' "
            f"stroke='{GRID}'/>"
            f"<text x='{frame.left - 6}' y='{y + 4:.1f}' font-size='11' fill='{AXIS}' "
            f"text-anchor='end'>{_number(value)}{unit}</text>"
        )
    mid = frame.top + frame.plot_h / 2
    out.append(
        f"<text transform='translate(12 {mid:.1f}) rotate(-90)' font-size='11' fill='{AXIS}' "
        f"text-anchor='middle'>{escape(label)}</text>"
    )
    return out


def _x_labels(frame: Frame, labels: Sequence[str], x_label: str) -> list[str]:
    n = len(labels)
    every = max(1, math.ceil(n / 13))
    base = frame.top + frame.plot_h
    out = [
        f"<line x1='{frame.left}' x2='{WIDTH - frame.right}' y1='{base:.1f}' y2='{base:.1f}' "
        f"stroke='{AXIS}'/>"
    ]
    for i, label in enumerate(labels):
        if i % every == 0:
            out.append(
                f"<text x='{frame.x_center(i, n):.1f}' y='{base + 16:.1f}' font-size='11' "
                f"fill='{AXIS}' text-anchor='middle'>{escape(label)}</text>"
            )
    out.append(
        f"<text x='{frame.left + frame.plot_w / 2:.1f}' y='{frame.height - 6}' font-size='11' "
        f"fill='{AXIS}' text-anchor='middle'>{escape(x_label)}</text>"
    )
    return out


def _legend(entries: Sequence[tuple[str, str]], y: int = 40) -> list[str]:
    out, x = [], 0.0
    for label, color in entries:
        out.append(
            f"<rect x='{x:.1f}' y='{y - 10}' width='12' height='12' rx='2' fill='{color}'/>"
            f"<text x='{x + 17:.1f}' y='{y}' font-size='12' fill='{INK}'>{escape(label)}</text>"
        )
        x += 30 + 7.2 * len(label)
    return out


def _marker(frame: Frame, index: float | None, n: int, label: str) -> list[str]:
    """A dashed vertical line before bucket `index` (e.g. the training date)."""
    if index is None or n == 0:
        return []
    x = frame.left + frame.plot_w * index / n
    return [
        f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{frame.top - 4}' y2='{frame.top + frame.plot_h}' "
        f"stroke='{INK}' stroke-dasharray='5 4' stroke-width='1.5'/>"
        f"<text x='{x + 4:.1f}' y='{frame.top + 8}' font-size='11' fill='{INK}'>"
        f"{escape(label)}</text>"
    ]


def line_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    y_label: str,
    x_label: str,
    color: str = "#2563eb",
    y_max: float = 100.0,
    bands: Sequence[tuple[float, float, str, str]] = (),
    marker: tuple[float, str] | None = None,
) -> str:
    """A line with a dot and its value per bucket; a gap where a bucket has no calls.

    `bands` are (low, high, fill, legend label): the grade zones behind the line.
    """
    frame = Frame(height=300)
    n = len(labels)
    body: list[str] = []
    for low, high, fill, _ in bands:
        y1, y2 = frame.y(high, y_max), frame.y(low, y_max)
        body.append(
            f"<rect x='{frame.left}' y='{y1:.1f}' width='{frame.plot_w:.1f}' "
            f"height='{y2 - y1:.1f}' fill='{fill}'/>"
        )
    body += _y_axis(frame, y_max, y_label)
    body += _x_labels(frame, labels, x_label)
    body += _legend([(title_, fill) for _, _, fill, title_ in bands])
    runs: list[list[tuple[float, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            runs.append([])
            continue
        runs[-1].append((frame.x_center(i, n), frame.y(min(value, y_max), y_max)))
    # Dots (and their values) only while they stay apart; a year of days is a line.
    show_values, radius = n <= 26, 3.5 if n <= 26 else 2.0 if n <= 60 else 0.0
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            width = 2.5 if n <= 60 else 1.5
            body.append(
                f"<polyline points='{points}' fill='none' stroke='{color}' "
                f"stroke-width='{width}' stroke-linejoin='round'/>"
            )
        elif run and not radius:  # a lone day between empty ones would be invisible
            body.append(
                f"<circle cx='{run[0][0]:.1f}' cy='{run[0][1]:.1f}' r='1.5' fill='{color}'/>"
            )
    for i, value in enumerate(values):
        if value is None or not radius:
            continue
        x, y = frame.x_center(i, n), frame.y(min(value, y_max), y_max)
        body.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{radius}' fill='{color}'/>")
        if show_values:
            body.append(
                f"<text x='{x:.1f}' y='{y - 8:.1f}' font-size='10' fill='{INK}' "
                f"text-anchor='middle'>{_number(value)}</text>"
            )
    if marker is not None:
        body += _marker(frame, marker[0], n, marker[1])
    return _svg(title, frame.height, body)


def stacked_bars(
    labels: Sequence[str],
    stacks: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    title: str,
    y_label: str,
    x_label: str,
    marker: tuple[float, str] | None = None,
) -> str:
    """Bars per bucket stacked from (legend label, colour, values); the total above each bar."""
    frame = Frame(height=320)
    n = len(labels)
    totals = [sum(s[2][i] or 0 for s in stacks) for i in range(n)]
    y_max = nice_max(max(totals, default=0) * 1.1)
    body = _y_axis(frame, y_max, y_label) + _x_labels(frame, labels, x_label)
    body += _legend([(label, color) for label, color, _ in stacks])
    bar_w = max(2.0, frame.plot_w / max(n, 1) * 0.7)
    for i in range(n):
        x = frame.x_center(i, n) - bar_w / 2
        base = 0.0
        for _, color, values in stacks:
            value = values[i] or 0
            if value <= 0:
                continue
            y_top = frame.y(base + value, y_max)
            height = frame.y(base, y_max) - y_top
            body.append(
                f"<rect x='{x:.1f}' y='{y_top:.1f}' width='{bar_w:.1f}' height='{height:.1f}' "
                f"fill='{color}'/>"
            )
            base += value
        if totals[i] > 0 and n <= 26:
            body.append(
                f"<text x='{x + bar_w / 2:.1f}' y='{frame.y(base, y_max) - 4:.1f}' "
                f"font-size='10' fill='{INK}' text-anchor='middle'>{_number(totals[i])}</text>"
            )
    if marker is not None:
        body += _marker(frame, marker[0], n, marker[1])
    return _svg(title, frame.height, body)


def _rate_color(rate: float) -> str:
    return "#16a34a" if rate >= 0.8 else "#d97706" if rate >= 0.5 else "#dc2626"


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of `rate_bars`: a share 0-1, an earlier share drawn grey, and the figures
    written beside it (by default the shares as percentages)."""

    label: str
    rate: float | None
    before: float | None = None
    figures: str | None = None


def rate_bars(
    rows: Sequence[Bar],
    *,
    title: str,
    legend: tuple[str, str] | None = None,
) -> str:
    """Horizontal 0-100 % bars per row; the earlier share as a grey bar above.

    `legend` names the two periods when earlier shares are given.
    """
    label_w, row_h, top = 250, 30, 58
    height = top + row_h * max(len(rows), 1) + 28
    plot_w = WIDTH - label_w - (112 if legend else 84)
    values_x = label_w + plot_w + 10  # one column of figures, right of the 100 % line
    body: list[str] = []
    if legend:
        body += _legend([(legend[0], "#cbd5e1"), (legend[1], "#16a34a")])
    for pct in (0, 25, 50, 75, 100):
        x = label_w + plot_w * pct / 100
        body.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{top - 4}' y2='{height - 24}' stroke='{GRID}'/>"
            f"<text x='{x:.1f}' y='{height - 10}' font-size='11' fill='{AXIS}' "
            f"text-anchor='middle'>{pct}%</text>"
        )
    for i, row in enumerate(rows):
        label, rate, before = row.label, row.rate, row.before
        y = top + i * row_h
        shown = label if len(label) <= 36 else label[:35] + "…"
        body.append(
            f"<text x='{label_w - 8}' y='{y + 17}' font-size='12' fill='{INK}' "
            f"text-anchor='end'>{escape(shown)}</text>"
        )
        bar_y, bar_h = (y + 4, 20) if before is None else (y + 12, 13)
        figures = ""
        if before is not None:
            body.append(
                f"<rect x='{label_w}' y='{y + 2}' width='{plot_w * before:.1f}' height='9' "
                f"fill='#cbd5e1'/>"
            )
            figures = f"<tspan fill='{AXIS}'>{round(before * 100)} → </tspan>"
        if rate is not None:
            body.append(
                f"<rect x='{label_w}' y='{bar_y}' width='{plot_w * rate:.1f}' height='{bar_h}' "
                f"fill='{_rate_color(rate)}'/>"
            )
            figures += f"<tspan font-weight='600'>{round(rate * 100)}%</tspan>"
        if row.figures is not None:
            figures = f"<tspan font-weight='600'>{escape(row.figures)}</tspan>"
        if figures:
            body.append(
                f"<text x='{values_x:.1f}' y='{y + 18}' font-size='11' fill='{INK}'>"
                f"{figures}</text>"
            )
    return _svg(title, height, body)


def sparkline(
    values: Sequence[float | None],
    *,
    title: str,
    y_max: float = 100.0,
    marker: float | None = None,
    color: str = "#2563eb",
) -> str:
    """A small trend line for a table cell (100 x 36): gaps where a bucket has no calls, lone
    values and the last one as dots, and `marker` (a fractional bucket index) dashed."""
    width, height, pad = 100, 36, 3
    n = max(len(values), 1)

    def x(index: float) -> float:
        return pad + (width - 2 * pad) * index / n

    def y(value: float) -> float:
        return pad + (height - 2 * pad) * (1 - min(value, y_max) / y_max)

    body = [f"<line x1='0' x2='{width}' y1='{height - 1}' y2='{height - 1}' stroke='{GRID}'/>"]
    runs: list[list[str]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append(f"{x(i + 0.5):.1f},{y(value):.1f}")
    for run in runs:
        if len(run) > 1:
            body.append(
                f"<polyline points='{' '.join(run)}' fill='none' stroke='{color}' "
                "stroke-width='1.8' stroke-linejoin='round'/>"
            )
        elif run:
            cx, cy = run[0].split(",")
            body.append(f"<circle cx='{cx}' cy='{cy}' r='1.6' fill='{color}'/>")
    last = next(((i, v) for i, v in reversed(list(enumerate(values))) if v is not None), None)
    if last is not None:
        body.append(
            f"<circle cx='{x(last[0] + 0.5):.1f}' cy='{y(last[1]):.1f}' r='2.5' fill='{color}'/>"
        )
    if marker is not None:
        body.append(
            f"<line x1='{x(marker):.1f}' x2='{x(marker):.1f}' y1='0' y2='{height}' "
            f"stroke='{INK}' stroke-dasharray='3 3'/>"
        )
    t = escape(title)
    return (
        f"<svg class='spark' xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' "
        f"width='{width}' height='{height}' role='img' aria-label='{t}'><title>{t}</title>"
        + "".join(body)
        + "</svg>"
    )
