"""A reviewer corrects a call in a browser: Chromium lays out the call page opened through a
review share link, the reviewer types a note and clicks "не нарушение" beside a forbidden
phrase; what the browser submits (the form's action and fields, captured at the submit event)
is posted to callqa, which answers 303 to the page, and the page Chromium shows then has the
phrase marked "не нарушение" and the new score. The forms live under the page's CSP."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tests.chromium import chromium, console

CLICK = """<script>
window.addEventListener('load', () => {
  const text = el => el && el.innerText.trim();
  const seen = {
    buttons: [...document.querySelectorAll('button')].map(b => ({
      text: text(b), visible: b.offsetParent !== null && b.getBoundingClientRect().width > 0})),
    selects: [...document.querySelectorAll('select[name=category]')].map(s => s.options.length),
  };
  document.addEventListener('submit', event => {
    event.preventDefault();
    const form = event.target;
    seen.submitted = {
      action: form.getAttribute('action'), method: form.method,
      enctype: form.enctype,
      body: new URLSearchParams(new FormData(form, event.submitter)).toString()};
  });
  const button = [...document.querySelectorAll('button.not-violation')]
    .find(b => b.form.textContent.includes('Вы должны'));
  button.form.querySelector('input[name=note]').value = 'клиент цитирует договор';
  button.click();
  const pre = document.createElement('pre');
  pre.id = 'seen';
  pre.textContent = JSON.stringify(seen);
  document.body.appendChild(pre);
});
</script>"""
SEEN = """<script>
window.addEventListener('load', () => {
  const text = el => el && el.innerText.trim();
  const seen = {
    score: text(document.querySelector('.kpi.score')),
    notViolations: [...document.querySelectorAll('p .not-violation')].map(v => ({
      text: text(v), struck: getComputedStyle(v).textDecorationLine,
      fix: text(v.nextElementSibling)})),
    corrections: [...document.querySelectorAll('.corrections li')].map(text),
    undo: [...document.querySelectorAll('button.undo')].map(text),
  };
  const pre = document.createElement('pre');
  pre.id = 'seen';
  pre.textContent = JSON.stringify(seen);
  document.body.appendChild(pre);
});
</script>"""


def _seen(tmp_path: Path, name: str, html: str, script: str) -> dict[str, Any]:
    page = tmp_path / f"{name}.html"
    page.write_text(html.replace("</body>", script + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    found = re.search(r'<pre id="seen">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    seen: dict[str, Any] = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    return seen


def _screenshot(tmp_path: Path, name: str, html: str, policy: str) -> Path:
    """The page as served, under its CSP (a meta tag: frame-ancestors is header-only)."""
    kept = "; ".join(p for p in policy.split("; ") if not p.startswith("frame-ancestors"))
    meta = f'<meta http-equiv="Content-Security-Policy" content="{kept}">'
    page = tmp_path / f"{name}-served.html"
    page.write_text(html.replace("<head>", f"<head>{meta}", 1), encoding="utf-8")
    shot = tmp_path / f"{name}.png"
    run = chromium(
        tmp_path / "profile",
        "--enable-logging=stderr",
        "--v=0",
        f"--screenshot={shot}",
        "--window-size=1280,2600",
        page.as_uri(),
    )
    assert console(run.stderr) == []
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 50_000
    return shot


def test_a_reviewer_clicks_not_a_violation_and_sees_the_phrase_marked(
    client: TestClient, make_call: Any, tmp_path: Path
) -> None:
    call_id = client.post("/v1/calls", json=make_call()).json()["id"]
    made = client.post("/v1/share", json={"path": f"/calls/{call_id}"})  # local mode: all scopes
    url = urlsplit(made.json()["url"])
    link = f"{url.path}?{url.query}"
    opened = client.get(link)
    assert opened.status_code == 200
    _screenshot(tmp_path, "review-page", opened.text, opened.headers["content-security-policy"])

    clicked = _seen(tmp_path, "click", opened.text, CLICK)
    submitted = clicked["submitted"]
    answer = client.post(
        submitted["action"],
        content=submitted["body"],
        headers={"Content-Type": submitted["enctype"]},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    back = client.get(answer.headers["location"])
    shown = _seen(tmp_path, "after", back.text, SEEN)
    _screenshot(tmp_path, "corrected", back.text, back.headers["content-security-policy"])

    visible = {b["text"] for b in clicked["buttons"] if b["visible"]}
    assert {"не вопрос", "не нарушение", "сменить категорию", "проверено, исправлений нет"} <= (
        visible
    )
    assert {"добавить пропущенное нарушение", "отметить выполненным"} <= visible
    assert set(clicked["selects"]) == {4}  # three categories of the checklist and "other"
    assert submitted["method"] == "post"
    assert submitted["enctype"] == "application/x-www-form-urlencoded"
    assert submitted["action"] == f"/calls/{call_id}/corrections?{url.query}"
    assert "note=%D0%BA%D0%BB%D0%B8%D0%B5%D0%BD%D1%82" in submitted["body"]
    assert "csrf=" in submitted["body"]
    # "Без запрещённых фраз": 10 points less 5 per phrase; the machine's two gave 0 (52,2),
    # one left gives 5: 57,2.
    assert shown["score"].startswith("57,2\nбалл из 100")
    assert "машина: 52,2" in shown["score"]
    assert shown["notViolations"] == [
        {"text": "Вы должны", "struck": "underline", "fix": "не нарушение"}
    ]
    [correction] = shown["corrections"]
    assert correction.startswith("запрещённая фраза, реплика 11: не нарушение")
    assert "клиент цитирует договор" in correction
    assert shown["undo"] == ["отменить"]


EVIDENCE = """<script>
window.addEventListener('load', () => {
  const seen = [...document.querySelectorAll('section.items .ev small')].map(n => n.innerText);
  const pre = document.createElement('pre');
  pre.id = 'seen';
  pre.textContent = JSON.stringify(seen);
  document.body.appendChild(pre);
});
</script>"""


def test_item_evidence_on_the_review_page_is_worded_in_the_pages_language(
    client: TestClient, make_call: Any, tmp_path: Path
) -> None:
    call_id = client.post("/v1/calls", json=make_call()).json()["id"]
    made = client.post("/v1/share", json={"path": f"/calls/{call_id}"})
    url = urlsplit(made.json()["url"])
    notes = {}
    for language in ("ru", "en"):
        opened = client.get(f"{url.path}?{url.query}", headers={"Accept-Language": language})
        assert opened.status_code == 200, opened.text
        assert opened.headers["content-language"] == language
        assert "csrf" in opened.text  # the review forms are on the page
        notes[language] = _seen(tmp_path, f"evidence-{language}", opened.text, EVIDENCE)

    # The greeting's parts as the reader's language names them, the words as said.
    assert notes["ru"][:2] == ["имя: меня зовут", "компания: агентство"]
    assert notes["en"][:2] == ["name: меня зовут", "company: агентство"]
    assert not any(n.startswith(("name:", "company:")) for n in notes["ru"])
    # A forbidden phrase's note is the checklist's phrase and replacement in any language.
    assert "«вы должны» → «Вам нужно будет … / Прошу вас …»" in notes["ru"]
