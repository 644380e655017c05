"""The call page as a browser shows it: Chromium lays out a stored corpus call, and what a
reader sees (the coloured category marks, the struck phrase with its replacement beside it,
the Russian headings) is read back from the rendered page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.chromium import chromium, console

CALL = Path(__file__).parents[1] / "data" / "corpus" / "009_timestamps_presentation.txt"
# Reads the laid-out page; only the test's copy has it, the product page carries no script.
SEEN = """<script>
window.addEventListener('load', () => {
  const style = el => getComputedStyle(el);
  const seen = {
    headings: [...document.querySelectorAll('h2')].map(h => h.innerText),
    marks: [...document.querySelectorAll('.q')].map(q => ({
      text: q.innerText, category: q.dataset.category,
      label: q.previousElementSibling && q.previousElementSibling.innerText,
      underline: style(q).borderBottomColor, visible: q.getBoundingClientRect().width > 0})),
    swaps: [...document.querySelectorAll('.transcript del')].map(d => ({
      struck: d.innerText, line: style(d).textDecorationLine,
      beside: d.nextElementSibling && d.nextElementSibling.tagName,
      replacement: d.nextElementSibling && d.nextElementSibling.innerText})),
    verdicts: [...document.querySelectorAll('td.verdict')].map(v => v.innerText),
  };
  const pre = document.createElement('pre');
  pre.id = 'seen';
  pre.textContent = JSON.stringify(seen);
  document.body.appendChild(pre);
});
</script>"""


def test_a_stored_call_reads_in_chromium_with_marks_and_replacements(
    client: TestClient, make_call: Any, tmp_path: Path
) -> None:
    stored = client.post("/v1/calls", json=make_call(transcript=CALL.read_text("utf-8")))
    assert stored.status_code == 201, stored.text
    score = stored.json()["score"]
    html = client.get(f"/calls/{stored.json()['id']}").text
    page, measured = tmp_path / "call.html", tmp_path / "seen.html"
    page.write_text(html, encoding="utf-8")
    measured.write_text(html.replace("</body>", SEEN + "</body>"), encoding="utf-8")
    screenshot = tmp_path / "call.png"

    shot = chromium(
        tmp_path / "profile",
        "--enable-logging=stderr",
        "--v=0",
        f"--screenshot={screenshot}",
        "--window-size=1280,3000",
        page.as_uri(),
    )
    dom = chromium(tmp_path / "profile", "--dump-dom", measured.as_uri()).stdout

    assert console(shot.stderr) == []
    assert screenshot.read_bytes().startswith(b"\x89PNG") and screenshot.stat().st_size > 50_000
    found = re.search(r'<pre id="seen">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    seen = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert seen["headings"] == [
        "Пункты чек-листа",
        "Вопросы менеджера",
        "Запрещённые фразы и чем их заменить",
        "Расшифровка",
    ]
    expertise = [m for m in seen["marks"] if m["category"] == "expertise"]
    assert len(expertise) == score["question_counts"]["expertise"] == 3
    assert all(m["visible"] for m in seen["marks"])
    assert {m["underline"] for m in expertise} == {"rgb(37, 99, 235)"}
    assert [m["label"] for m in seen["marks"]].count("Экспертные вопросы") == 3
    assert len(seen["swaps"]) == len(score["violations"]) == 3
    for swap, violation in zip(seen["swaps"], score["violations"], strict=True):
        assert swap["struck"].lower() == violation["matched"].lower()
        assert swap["line"] == "line-through"
        assert swap["beside"] == "INS" and swap["replacement"] == violation["replacement"]
    assert sorted(set(seen["verdicts"])) == ["✓ выполнен", "✗ не выполнен"]
