"""The HTML report as a browser shows it: Debian's headless Chromium renders the page, says
nothing on its console, draws every chart with a real size, and writes a screenshot and a PDF.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.chromium import chromium, console
from tests.trends.conftest import TRAINING_DAY

# Measures every chart after layout and records script errors; only the test's copy has it,
# the product page carries no JavaScript at all.
MEASURE = """<script>
window.addEventListener('error', e => document.body.dataset.errors += e.message + ';');
window.addEventListener('load', () => {
  const sizes = [...document.querySelectorAll('svg.chart')].map(svg => {
    const r = svg.getBoundingClientRect();
    return {title: svg.getAttribute('aria-label'), width: r.width, height: r.height};
  });
  const pre = document.createElement('pre');
  pre.id = 'chart-sizes';
  pre.textContent = JSON.stringify(sizes);
  document.body.appendChild(pre);
});
</script>"""


def test_the_html_report_renders_in_chromium_with_every_chart_drawn(
    client: TestClient, scenario: list[dict[str, Any]], tmp_path: Path
) -> None:
    response = client.get(
        "/v1/managers/m-olga/report",
        params={
            "from": "2026-01-05",
            "to": "2026-03-15",
            "compare_before": str(TRAINING_DAY),
            "format": "html",
        },
    )
    page = tmp_path / "report.html"
    page.write_text(response.text, encoding="utf-8")
    measured = tmp_path / "measured.html"
    measured.write_text(response.text.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    screenshot, pdf = tmp_path / "report.png", tmp_path / "report.pdf"

    shot = chromium(
        tmp_path / "profile",
        "--enable-logging=stderr",
        "--v=0",
        f"--screenshot={screenshot}",
        "--window-size=1280,2400",
        page.as_uri(),
    )
    printed = chromium(
        tmp_path / "profile", "--enable-logging=stderr", f"--print-to-pdf={pdf}", page.as_uri()
    )
    dom = chromium(tmp_path / "profile", "--dump-dom", measured.as_uri()).stdout

    assert console(shot.stderr) == [] and console(printed.stderr) == []
    assert screenshot.read_bytes().startswith(b"\x89PNG") and screenshot.stat().st_size > 50_000
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    assert 'data-errors="' not in dom
    found = re.search(r"<pre id=\"chart-sizes\">(.*?)</pre>", dom, re.S)
    assert found, dom[-2000:]
    sizes = json.loads(found.group(1).replace("&quot;", '"'))
    assert [s["title"] for s in sizes] == [
        "Средний балл звонка",
        "Вопросов за звонок по видам",
        "Выполнение пунктов чек-листа",
    ]
    for chart in sizes:
        assert chart["width"] > 600 and chart["height"] > 200, chart
    assert "Что тренировать" in dom and "Замените фразы" in dom
