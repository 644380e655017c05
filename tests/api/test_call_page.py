"""The call page, GET /calls/{id}: what a trainer reads of one stored call."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient


def _stored(client: TestClient, make_call: Any, **fields: Any) -> int:
    response = client.post("/v1/calls", json=make_call(**fields))
    assert response.status_code == 201, response.text
    call_id: int = response.json()["id"]
    return call_id


def test_the_call_page_marks_questions_by_category_and_strikes_forbidden_phrases(
    client: TestClient, make_call: Any
) -> None:
    call_id = _stored(client, make_call)

    page = client.get(f"/calls/{call_id}")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script" not in html and "http" not in html.split("<body>")[0]
    question = re.search(
        r'<li id="u2" class="mgr">.*?<span class="cat" style="background:#2563eb">'
        r"Экспертные вопросы</span><span class=\"q\" data-category=\"expertise\"[^>]*>"
        r"Какой район вы рассматриваете\?</span>",
        html,
        re.S,
    )
    assert question, html
    assert (
        'Я <del>не знаю</del><ins title="замена">Я уточню и вернусь к вам с ответом</ins>' in html
    )
    assert '<del>Вы должны</del><ins title="замена">' in html
    for label in ("Пункты чек-листа", "Расшифровка", "доля речи менеджера", "✗ не выполнен"):
        assert label in html


def test_the_items_link_to_their_evidence_on_the_same_page(
    client: TestClient, make_call: Any
) -> None:
    call_id = _stored(client, make_call)

    html = client.get(f"/calls/{call_id}").text

    links = set(re.findall(r'href="#(u\d+)"', html))
    anchors = set(re.findall(r'<li id="(u\d+)"', html))
    assert {"u0", "u2", "u10", "u12"} <= links <= anchors
    assert re.search(r"Назначен просмотр<br>.*?</td>\n<td class=\"verdict\">✓ выполнен", html)
    assert re.search(r"Экспертные вопросы<br>.*?</td>\n<td class=\"verdict\">✗ не выполнен", html)


def test_text_from_the_transcript_is_escaped(client: TestClient, make_call: Any) -> None:
    transcript = "Менеджер: Добрый день! <b>Какой</b> район вам нужен?\nКлиент: <script>x</script>"
    call_id = _stored(client, make_call, transcript=transcript, manager_name="<i>Анна</i>")

    html = client.get(f"/calls/{call_id}").text

    assert "<script>x" not in html and "<b>Какой" not in html and "<i>Анна" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "&lt;b&gt;Какой&lt;/b&gt;" in html
    assert f"Звонок #{call_id}: &lt;i&gt;Анна&lt;/i&gt;" in html


@pytest.mark.usefixtures("english")  # quotes the English words
def test_an_unknown_call_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/calls/987654321")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "no call with id 987654321"


CLINIC = """\
key: clinic_intake_page
title: Запись в клинику
language: ru
grades: {green: 80, yellow: 50}
categories:
  symptoms:
    title: Вопросы о симптомах
    color: "#0d9488"
    words: [болеть, боль, температура, симптом]
  history:
    title: Вопросы об истории болезни
    words: [раньше, лечиться, аллергия]
items:
  - {key: symptom_questions, title: Расспросил о симптомах, kind: question_count,
     category: symptoms, target: 2, points: 60}
  - {key: history_questions, title: Расспросил об истории, kind: question_count,
     category: history, target: 1, points: 40}
"""
CLINIC_CALL = (
    "Менеджер: Добрый день, клиника «Здоровье», меня зовут Анна.\n"
    "Клиент: Здравствуйте, хочу записаться к терапевту.\n"
    "Менеджер: Что у вас болит?\n"
    "Клиент: Голова.\n"
    "Менеджер: Вы раньше лечились у нас?\n"
    "Клиент: Нет."
)


def test_the_page_shows_the_categories_of_the_checklist_version_the_call_was_scored_with(
    client: TestClient, make_call: Any
) -> None:
    yaml = {"Content-Type": "application/yaml"}
    assert client.post("/v1/checklists", content=CLINIC.encode(), headers=yaml).status_code == 201
    call_id = _stored(client, make_call, transcript=CLINIC_CALL, checklist="clinic_intake_page")
    renamed = CLINIC.replace("Вопросы о симптомах", "Симптомы").replace("#0d9488", "#000000")
    assert client.post("/v1/checklists", content=renamed.encode(), headers=yaml).status_code == 201

    html = client.get(f"/calls/{call_id}").text

    assert "чек-лист «Запись в клинику»" in html
    assert (
        '<span class="cat" style="background:#0d9488">Вопросы о симптомах</span>'
        '<span class="q" data-category="symptoms"'
    ) in html
    assert (  # no colour of its own: the palette's second, as the second category
        '<span class="cat" style="background:#db2777">Вопросы об истории болезни</span>'
    ) in html
    assert "Симптомы" not in html and "#000000" not in html
