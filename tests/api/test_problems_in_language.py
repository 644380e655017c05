"""A problem (RFC 9457) is worded in the request's language: Russian by default, English with
Accept-Language: en, its title, detail and each field's reason alike; its type, status,
pointers and keys stay the same codes in both."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

CYRILLIC = re.compile(r"[а-яё]", re.I)


def _both(client: TestClient, method: str, path: str, **kwargs: Any) -> tuple[Any, Any]:
    russian = client.request(method, path, **kwargs)
    english = client.request(method, path, headers={"Accept-Language": "en"}, **kwargs)
    assert russian.headers["content-language"] == "ru"
    assert english.headers["content-language"] == "en"
    assert russian.status_code == english.status_code
    return russian.json(), english.json()


def test_a_404_reads_in_russian_by_default_and_in_english_when_asked(client: TestClient) -> None:
    russian, english = _both(client, "GET", "/v1/calls/987654321")

    assert (russian["title"], russian["detail"]) == ("Не найдено", "нет звонка с id 987654321")
    assert (english["title"], english["detail"]) == ("Not found", "no call with id 987654321")
    assert russian["type"] == english["type"] == "urn:callqa:problem:not-found"
    assert russian["status"] == english["status"] == 404


def test_a_422_words_its_detail_and_every_reason_in_the_language_asked(
    client: TestClient, make_call: Any
) -> None:
    body = {**make_call(), "manager_id": "", "team_id": "north/south"}
    del body["transcript"]

    russian, english = _both(client, "POST", "/v1/calls", json=body)

    assert russian["status"] == 422 and russian["type"] == english["type"]
    assert russian["detail"] == "в запросе неверные поля"
    assert english["detail"] == "the request has invalid fields"
    ru = {e["pointer"]: e["reason"] for e in russian["errors"]}
    en = {e["pointer"]: e["reason"] for e in english["errors"]}
    assert set(ru) == set(en) == {"/manager_id", "/team_id", "/transcript"}
    assert ru["/transcript"] == "обязательное поле"
    assert en["/transcript"] == "required"
    assert ru["/manager_id"] == "Строка должна содержать не меньше 1 символа"
    assert en["/manager_id"] == "String should have at least 1 character"
    assert "не может содержать «/»" in ru["/team_id"]
    assert "must not contain '/'" in en["/team_id"]
    assert all(CYRILLIC.search(r) for r in ru.values())
    assert not any(CYRILLIC.search(r) for r in [english["detail"], *en.values()])


def test_a_bad_query_parameter_is_named_the_same_and_worded_in_each_language(
    client: TestClient,
) -> None:
    path = "/v1/managers/anna/trends"
    russian, english = _both(client, "GET", path, params={"tz": "Europe/Atlantis"})

    assert russian["errors"][0]["parameter"] == english["errors"][0]["parameter"] == "tz"
    assert russian["errors"][0]["reason"].startswith("неизвестный часовой пояс 'Europe/Atlantis'")
    assert english["errors"][0]["reason"].startswith("unknown time zone 'Europe/Atlantis'")


def test_a_route_that_does_not_exist_is_worded_too(client: TestClient) -> None:
    russian, english = _both(client, "GET", "/v1/nothing-here")

    assert (russian["title"], russian["detail"]) == ("Не найдено", "такого ресурса нет")
    assert (english["title"], english["detail"]) == ("Not found", "no such resource")


def test_a_binary_transcript_is_refused_with_the_readers_reason_in_the_language_asked(
    client: TestClient,
) -> None:
    body = {"transcript": "\x00\x01\x02PK\x03\x04"}

    russian, english = _both(client, "POST", "/v1/score", json=body)

    assert russian["status"] == 400 and russian["type"] == english["type"]
    [ru], [en] = russian["errors"], english["errors"]
    assert ru["pointer"] == en["pointer"] == "/transcript"
    assert ru["reason"] == "текст двоичный (нулевой символ в позиции 0)"
    assert en["reason"] == "the text is binary (NUL character at position 0)"


def test_a_transcript_of_an_unknown_shape_names_the_json_path_in_the_language_asked(
    client: TestClient,
) -> None:
    body = {"transcript": {"utterances": [{"speaker": "Менеджер", "text": 7}]}}

    russian, english = _both(client, "POST", "/v1/score", json=body)

    assert russian["errors"][0]["reason"] == (
        "callqa JSON: utterances[0].text: ожидается строка, получено: число"
    )
    assert english["errors"][0]["reason"] == (
        "callqa JSON: utterances[0].text: expected a string, got a number"
    )


def test_a_broken_checklist_is_refused_with_russian_reasons_and_english_when_asked(
    client: TestClient,
) -> None:
    document = "\n".join(
        [
            "key: broken_clinic",
            "title: Клиника",
            "language: ru",
            "categories:",
            "  other: {title: Прочие}",
            "grades: {green: 50, yellow: 80}",
            "items:",
            "  - {key: asks, kind: question_count, category: allergies, target: 2, points: 10}",
            "  - {key: asks, kind: question_count, category: allergies, target: 2, points: 10}",
        ]
    )
    yaml = {"Content-Type": "application/yaml"}

    russian = client.post("/v1/checklists", content=document, headers=yaml).json()
    english = client.post(
        "/v1/checklists", content=document, headers={**yaml, "Accept-Language": "en"}
    ).json()

    assert russian["status"] == english["status"] == 422
    ru = {e["pointer"]: e["reason"] for e in russian["errors"]}
    en = {e["pointer"]: e["reason"] for e in english["errors"]}
    assert ru["/categories/other"] == "«other» зарезервировано для неклассифицированных вопросов"
    assert en["/categories/other"] == "'other' is reserved for unclassified questions"
    assert ru["/items/1/key"] == "ключ пункта «asks» использован дважды"
    assert en["/items/1/key"] == "item key 'asks' is used twice"
    assert ru["/items/0/category"] == "неизвестная категория «allergies»"
    assert en["/items/0/category"] == "unknown category 'allergies'"


def test_a_checklist_missing_a_field_is_refused_in_russian_and_in_english_when_asked(
    client: TestClient,
) -> None:
    document = "key: no_grades\ntitle: Без оценок\nlanguage: ru\nitems: []\n"
    yaml = {"Content-Type": "application/yaml"}

    russian = client.post("/v1/checklists", content=document, headers=yaml).json()
    english = client.post(
        "/v1/checklists", content=document, headers={**yaml, "Accept-Language": "en"}
    ).json()

    ru = {e["pointer"]: e["reason"] for e in russian["errors"]}
    en = {e["pointer"]: e["reason"] for e in english["errors"]}
    assert ru["/grades"] == "обязательное поле"
    assert en["/grades"] == "required"
    assert not re.search(r"[A-Za-z]", ru["/items"]), ru["/items"]
