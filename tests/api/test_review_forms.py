"""A reviewer corrects a call from its page: opened through a share link made by a review key,
the call page carries plain forms (no script) that post to POST /calls/{id}/corrections with a
CSRF token bound to that link and come back with a 303 to the page, the correction shown and
the roll-ups moved; without such a link the page is read-only and the route refuses."""

from __future__ import annotations

import re
import time
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services import access

FORM = re.compile(r'<form method="post" action="([^"]*)">(.*?)</form>', re.S)
INPUT = re.compile(r'<input type="hidden" name="([a-z]+)" value="([^"]*)">')
Keys = dict[str, dict[str, str]]


@pytest.fixture
def call_id(client: TestClient, make_call: Any) -> int:
    """A stored call (ingested in local mode, before the test's keys exist)."""
    stored = client.post("/v1/calls", json=make_call())
    assert stored.status_code == 201, stored.text
    return int(stored.json()["id"])


@pytest.fixture
def keys(session: Session, app: FastAPI, call_id: int) -> Keys:
    """A key of each scope; local mode is over."""
    made = {s: access.create_key(session, scopes=[s], name=s) for s in access.SCOPES}
    session.flush()
    app.state.auth.clear()
    return {
        s: {"Authorization": f"Bearer {secret}", "id": str(k["id"])}
        for s, (k, secret) in made.items()
    }


def bearer(keys: Keys, scope: str) -> dict[str, str]:
    return {"Authorization": keys[scope]["Authorization"]}


def share(client: TestClient, key: dict[str, str], path: str, expires_in: int = 3600) -> str:
    made = client.post("/v1/share", json={"path": path, "expires_in": expires_in}, headers=key)
    assert made.status_code == 201, made.text
    url = urlsplit(made.json()["url"])
    return f"{url.path}?{url.query}"


def forms(html: str) -> list[tuple[str, dict[str, str], str]]:
    """Each form of a page: its action, its hidden fields and its whole markup."""
    return [
        (unescape(action), {k: unescape(v) for k, v in INPUT.findall(body)}, body)
        for action, body in FORM.findall(html)
    ]


def the_form(html: str, **wanted: str) -> tuple[str, dict[str, str]]:
    """The one form whose hidden fields hold `wanted`."""
    found = [(a, f) for a, f, _ in forms(html) if wanted.items() <= f.items()]
    assert len(found) >= 1, wanted
    return found[0]


def post(client: TestClient, action: str, fields: dict[str, str], **more: str) -> Any:
    return client.post(action, data={**fields, **more}, follow_redirects=False)


def grades(client: TestClient, keys: Keys, call_id: int) -> dict[str, Any]:
    return dict(client.get(f"/v1/calls/{call_id}", headers=bearer(keys, "read")).json())


def said(client: TestClient, keys: Keys) -> dict[str, int]:
    """The manager's forbidden phrases and how often, as the roll-ups count them."""
    top = client.get(
        "/v1/violations/top?manager_id=m-anna&from=2026-03-01&to=2026-03-10",
        headers=bearer(keys, "read"),
    )
    assert top.status_code == 200, top.text
    return {v["phrase"]: v["count"] for v in top.json()["phrases"]}


def test_a_review_link_opens_the_call_page_with_forms_and_a_read_link_without(
    client: TestClient, call_id: int, keys: Keys
) -> None:
    review = client.get(share(client, bearer(keys, "review"), f"/calls/{call_id}"))
    read = client.get(share(client, bearer(keys, "read"), f"/calls/{call_id}"))
    by_key = client.get(f"/calls/{call_id}", headers=bearer(keys, "admin"))

    assert review.status_code == read.status_code == by_key.status_code == 200
    found = forms(review.text)
    assert len(found) > 5
    assert all(a.startswith(f"/calls/{call_id}/corrections?share=") for a, _, _ in found)
    assert {f["csrf"] for _, f, _ in found} and all(f["csrf"] for _, f, _ in found)
    assert "не вопрос" in review.text and "проверено, исправлений нет" in review.text
    assert "<form" not in read.text and "<form" not in by_key.text
    assert "form-action 'self'" in review.headers["content-security-policy"]


def test_a_form_saves_the_correction_and_comes_back_to_the_page_through_the_link(
    client: TestClient, call_id: int, keys: Keys
) -> None:
    link = share(client, bearer(keys, "review"), f"/calls/{call_id}")
    page = client.get(link).text
    before = grades(client, keys, call_id)
    assert said(client, keys) == {"я не знаю": 1, "вы должны": 1}
    action, fields = the_form(page, target="violation", phrase="вы должны", valid="false")

    answer = post(client, action, fields, note="цитата клиента")

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == link
    after = grades(client, keys, call_id)
    assert after["machine_score"]["total"] == before["score"]["total"]
    assert after["score"]["total"] > before["score"]["total"]
    [stored] = after["corrections"]
    assert stored["target"] == "violation" and stored["phrase"] == "вы должны"
    assert stored["valid"] is False and stored["note"] == "цитата клиента"
    assert stored["author"] == f"key:{keys['review']['id']}"
    again = client.get(link).text
    assert 'class="not-violation" title=' in again and "цитата клиента" in again
    assert said(client, keys) == {"я не знаю": 1}  # the roll-ups followed
    audit = client.get(f"/v1/audit?call_id={call_id}", headers=bearer(keys, "admin")).json()
    assert {"call.correct"} <= {e["action"] for e in audit["entries"]}


def test_every_kind_of_form_corrects_the_call(client: TestClient, call_id: int, keys: Keys) -> None:
    link = share(client, bearer(keys, "admin"), f"/calls/{call_id}")
    page = client.get(link).text
    question = the_form(page, target="question", utterance="4")
    not_question = the_form(page, target="question", utterance="12", valid="false")
    added = the_form(page, target="violation", utterance="12", valid="true")
    item = the_form(page, target="item", item="short_presentation")

    for (action, fields), more in [
        (question, {"category": "personal"}),
        (not_question, {}),
        (added, {"phrase": "подождите"}),
        (item, {}),
    ]:
        assert post(client, action, fields, **more).status_code == 303

    corrections = grades(client, keys, call_id)["corrections"]
    assert [c["target"] for c in corrections] == ["question", "question", "violation", "item"]
    assert corrections[0]["category"] == "personal"
    assert corrections[1]["valid"] is False
    assert corrections[2]["phrase"] == "подождите" and corrections[2]["valid"] is True
    assert corrections[3]["passed"] is True  # the machine failed the presentation
    undo = the_form(client.get(link).text, op="undo", correction=str(corrections[0]["id"]))
    assert post(client, *undo).status_code == 303
    assert len(grades(client, keys, call_id)["corrections"]) == 3


def test_reviewed_with_nothing_to_correct_is_one_click(
    client: TestClient, call_id: int, keys: Keys
) -> None:
    link = share(client, bearer(keys, "review"), f"/calls/{call_id}")
    action, fields = the_form(client.get(link).text, op="review")

    assert post(client, action, fields).status_code == 303
    calibration = client.get(
        "/v1/calibration?checklist=realty_phone&from=2020-01-01", headers=bearer(keys, "read")
    ).json()
    assert calibration["reviewed_calls"] == 1


@pytest.mark.parametrize("csrf", [None, "", "forged", "x" * 43])
def test_a_missing_or_wrong_csrf_token_is_403_and_nothing_is_stored(
    client: TestClient, call_id: int, keys: Keys, csrf: str | None
) -> None:
    link = share(client, bearer(keys, "review"), f"/calls/{call_id}")
    action, fields = the_form(client.get(link).text, target="item")
    fields.pop("csrf")

    answer = post(client, action, fields, **({} if csrf is None else {"csrf": csrf}))

    assert answer.status_code == 403, answer.text
    assert grades(client, keys, call_id)["corrections"] == []


def test_a_csrf_token_of_another_link_is_403(client: TestClient, call_id: int, keys: Keys) -> None:
    mine = share(client, bearer(keys, "review"), f"/calls/{call_id}")
    other = share(client, bearer(keys, "review"), f"/calls/{call_id}", expires_in=7200)
    action, fields = the_form(client.get(mine).text, target="item")
    _, theirs = the_form(client.get(other).text, target="item")

    answer = post(client, action, {**fields, "csrf": theirs["csrf"]})

    assert answer.status_code == 403
    assert grades(client, keys, call_id)["corrections"] == []


def test_a_read_link_cannot_post_corrections(client: TestClient, call_id: int, keys: Keys) -> None:
    review = share(client, bearer(keys, "review"), f"/calls/{call_id}")
    read = share(client, bearer(keys, "read"), f"/calls/{call_id}")
    _, fields = the_form(client.get(review).text, target="item")
    read_action = f"/calls/{call_id}/corrections?{read.split('?')[1]}"

    answer = post(client, read_action, fields)

    assert answer.status_code == 403
    assert grades(client, keys, call_id)["corrections"] == []


def test_an_expired_review_link_is_refused_and_nothing_is_stored(
    client: TestClient, call_id: int, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = share(client, bearer(keys, "review"), f"/calls/{call_id}", expires_in=60)
    action, fields = the_form(client.get(link).text, target="item")
    later = time.time() + 120
    monkeypatch.setattr(access.time, "time", lambda: later)

    answer = post(client, action, fields)

    assert answer.status_code == 401
    assert "срок действия ссылки истёк" in answer.json()["detail"]
    monkeypatch.undo()
    assert grades(client, keys, call_id)["corrections"] == []


def test_a_review_link_of_another_call_cannot_correct_this_one(
    client: TestClient, call_id: int, keys: Keys, make_call: Any
) -> None:
    other = client.post(
        "/v1/calls", json=make_call(external_id="other"), headers=bearer(keys, "ingest")
    ).json()["id"]
    link = share(client, bearer(keys, "review"), f"/calls/{other}")
    _, fields = the_form(client.get(link).text, target="item")

    answer = post(client, f"/calls/{call_id}/corrections?{link.split('?')[1]}", fields)

    assert answer.status_code == 401
    assert grades(client, keys, call_id)["corrections"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("utterance", "четыре"), ("span", "a-b"), ("passed", "да"), ("target", "phrase"), ("op", "x")],
)
def test_a_bad_form_value_is_a_422_in_russian_naming_the_field(
    client: TestClient, call_id: int, keys: Keys, field: str, value: str
) -> None:
    link = share(client, bearer(keys, "review"), f"/calls/{call_id}")
    action, fields = the_form(client.get(link).text, target="question", utterance="4")

    answer = post(client, action, fields, category="personal", **{field: value})

    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["errors"][0]["pointer"] == f"/{field}"
    assert problem["detail"].startswith("Исправление не сохранено")
    assert grades(client, keys, call_id)["corrections"] == []


def test_a_correction_the_call_cannot_take_is_a_422(
    client: TestClient, call_id: int, keys: Keys
) -> None:
    link = share(client, bearer(keys, "review"), f"/calls/{call_id}")
    action, fields = the_form(client.get(link).text, target="item")

    answer = post(client, action, {**fields, "item": "no_such_item"})

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/corrections/0/item"


def test_a_json_body_is_415(client: TestClient, call_id: int, keys: Keys) -> None:
    link = share(client, bearer(keys, "review"), f"/calls/{call_id}")
    action, fields = the_form(client.get(link).text, target="item")

    answer = client.post(action, json=fields, follow_redirects=False)

    assert answer.status_code == 415


def test_the_page_and_its_forms_speak_english_when_asked(
    client: TestClient, call_id: int, keys: Keys
) -> None:
    link = share(client, bearer(keys, "review"), f"/calls/{call_id}")

    page = client.get(link, headers={"Accept-Language": "en"}).text

    assert '<html lang="en">' in page
    for words in ("Checklist items", "Transcript", "not a question", "add a missed violation"):
        assert words in page
    text = re.sub(r"<[^>]+>|«[^»]*»", " ", page.split("<style>")[0] + page.split("</style>")[1])
    russian_labels = {
        "не вопрос",
        "Расшифровка",
        "Пункты чек-листа",
        "балл из 100",
        "реплика",
        "отчёт тренера",
        "длительность",
    }
    assert [w for w in russian_labels if w in text] == []
