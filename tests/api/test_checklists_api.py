"""Specs: a company's own checklist in the running service — pushed as YAML or JSON, versioned
by content, built on a built-in, assigned to a team or to everyone, deleted only when unused."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.conftest import transcript_text

YAML = {"Content-Type": "application/yaml"}

CLINIC = """\
# A clinic's intake call: question categories of its own.
key: clinic_intake
title: Запись в клинику
language: ru
grades: {green: 80, yellow: 50}
categories:
  symptoms:
    title: Вопросы о симптомах
    words: [болеть, боль, температура, симптом]
  history:
    title: Вопросы об истории болезни
    words: [раньше, лечиться, аллергия]
items:
  - key: symptom_questions
    title: Расспросил о симптомах
    kind: question_count
    category: symptoms
    target: 2
    points: 60
  - key: history_questions
    title: Расспросил об истории болезни
    kind: question_count
    category: history
    target: 1
    points: 40
"""

CLINIC_CALL = (
    "Менеджер: Добрый день, клиника «Здоровье», меня зовут Анна.\n"
    "Клиент: Здравствуйте, хочу записаться к терапевту.\n"
    "Менеджер: Что у вас болит?\n"
    "Клиент: Голова.\n"
    "Менеджер: Какая у вас температура?\n"
    "Клиент: Тридцать семь.\n"
    "Менеджер: Вы раньше лечились у нас?\n"
    "Клиент: Нет."
)

OUR_REALTY = """\
key: our_realty
title: Наш телефонный звонок
extends: realty_phone
drop:
  items: [no_exact_price]
forbidden_phrases:
  - phrase: это дорого
    replacement: Это вложение в ваш комфорт
"""


def _push(client: TestClient, text: str) -> dict[str, Any]:
    response = client.post("/v1/checklists", content=text.encode(), headers=YAML)
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_the_same_document_as_yaml_and_as_json_is_one_version(client: TestClient) -> None:
    first = client.post("/v1/checklists", content=CLINIC.encode(), headers=YAML)
    as_json = client.post("/v1/checklists", json=yaml.safe_load(CLINIC))
    reworded = client.post(
        "/v1/checklists", content=CLINIC.replace("# A clinic", "# Our clinic"), headers=YAML
    )

    assert first.status_code == 201
    assert first.json()["key"] == "clinic_intake"
    assert len(first.json()["version"]) == 64
    assert (as_json.status_code, reworded.status_code) == (200, 200)
    assert as_json.json()["version"] == first.json()["version"]
    assert reworded.json()["version"] == first.json()["version"]
    versions = client.get("/v1/checklists/clinic_intake/versions").json()["versions"]
    assert [v["version"] for v in versions] == [first.json()["version"]]


def test_a_custom_checklist_scores_calls_with_its_own_categories(client: TestClient) -> None:
    pushed = _push(client, CLINIC)
    listed = {c["key"]: c["version"] for c in client.get("/v1/checklists").json()}
    shown = client.get("/v1/checklists/clinic_intake").json()

    created = client.post(
        "/v1/calls",
        json={
            "external_id": "clinic-1",
            "manager_id": "m-anna",
            "started_at": "2026-03-02T10:00:00+03:00",
            "transcript": CLINIC_CALL,
            "checklist": "clinic_intake",
        },
    )

    assert listed["clinic_intake"] == pushed["version"]
    assert {"realty_phone", "spin_classic", "complaint"} <= listed.keys()
    assert list(shown["categories"]) == ["symptoms", "history"]
    assert created.status_code == 201, created.text
    score = created.json()["score"]
    assert score["checklist"] == {"key": "clinic_intake", "version": pushed["version"]}
    assert score["question_counts"] == {"symptoms": 2, "history": 1, "other": 0}
    assert score["total"] == 100
    stored = client.get(f"/v1/calls/{created.json()['id']}").json()
    assert stored["checklist"] == {"key": "clinic_intake", "version": pushed["version"]}


def test_a_checklist_extending_realty_phone_drops_an_item_and_adds_a_never_say_phrase(
    client: TestClient,
) -> None:
    base = client.get("/v1/checklists/realty_phone").json()
    pushed = _push(client, OUR_REALTY)
    transcript = transcript_text() + "\nМенеджер: Да, это дорого, но район хороший."

    score = client.post(
        "/v1/score", json={"transcript": transcript, "checklist": "our_realty"}
    ).json()

    assert pushed["extends"] == {"key": "realty_phone", "version": base["version"]}
    items = [i["key"] for i in score["items"]]
    assert "no_exact_price" not in items
    assert items == [i["key"] for i in base["items"] if i["key"] != "no_exact_price"]
    said = {v["phrase"]: v["replacement"] for v in score["violations"]}
    assert said["это дорого"] == "Это вложение в ваш комфорт"
    assert "я не знаю" in said  # the base's list is kept


def test_an_unknown_base_or_a_dropped_category_still_in_use_is_422_naming_it(
    client: TestClient,
) -> None:
    missing = client.post(
        "/v1/checklists", content="key: x\ntitle: X\nextends: nosuch\n", headers=YAML
    )
    dropped = client.post(
        "/v1/checklists",
        content="key: x\ntitle: X\nextends: realty_phone\ndrop:\n  categories: [personal]\n",
        headers=YAML,
    )

    assert _problem(missing, 422)["errors"] == [
        {"pointer": "/extends", "line": 3, "reason": "неизвестный базовый чек-лист «nosuch»"}
    ]
    assert {"pointer": "/extends", "line": 3, "reason": "неизвестная категория «personal»"} in (
        _problem(dropped, 422)["errors"]
    )


def test_a_broken_document_is_422_with_the_line_and_reason_of_each_mistake(
    client: TestClient,
) -> None:
    broken = CLINIC.replace("{green: 80, yellow: 50}", "{green: 50, yellow: 80}").replace(
        "category: history", "category: allergies"
    )

    errors = _problem(client.post("/v1/checklists", content=broken, headers=YAML), 422)["errors"]

    assert errors == [
        {
            "pointer": "/grades",
            "line": 5,
            "reason": "границы оценок перепутаны: зелёная (50) ниже жёлтой (80)",
        },
        {"pointer": "/items/1/category", "line": 23, "reason": "неизвестная категория «allergies»"},
    ]
    assert client.get("/v1/checklists/clinic_intake").status_code == 404


def test_invalid_yaml_names_its_line(client: TestClient) -> None:
    response = client.post("/v1/checklists", content="key: x\nitems: [\n  - a: b\n", headers=YAML)

    [error] = _problem(response, 422)["errors"]
    assert error["line"] == 3 and error["reason"].startswith("неверный YAML")


def test_a_json_document_names_the_pointer_of_a_mistake(client: TestClient) -> None:
    document = yaml.safe_load(CLINIC)
    document["items"][0]["target"] = 0

    errors = _problem(client.post("/v1/checklists", json=document), 422)["errors"]

    assert errors == [{"pointer": "/items/0/target", "reason": "Значение должно быть не меньше 1"}]


def test_a_yaml_alias_bomb_is_refused(client: TestClient) -> None:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    many = "\n".join(f"k{n}: *a" for n in range(101))

    bomb = client.post("/v1/checklists", content="\n".join(lines), headers=YAML)
    too_many = client.post("/v1/checklists", content=lines[0] + "\n" + many, headers=YAML)

    [error] = _problem(bomb, 422)["errors"]
    assert error["reason"] == "псевдонимы раздувают документ больше чем до 100,000 узлов"
    [error] = _problem(too_many, 422)["errors"]
    assert error == {"pointer": "", "line": 102, "reason": "больше 100 псевдонимов YAML"}


@pytest.mark.usefixtures("english")  # quotes the English words
def test_a_document_above_1_mb_is_413(client: TestClient) -> None:
    padding = "# " + "x" * 1000 + "\n"
    response = client.post("/v1/checklists", content=CLINIC + padding * 1100, headers=YAML)

    assert _problem(response, 413)["detail"].endswith("at most 1 MB")


def test_checklists_answer_415_to_other_media_types(client: TestClient) -> None:
    response = client.post("/v1/checklists", content=CLINIC, headers={"Content-Type": "text/plain"})

    assert "application/yaml" in _problem(response, 415)["detail"]


def test_a_team_uses_its_checklist_and_other_teams_the_default(
    client: TestClient, make_call: Any
) -> None:
    clinic = _push(client, CLINIC)["version"]
    assigned = client.put("/v1/teams/t-clinic/checklist", json={"checklist": "clinic_intake"})

    own = client.post("/v1/calls", json=make_call(team_id="t-clinic")).json()["score"]
    other = client.post("/v1/calls", json=make_call(team_id="t-north")).json()["score"]

    assert assigned.json() == {"team_id": "t-clinic", "checklist": "clinic_intake", "version": None}
    assert own["checklist"] == {"key": "clinic_intake", "version": clinic}
    assert other["checklist"]["key"] == "realty_phone"


def test_the_default_pinned_to_a_version_holds_while_a_team_follows_the_latest(
    client: TestClient, make_call: Any
) -> None:
    first = _push(client, CLINIC)["version"]
    client.put("/v1/checklists/default", json={"checklist": "clinic_intake", "version": first})
    client.put("/v1/teams/t-clinic/checklist", json={"checklist": "clinic_intake"})
    second = _push(client, CLINIC.replace("target: 2", "target: 3"))["version"]

    default = client.post("/v1/calls", json=make_call(team_id="t-north")).json()["score"]
    latest = client.post("/v1/calls", json=make_call(team_id="t-clinic")).json()["score"]
    named = client.post(
        "/v1/score",
        json={"transcript": CLINIC_CALL, "checklist": "clinic_intake", "checklist_version": first},
    ).json()

    assert second != first
    assert default["checklist"]["version"] == first
    assert latest["checklist"]["version"] == second
    assert named["checklist"]["version"] == first
    assert client.get("/v1/checklists/clinic_intake").json()["version"] == second


def test_unknown_checklists_and_versions_are_404(client: TestClient, make_call: Any) -> None:
    assert _problem(client.get("/v1/checklists/nope"), 404)
    assert _problem(client.get("/v1/checklists/nope/versions"), 404)
    assert _problem(client.delete("/v1/checklists/realty_phone/versions/abc"), 404)
    pinned = client.put("/v1/checklists/default", json={"checklist": "nope"})
    assert _problem(pinned, 404)["errors"][0]["pointer"] == "/checklist"
    call = make_call(checklist="realty_phone", checklist_version="abc123")
    errors = _problem(client.post("/v1/calls", json=call), 404)["errors"]
    assert errors[0]["pointer"] == "/checklist_version"


@pytest.mark.usefixtures("english")  # quotes the English words
def test_a_version_is_deleted_only_while_no_stored_call_or_assignment_uses_it(
    client: TestClient, make_call: Any
) -> None:
    used = _push(client, CLINIC)["version"]
    client.post("/v1/calls", json=make_call(checklist="clinic_intake"))
    unused = _push(client, CLINIC.replace("target: 2", "target: 3"))["version"]
    pinned = _push(client, CLINIC.replace("target: 2", "target: 4"))["version"]
    client.put(
        "/v1/teams/t-clinic/checklist", json={"checklist": "clinic_intake", "version": pinned}
    )

    refused = client.delete(f"/v1/checklists/clinic_intake/versions/{used}")
    refused_pinned = client.delete(f"/v1/checklists/clinic_intake/versions/{pinned}")
    deleted = client.delete(f"/v1/checklists/clinic_intake/versions/{unused}")

    assert "stored calls" in _problem(refused, 409)["detail"]
    assert "team 't-clinic'" in _problem(refused_pinned, 409)["detail"]
    assert deleted.status_code == 204
    versions = client.get("/v1/checklists/clinic_intake/versions").json()["versions"]
    assert [v["version"] for v in versions] == [pinned, used]


@pytest.mark.usefixtures("english")  # quotes the English words
def test_a_built_in_version_cannot_be_deleted(client: TestClient) -> None:
    shipped = client.get("/v1/checklists/realty_phone").json()["version"]

    refused = client.delete(f"/v1/checklists/realty_phone/versions/{shipped}")

    assert "ships with callqa" in _problem(refused, 409)["detail"]
    versions = client.get("/v1/checklists/realty_phone/versions").json()["versions"]
    assert shipped in [v["version"] for v in versions]


def test_pushing_older_content_again_makes_it_the_latest(client: TestClient) -> None:
    first = _push(client, CLINIC)["version"]
    _push(client, CLINIC.replace("target: 2", "target: 3"))

    again = client.post(
        "/v1/checklists",
        content=json.dumps(yaml.safe_load(CLINIC)),
        headers={"Content-Type": "application/json"},
    )

    assert again.status_code == 200
    assert client.get("/v1/checklists/clinic_intake").json()["version"] == first


def test_text_postgresql_cannot_hold_is_422_not_stored(client: TestClient) -> None:
    document = yaml.safe_load(CLINIC)
    document["title"] = "Запись\u0000"

    errors = _problem(client.post("/v1/checklists", json=document), 422)["errors"]

    assert errors[0]["pointer"] == "/title" and "NUL" in errors[0]["reason"]
    assert client.get("/v1/checklists/clinic_intake").status_code == 404
