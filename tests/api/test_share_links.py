"""A trainer opens a report in a browser: POST /v1/share makes a link to one HTML page that
opens without a key until it expires; the report's calls open through links of their own; a
link for another page, an expired or a tampered one, or one whose key was revoked, is 401."""

from __future__ import annotations

import re
import time
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session

from app.api.auth import Authenticator
from app.services import access
from app.settings import Settings
from app.tenancy import LOCAL

# These specs quote callqa's English words (Russian is the default).
pytestmark = pytest.mark.usefixtures("english")

REPORT = "/v1/managers/m-anna/report"


@pytest.fixture
def read_key(session: Session, app: FastAPI) -> dict[str, str]:
    _, secret = access.create_key(session, scopes=["read"])
    session.flush()
    app.state.auth.clear()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def call_id(client: TestClient, make_call: Any, session: Session, app: FastAPI) -> int:
    """A stored call (ingested in local mode, before the test's keys exist)."""
    stored = client.post("/v1/calls", json=make_call())
    assert stored.status_code == 201, stored.text
    return int(stored.json()["id"])


def share(client: TestClient, key: dict[str, str], path: str, expires_in: int = 3600) -> str:
    made = client.post("/v1/share", json={"path": path, "expires_in": expires_in}, headers=key)
    assert made.status_code == 201, made.text
    assert made.json()["expires_at"]
    url = urlsplit(made.json()["url"])
    return f"{url.path}?{url.query}"


def test_a_share_link_opens_the_call_page_without_a_key(
    client: TestClient, call_id: int, read_key: dict[str, str]
) -> None:
    assert client.get(f"/calls/{call_id}").status_code == 401
    link = share(client, read_key, f"/calls/{call_id}")
    page = client.get(link)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


def test_a_shared_report_links_its_calls_with_their_own_share_links(
    client: TestClient, call_id: int, read_key: dict[str, str]
) -> None:
    link = share(client, read_key, f"{REPORT}?format=html&from=2026-03-01&to=2026-03-10")
    report = client.get(link)
    assert report.status_code == 200, report.text
    calls = {unescape(h) for h in re.findall(r"href='([^']*/calls/[^']*)'", report.text)}
    assert calls, report.text[:500]
    for href in calls:
        assert "share=" in href
        assert client.get(href.split("#")[0]).status_code == 200


def test_a_share_link_does_not_open_another_page(
    client: TestClient, call_id: int, read_key: dict[str, str]
) -> None:
    link = share(client, read_key, f"/calls/{call_id}")
    token = link.split("share=")[1]
    answer = client.get(f"/v1/calls/{call_id}?share={token}")
    assert answer.status_code == 401
    assert "another page" in answer.json()["detail"]
    assert client.get(f"{REPORT}?share={token}").status_code == 401


def test_an_expired_share_link_is_401(
    client: TestClient, call_id: int, read_key: dict[str, str], session: Session
) -> None:
    secret = access.share_secret(session, "default")
    assert secret is not None
    token = access.sign_share(secret, LOCAL, f"/calls/{call_id}", int(time.time()) - 1)
    answer = client.get(f"/calls/{call_id}?share={token}")
    assert answer.status_code == 401
    assert "expired" in answer.json()["detail"]


@pytest.mark.parametrize("tamper", ["payload", "signature", "garbage"])
def test_a_tampered_share_link_is_401(
    client: TestClient, call_id: int, read_key: dict[str, str], tamper: str
) -> None:
    link = share(client, read_key, f"/calls/{call_id}")
    token = link.split("share=")[1]
    payload, mac = token.split(".")
    forged = {
        "payload": f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{mac}",
        "signature": f"{payload}.{mac[::-1]}",
        "garbage": "not-a-token",
    }[tamper]
    answer = client.get(f"/calls/{call_id}?share={forged}")
    assert answer.status_code == 401, answer.text


def test_only_html_pages_can_be_shared(client: TestClient, read_key: dict[str, str]) -> None:
    answer = client.post("/v1/share", json={"path": "/v1/calls"}, headers=read_key)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/path"


def test_with_a_secret_key_every_replica_opens_the_links_of_the_others(
    client: TestClient, call_id: int, read_key: dict[str, str], app: FastAPI, settings: Settings
) -> None:
    def replica(secret: str) -> Authenticator:
        return Authenticator(settings.model_copy(update={"secret_key": SecretStr(secret)}))

    saved = app.state.auth
    try:
        app.state.auth = replica("one secret for all replicas")
        link = share(client, read_key, f"/calls/{call_id}")
        app.state.auth = replica("one secret for all replicas")
        assert client.get(link).status_code == 200
        app.state.auth = replica("another deployment's secret")
        assert client.get(link).status_code == 401
    finally:
        app.state.auth = saved


def test_a_share_link_stops_working_once_its_key_is_revoked(
    client: TestClient, call_id: int, session: Session, app: FastAPI
) -> None:
    _, admin = access.create_key(session, scopes=["admin"], name="admin")
    key, secret = access.create_key(session, scopes=["read"], name="trainer")
    session.flush()
    app.state.auth.clear()
    app.state.auth.ttl = 0.3
    page = share(client, {"Authorization": f"Bearer {secret}"}, f"/calls/{call_id}")
    assert client.get(page).status_code == 200
    forged = client.get(f"/calls/{call_id}?share={page.split('share=')[1][:-3]}AAA")

    revoked = client.delete(f"/v1/keys/{key['id']}", headers={"Authorization": f"Bearer {admin}"})
    assert revoked.status_code == 200, revoked.text
    time.sleep(0.35)  # the key cache's window

    answer = client.get(page)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == forged.headers["content-type"]
    assert answer.json() == forged.json() | {"instance": answer.json().get("instance")}
    assert answer.json()["detail"] == "the share link is not valid"


def test_a_shared_reports_call_links_stop_working_with_its_key(
    client: TestClient, call_id: int, session: Session, app: FastAPI
) -> None:
    key, secret = access.create_key(session, scopes=["review"], name="trainer")
    session.flush()
    app.state.auth.clear()
    link = share(
        client,
        {"Authorization": f"Bearer {secret}"},
        f"{REPORT}?format=html&from=2026-03-01&to=2026-03-10",
    )
    report = client.get(link)
    assert report.status_code == 200, report.text
    calls = {unescape(h) for h in re.findall(r"href='([^']*/calls/[^']*)'", report.text)}
    assert calls and all(client.get(h.split("#")[0]).status_code == 200 for h in calls)

    access.revoke_key(session, key["id"])
    session.flush()
    app.state.auth.clear()  # as when the key cache's window has passed

    assert client.get(link).status_code == 401
    for href in calls:
        answer = client.get(href.split("#")[0])
        assert answer.status_code == 401
        assert answer.json()["detail"] == "the share link is not valid"


def test_a_share_link_made_in_local_mode_outlives_revoked_keys(
    client: TestClient, call_id: int, session: Session, app: FastAPI
) -> None:
    page = share(client, {}, f"/calls/{call_id}")  # no key yet: local mode
    key, _secret = access.create_key(session, scopes=["admin"], name="first")
    access.revoke_key(session, key["id"])
    session.flush()
    app.state.auth.clear()

    assert client.get(f"/calls/{call_id}").status_code == 401  # local mode is over
    assert client.get(page).status_code == 200
