"""Specs: a checklist belongs to the organisation that pushes it. Its calls are scored with it,
its trends and reports read it; another organisation never sees it and keeps the built-ins,
which are stored once and read by all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.services import access, checklists
from tests.conftest import transcript_text

YAML = {"Content-Type": "application/yaml"}
Keys = dict[str, dict[str, str]]

ACME_REALTY = """\
key: acme_realty
title: Звонок по объявлению (Акме)
extends: realty_phone
forbidden_phrases:
  - phrase: это дорого
    replacement: Это вложение в ваш комфорт
"""
# The built-in's key with the organisation's own phrase: its own series of realty_phone.
ACME_OWN_REALTY_PHONE = ACME_REALTY.replace("key: acme_realty", "key: realty_phone")
CLINIC = """\
key: clinic_intake
title: Запись в клинику
language: ru
grades: {green: 80, yellow: 50}
categories:
  symptoms:
    title: Вопросы о симптомах
    words: [болеть, боль, температура, симптом]
items:
  - key: symptom_questions
    title: Расспросил о симптомах
    kind: question_count
    category: symptoms
    target: 1
    points: 100
"""
EXPENSIVE = transcript_text() + "\nМенеджер: Да, это дорого, но район хороший."
WINDOW = {"from": "2026-03-01", "to": "2026-03-08", "bucket": "day"}


@pytest.fixture
def keys(session: Session, app: FastAPI) -> Keys:
    """An admin key of each of two organisations, as request headers."""
    made = {}
    for org in ("acme", "globex"):
        _, secret = access.create_key(session, organisation=org, scopes=["admin"], name=org)
        made[org] = {"Authorization": f"Bearer {secret}"}
    session.flush()
    app.state.auth.clear()
    return made


def _push(client: TestClient, text: str, key: dict[str, str]) -> dict[str, Any]:
    response = client.post("/v1/checklists", content=text.encode(), headers=YAML | key)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _post_call(client: TestClient, body: dict[str, Any], key: dict[str, str]) -> dict[str, Any]:
    response = client.post("/v1/calls", json=body, headers=key)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _ship_as_built_in(session: Session, key: str, version: str) -> None:
    """Mark a version of 'default' as the package's, as storing the built-ins of a package
    that ships it does."""
    mark = "UPDATE checklist_version SET builtin = true WHERE organisation_id = 'default'"
    session.execute(text(mark + " AND key = :key AND version = :version"), locals())
    session.flush()


def _phrases(score: dict[str, Any]) -> set[str]:
    return {v["phrase"] for v in score["violations"]}


def _latest(client: TestClient, key: str, org_key: dict[str, str]) -> str:
    response = client.get(f"/v1/checklists/{key}", headers=org_key)
    assert response.status_code == 200, response.text
    return str(response.json()["version"])


def test_an_organisations_default_checklist_scores_its_calls_and_not_another_organisations(
    client: TestClient, keys: Keys, make_call: Callable[..., dict[str, Any]]
) -> None:
    acme, globex = keys["acme"], keys["globex"]
    builtin = _latest(client, "realty_phone", globex)
    pushed = _push(client, ACME_REALTY, acme)
    assigned = client.put(
        "/v1/checklists/default", json={"checklist": "acme_realty", "version": None}, headers=acme
    )
    assert assigned.status_code == 200, assigned.text

    acme_call = _post_call(client, make_call(transcript=EXPENSIVE), acme)
    globex_call = _post_call(client, make_call(transcript=EXPENSIVE), globex)

    assert acme_call["score"]["checklist"] == {"key": "acme_realty", "version": pushed["version"]}
    assert "это дорого" in _phrases(acme_call["score"])
    assert globex_call["score"]["checklist"] == {"key": "realty_phone", "version": builtin}
    assert "это дорого" not in _phrases(globex_call["score"])
    assert "я не знаю" in _phrases(globex_call["score"])  # the built-in still applies
    page = client.get(f"/calls/{acme_call['id']}", headers=acme)
    assert page.status_code == 200
    assert "Это вложение в ваш комфорт" in page.text


def test_another_organisations_checklist_is_404_everywhere_as_if_it_did_not_exist(
    client: TestClient, keys: Keys, make_call: Callable[..., dict[str, Any]]
) -> None:
    acme, globex = keys["acme"], keys["globex"]
    version = _push(client, ACME_REALTY, acme)["version"]

    answers = {
        "get": client.get("/v1/checklists/acme_realty", headers=globex),
        "versions": client.get("/v1/checklists/acme_realty/versions", headers=globex),
        "delete": client.delete(f"/v1/checklists/acme_realty/versions/{version}", headers=globex),
        "default": client.put(
            "/v1/checklists/default", json={"checklist": "acme_realty"}, headers=globex
        ),
        "team": client.put(
            "/v1/teams/t-north/checklist",
            json={"checklist": "acme_realty", "version": version},
            headers=globex,
        ),
        "rescore": client.post("/v1/rescore", json={"checklist": "acme_realty"}, headers=globex),
        "call": client.post("/v1/calls", json=make_call(checklist="acme_realty"), headers=globex),
        "score": client.post(
            "/v1/score",
            json={"transcript": EXPENSIVE, "checklist": "acme_realty"},
            headers=globex,
        ),
        "trends": client.get(
            "/v1/managers/m-anna/trends",
            params=WINDOW | {"checklist": "acme_realty", "version": version},
            headers=globex,
        ),
    }

    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 404)
    assert all(a.headers["content-type"] == "application/problem+json" for a in answers.values())
    listed = {c["key"] for c in client.get("/v1/checklists", headers=globex).json()}
    assert "acme_realty" not in listed
    assert "realty_phone" in listed
    acme_listed = {c["key"] for c in client.get("/v1/checklists", headers=acme).json()}
    assert {"acme_realty", "realty_phone"} <= acme_listed


def test_an_organisation_pushing_a_built_in_key_gets_its_own_series_and_others_keep_the_built_in(
    client: TestClient, keys: Keys, make_call: Callable[..., dict[str, Any]]
) -> None:
    acme, globex = keys["acme"], keys["globex"]
    builtin = _latest(client, "realty_phone", globex)

    own = _push(client, ACME_OWN_REALTY_PHONE, acme)["version"]
    acme_call = _post_call(client, make_call(transcript=EXPENSIVE), acme)
    globex_call = _post_call(client, make_call(transcript=EXPENSIVE), globex)

    assert own != builtin
    assert (_latest(client, "realty_phone", acme), _latest(client, "realty_phone", globex)) == (
        own,
        builtin,
    )
    acme_versions = client.get("/v1/checklists/realty_phone/versions", headers=acme).json()
    globex_versions = client.get("/v1/checklists/realty_phone/versions", headers=globex).json()
    assert [v["version"] for v in acme_versions["versions"]] == [own]
    assert [v["version"] for v in globex_versions["versions"]] == [builtin]
    assert acme_call["score"]["checklist"]["version"] == own
    assert "это дорого" in _phrases(acme_call["score"])
    assert globex_call["score"]["checklist"]["version"] == builtin
    assert "это дорого" not in _phrases(globex_call["score"])


def test_a_built_in_used_by_an_organisation_is_not_its_own_to_delete(
    client: TestClient, keys: Keys, make_call: Callable[..., dict[str, Any]]
) -> None:
    acme = keys["acme"]
    builtin = _latest(client, "realty_phone", acme)
    _post_call(client, make_call(), acme)  # scored with the built-in

    refused = client.delete(f"/v1/checklists/realty_phone/versions/{builtin}", headers=acme)

    assert refused.status_code == 404, refused.text
    assert _latest(client, "realty_phone", acme) == builtin


def test_deleting_a_version_in_one_organisation_leaves_anothers_copy_and_its_scores(
    client: TestClient, keys: Keys, make_call: Callable[..., dict[str, Any]]
) -> None:
    acme, globex = keys["acme"], keys["globex"]
    version = _push(client, CLINIC, acme)["version"]
    assert _push(client, CLINIC, globex)["version"] == version  # the same content, its own row
    call = _post_call(client, make_call(checklist="clinic_intake"), globex)

    deleted = client.delete(f"/v1/checklists/clinic_intake/versions/{version}", headers=acme)
    globex_delete = client.delete(
        f"/v1/checklists/clinic_intake/versions/{version}", headers=globex
    )

    assert deleted.status_code == 204, deleted.text
    assert client.get("/v1/checklists/clinic_intake", headers=acme).status_code == 404
    assert _latest(client, "clinic_intake", globex) == version
    assert globex_delete.status_code == 409  # its call was scored with it
    stored = client.get(f"/v1/calls/{call['id']}", headers=globex).json()
    assert stored["checklist"] == {"key": "clinic_intake", "version": version}
    assert client.get(f"/calls/{call['id']}", headers=globex).status_code == 200


def test_an_organisations_trends_and_report_read_its_own_checklist(
    client: TestClient, keys: Keys, make_call: Callable[..., dict[str, Any]]
) -> None:
    acme, globex = keys["acme"], keys["globex"]
    version = _push(client, ACME_REALTY, acme)["version"]
    categories = list(client.get("/v1/checklists/acme_realty", headers=acme).json()["categories"])
    for _ in range(2):
        _post_call(client, make_call(transcript=EXPENSIVE, checklist="acme_realty"), acme)
    _post_call(client, make_call(transcript=EXPENSIVE), globex)
    asked = WINDOW | {"checklist": "acme_realty", "version": version}

    trends = client.get("/v1/managers/m-anna/trends", params=asked, headers=acme)
    latest = client.get(
        "/v1/managers/m-anna/trends", params=WINDOW | {"checklist": "acme_realty"}, headers=acme
    )
    report = client.get("/v1/managers/m-anna/report", params=asked, headers=acme)
    theirs = client.get(
        "/v1/managers/m-anna/trends", params=WINDOW | {"checklist": "acme_realty"}, headers=globex
    )

    assert trends.status_code == 200, trends.text
    assert sum(p["calls"] for p in trends.json()["series"]) == 2
    assert [c["key"] for c in trends.json()["categories"]] == [*categories, "other"]
    assert latest.json()["versions"] == [version]
    assert report.status_code == 200, report.text
    assert report.json()["summary"]["calls"] == 2
    assert [c["key"] for c in report.json()["categories"]] == [*categories, "other"]
    assert report.json()["grade_bands"] is not None
    assert theirs.status_code == 200, theirs.text  # globex's manager m-anna, no acme figures
    assert sum(p["calls"] for p in theirs.json()["series"]) == 0
    assert theirs.json()["versions"] == []


def test_an_organisation_that_pushed_no_version_of_a_built_in_follows_its_newer_version(
    client: TestClient, keys: Keys, session: Session, make_call: Callable[..., dict[str, Any]]
) -> None:
    globex = keys["globex"]
    _post_call(client, make_call(), globex)  # its scores hold a copy of the built-in

    newer = checklists.push(session, ACME_OWN_REALTY_PHONE.encode(), "yaml")[0]["version"]
    _ship_as_built_in(session, "realty_phone", newer)  # a newer package's built-in
    call = _post_call(client, make_call(transcript=EXPENSIVE), globex)

    assert _latest(client, "realty_phone", globex) == newer
    assert call["score"]["checklist"] == {"key": "realty_phone", "version": newer}
    assert "это дорого" in _phrases(call["score"])


def test_a_checklist_pushed_in_local_mode_is_not_shared_with_other_organisations(
    client: TestClient, keys: Keys, session: Session, make_call: Callable[..., dict[str, Any]]
) -> None:
    globex = keys["globex"]
    builtin = _latest(client, "realty_phone", globex)
    clinic = checklists.push(session, CLINIC.encode(), "yaml")[0]["version"]  # 'default'
    local = checklists.push(session, ACME_OWN_REALTY_PHONE.encode(), "yaml")[0]["version"]
    session.flush()
    # Local mode (the organisation 'default') uses what it pushed.
    assert checklists.detail(session, "clinic_intake")["version"] == clinic
    assert checklists.detail(session, "realty_phone")["version"] == local

    answers = {
        "get": client.get("/v1/checklists/clinic_intake", headers=globex),
        "pinned_call": client.post(
            "/v1/calls",
            json=make_call(checklist="realty_phone", checklist_version=local),
            headers=globex,
        ),
        "versions": client.get("/v1/checklists/clinic_intake/versions", headers=globex),
        "call": client.post("/v1/calls", json=make_call(checklist="clinic_intake"), headers=globex),
        "pinned": client.put(
            "/v1/checklists/default",
            json={"checklist": "realty_phone", "version": local},
            headers=globex,
        ),
    }

    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 404)
    assert "clinic_intake" not in {
        c["key"] for c in client.get("/v1/checklists", headers=globex).json()
    }
    assert _latest(client, "realty_phone", globex) == builtin
    versions = client.get("/v1/checklists/realty_phone/versions", headers=globex).json()
    assert [v["version"] for v in versions["versions"]] == [builtin]
    call = _post_call(client, make_call(transcript=EXPENSIVE), globex)
    assert call["score"]["checklist"] == {"key": "realty_phone", "version": builtin}
    assert "это дорого" not in _phrases(call["score"])


def test_an_organisation_extends_a_built_in_and_not_what_local_mode_pushed_under_its_key(
    client: TestClient, keys: Keys, session: Session, make_call: Callable[..., dict[str, Any]]
) -> None:
    acme = keys["acme"]
    checklists.push(session, ACME_OWN_REALTY_PHONE.encode(), "yaml")  # 'default's realty_phone
    session.flush()

    own = _push(client, ACME_REALTY.replace("это дорого", "подумайте"), acme)
    call = _post_call(client, make_call(checklist="acme_realty", transcript=EXPENSIVE), acme)

    assert own["extends"]["key"] == "realty_phone"
    assert call["score"]["checklist"]["key"] == "acme_realty"
    assert "это дорого" not in _phrases(call["score"])  # 'default's phrase is not its base's
