"""The calibration page as a browser shows it: Russian headings, each category's figures
with a decimal comma, weak agreement highlighted, and the corrections that misled the engine."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.chromium import chromium, console, strings_of, visible_text, without

SHOTS = Path("/tmp/locale")  # screenshots kept to look at

SEEN = """<script>
window.addEventListener('load', () => {
  const text = el => el.innerText.trim();
  const rows = sel => [...document.querySelectorAll(sel)].map(r => [...r.cells].map(text));
  const seen = {
    headings: [...document.querySelectorAll('h2')].map(text),
    reviewed: text(document.getElementById('reviewed')),
    categories: rows('.categories tbody tr'),
    lowKappa: [...document.querySelectorAll('td.kappa.low')].map(
      td => [td.parentElement.dataset.key, getComputedStyle(td).color]),
    top: rows('.top tbody tr'),
  };
  const pre = document.createElement('pre');
  pre.id = 'seen';
  pre.textContent = JSON.stringify(seen);
  document.body.appendChild(pre);
});
</script>"""


def test_the_calibration_page_reads_in_chromium(
    client: TestClient, make_call: Any, tmp_path: Path
) -> None:
    corrections = [
        [{"target": "question", "utterance": 4, "span": [27, 40], "category": "personal"}],
        [{"target": "question", "utterance": 6, "category": "motivation"}],
    ]
    for made in corrections:
        call_id = client.post("/v1/calls", json=make_call(team_id="t-page")).json()["id"]
        answer = client.post(f"/v1/calls/{call_id}/corrections", json={"corrections": made})
        assert answer.status_code == 201, answer.text
    params = {"checklist": "realty_phone", "team_id": "t-page", "format": "html"}
    html = client.get("/v1/calibration", params=params).text
    page, measured = tmp_path / "calibration.html", tmp_path / "seen.html"
    page.write_text(html, encoding="utf-8")
    measured.write_text(html.replace("</body>", SEEN + "</body>"), encoding="utf-8")
    screenshot = tmp_path / "calibration.png"

    shot = chromium(
        tmp_path / "profile",
        "--enable-logging=stderr",
        "--v=0",
        f"--screenshot={screenshot}",
        "--window-size=1280,1800",
        page.as_uri(),
    )
    dom = chromium(tmp_path / "profile", "--dump-dom", measured.as_uri()).stdout

    assert console(shot.stderr) == []
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    found = re.search(r'<pre id="seen">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    seen = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert seen["headings"] == ["Категории вопросов", "Пункты чек-листа", "Частые исправления"]
    assert seen["reviewed"] == "2"
    # 12 questions: personal 2 by the machine, 1 kept, 1 moved out, 1 moved in: TP 1, FP 1,
    # FN 1, TN 9; chance (2·2 + 10·10) / 144; kappa (10/12 − 104/144) / (1 − 104/144) = 0,4.
    personal = next(r for r in seen["categories"] if r[0] == "Личные вопросы")
    assert personal == ["Личные вопросы", "2", "2", "50 %", "50 %", "83,3 %", "0,4"]
    assert ["personal", "rgb(185, 28, 28)"] in seen["lowKappa"]
    assert ["вопрос", "«какой бюджет?»", "Экспертные вопросы", "Личные вопросы", "1"] in seen["top"]


def _calibration_page(
    client: TestClient, make_call: Any, tmp_path: Path, language: str
) -> tuple[str, list[str]]:
    """The calibration page as Chromium shows it in `language`, with the data it shows."""
    made = [{"target": "question", "utterance": 4, "span": [27, 40], "category": "personal"}]
    call_id = client.post("/v1/calls", json=make_call(team_id="t-lang")).json()["id"]
    answer = client.post(f"/v1/calls/{call_id}/corrections", json={"corrections": made})
    assert answer.status_code == 201, answer.text
    params = {"checklist": "realty_phone", "team_id": "t-lang", "from": "2026-01-01"}
    headers = {"Accept-Language": language}
    html = client.get("/v1/calibration", params={**params, "format": "html"}, headers=headers)
    found = client.get("/v1/calibration", params=params, headers=headers).json()
    assert html.headers["content-language"] == language
    page = tmp_path / f"calibration-{language}.html"
    page.write_text(html.text, encoding="utf-8")
    SHOTS.mkdir(exist_ok=True)
    shot = chromium(
        tmp_path / "profile",
        f"--screenshot={SHOTS / f'calibration-{language}.png'}",
        "--window-size=1280,1400",
        page.as_uri(),
    )
    assert console(shot.stderr) == []
    return visible_text(tmp_path / "profile", page), strings_of(found)


def test_the_calibration_page_in_english_has_no_russian_word_but_its_data(
    client: TestClient, make_call: Any, tmp_path: Path
) -> None:
    text, data = _calibration_page(client, make_call, tmp_path, "en")

    assert "The machine against the reviewers" in text
    assert "Question categories" in text and "Cohen's kappa" in text
    assert "from Jan 1, 2026" in text
    personal = next(line for line in text.splitlines() if line.startswith("Личные вопросы"))
    # 6 questions, personal: 1 by the machine, kept, 1 moved in: TP 1, FP 0, FN 1, TN 4;
    # chance (1·2 + 5·4) / 36; kappa (5/6 − 22/36) / (1 − 22/36) = 8/14.
    assert personal.split("\t")[1:] == ["1", "2", "100%", "50%", "83.3%", "0.57"]
    # Category and item titles, phrases and words of the transcript are the checklist's data.
    assert re.findall(r"[А-Яа-яЁё]+", without(text, data)) == []


def test_the_calibration_page_in_russian_has_no_english_word_but_codes(
    client: TestClient, make_call: Any, tmp_path: Path
) -> None:
    text, data = _calibration_page(client, make_call, tmp_path, "ru")

    assert "Сверка машины с проверяющими" in text and "с 01.01.2026" in text
    personal = next(line for line in text.splitlines() if line.startswith("Личные вопросы"))
    assert personal.split("\t")[1:] == ["1", "2", "100 %", "50 %", "83,3 %", "0,57"]
    words = re.findall(r"[A-Za-z]+", without(text, data))
    assert words == ["callqa"]  # the product's name in the footer
