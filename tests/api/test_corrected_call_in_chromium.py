"""A corrected call as a browser shows it: the reviewer's answers in place, the machine's kept
visible beside them (struck category labels, "не вопрос", "не нарушение", the machine's
verdict and score), read back from the page Chromium laid out."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.chromium import chromium, console

SEEN = """<script>
window.addEventListener('load', () => {
  const text = el => el && el.innerText.trim();
  const seen = {
    score: text(document.querySelector('.kpi.score')),
    moved: [...document.querySelectorAll('.q.corrected')].map(q => ({
      text: text(q), category: q.dataset.category,
      was: text(q.previousElementSibling),
      label: text(q.previousElementSibling.previousElementSibling)})),
    notQuestions: [...document.querySelectorAll('.q.dismissed')].map(q => ({
      text: text(q), fix: text(q.previousElementSibling),
      was: text(q.previousElementSibling.previousElementSibling),
      wasStruck: getComputedStyle(q.previousElementSibling.previousElementSibling)
        .textDecorationLine})),
    notViolations: [...document.querySelectorAll('.not-violation')].map(v => ({
      text: text(v), struck: getComputedStyle(v).textDecorationLine,
      fix: text(v.nextElementSibling)})),
    added: [...document.querySelectorAll('del.added')].map(d => ({
      text: text(d), replacement: text(d.nextElementSibling)})),
    verdicts: [...document.querySelectorAll('td.verdict')].map(text),
    corrections: [...document.querySelectorAll('.corrections li')].map(text),
  };
  const pre = document.createElement('pre');
  pre.id = 'seen';
  pre.textContent = JSON.stringify(seen);
  document.body.appendChild(pre);
});
</script>"""
CORRECTIONS = [
    {"target": "question", "utterance": 4, "span": [27, 40], "category": "personal"},
    {"target": "question", "utterance": 12, "valid": False, "note": "это приглашение"},
    {"target": "violation", "utterance": 10, "phrase": "вы должны", "valid": False},
    {"target": "violation", "utterance": 12, "phrase": "подождите", "valid": True},
    {"target": "item", "item": "short_presentation", "passed": True},
]


def test_a_corrected_call_shows_the_reviewers_answers_and_keeps_the_machines_visible(
    client: TestClient, make_call: Any, tmp_path: Path
) -> None:
    stored = client.post("/v1/calls", json=make_call())
    call_id = stored.json()["id"]
    made = client.post(f"/v1/calls/{call_id}/corrections", json={"corrections": CORRECTIONS})
    assert made.status_code == 201, made.text
    html = client.get(f"/calls/{call_id}").text
    page, measured = tmp_path / "corrected.html", tmp_path / "seen.html"
    page.write_text(html, encoding="utf-8")
    measured.write_text(html.replace("</body>", SEEN + "</body>"), encoding="utf-8")
    screenshot = tmp_path / "corrected.png"

    shot = chromium(
        tmp_path / "profile",
        "--enable-logging=stderr",
        "--v=0",
        f"--screenshot={screenshot}",
        "--window-size=1280,2600",
        page.as_uri(),
    )
    dom = chromium(tmp_path / "profile", "--dump-dom", measured.as_uri()).stdout

    assert console(shot.stderr) == []
    assert screenshot.read_bytes().startswith(b"\x89PNG") and screenshot.stat().st_size > 50_000
    found = re.search(r'<pre id="seen">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    seen = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    # Greeting 10, recording 5, expertise 2 of 10: 4, personal 2 of 4: 7.5, motivation 1 of
    # 2: 7.5, two violations: 0, presentation (corrected) 10, no price 5, booking 10.
    assert made.json()["total"] == 59.0
    assert seen["score"].startswith("59\nбалл из 100 · красная зона")
    assert "машина: 52,2" in seen["score"]  # a decimal comma, as Russian readers write it
    assert seen["moved"] == [
        {
            "text": "какой бюджет?",
            "category": "personal",
            "was": "Экспертные вопросы",
            "label": "Личные вопросы",
        }
    ]
    assert seen["notQuestions"] == [
        {
            "text": "Давайте запишу вас на экскурсию в субботу?",
            "fix": "не вопрос",
            "was": "Прочие вопросы",
            "wasStruck": "line-through",
        }
    ]
    assert seen["notViolations"] == [
        {"text": "Вы должны", "struck": "underline", "fix": "не нарушение"}
    ]
    assert seen["added"] == [
        {"text": "подождите", "replacement": "Оставайтесь, пожалуйста, на линии, я уточню"}
    ]
    assert "✓ выполнен\nмашина: ✗ не выполнен" in seen["verdicts"]
    assert len(seen["corrections"]) == 5
    assert "это приглашение" in seen["corrections"][1]
    assert seen["corrections"][0].startswith("вопрос, реплика 5: категория «Личные вопросы»")
