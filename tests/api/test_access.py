"""Who can do what: every route needs a key of the right scope once a key exists (401
without one, 403 without the scope); local mode answers loopback peers while no key exists;
revoked keys are refused within seconds; keys are rate limited; the audit log names the key."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.routing import compile_path

from app.api.app import create_app
from app.api.auth import Authenticator
from app.api.deps import Transactions, get_transactions
from app.db.session import SessionScope
from app.services import access
from app.services.mode import local_mode
from app.settings import Settings
from tests.api.routes import PLACEHOLDERS, ROUTES, Route, params

# These specs quote callqa's English words (Russian is the default).
pytestmark = pytest.mark.usefixtures("english")

Keys = dict[str, str]
PUBLIC = {"/healthz", "/readyz", "/metrics"}
WRONG_SCOPE = {"ingest": "read", "read": "ingest", "review": "read", "admin": "review"}


@pytest.fixture
def keys(session: Session, app: FastAPI) -> Keys:
    """One key of each scope in the default organisation; local mode is over."""
    made = {s: access.create_key(session, scopes=[s], name=s)[1] for s in access.SCOPES}
    session.flush()
    app.state.auth.clear()
    return made


@pytest.fixture
def make_client(
    app: FastAPI, settings: Settings, session_scope: SessionScope
) -> Iterator[Callable[..., Any]]:
    """`with make_client(peer=..., **settings):` a client from that peer of an app with those
    settings (the session's app with another authenticator, or a new app for CORS)."""
    saved = app.state.auth

    @contextmanager
    def make(peer: str = "127.0.0.1", **changes: Any) -> Iterator[TestClient]:
        changed = settings.model_copy(update=changes)
        served = create_app(changed) if "cors_origins" in changes else app
        served.state.auth = Authenticator(changed)
        served.dependency_overrides[get_transactions] = lambda: Transactions(session_scope)
        with TestClient(served, raise_server_exceptions=False, client=(peer, 50000)) as client:
            yield client

    yield make
    app.state.auth = saved


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def send(client: TestClient, route: Route, secret: str | None) -> Any:
    """The route's request (placeholders for what it acts on), with that key or none."""
    path, body = route.fill(PLACEHOLDERS)
    headers = bearer(secret) if secret else {}
    return client.request(route.method, path, headers=headers, **route.request(body))


def test_the_table_names_every_route(app: FastAPI) -> None:
    documented = {
        (method.upper(), template)
        for template, operations in app.openapi()["paths"].items()
        if template not in PUBLIC
        for method in operations
    }
    compiled = [(compile_path(t)[0], m, t) for m, t in documented]
    tabled = {
        (r.method, next(t for c, m, t in compiled if m == r.method and c.fullmatch(path)))
        for r in ROUTES
        for path in [r.fill(PLACEHOLDERS)[0].split("?")[0]]
    }
    assert tabled == documented
    assert len(ROUTES) == len(documented)


@pytest.mark.parametrize("route", params())
def test_no_key_is_401_with_www_authenticate(client: TestClient, keys: Keys, route: Route) -> None:
    answer = send(client, route, None)
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("route", params())
def test_a_key_without_the_scope_is_403(client: TestClient, keys: Keys, route: Route) -> None:
    answer = send(client, route, keys[WRONG_SCOPE[route.scope]])
    assert answer.status_code == 403, answer.text
    assert route.scope in answer.json()["detail"]


@pytest.mark.parametrize("route", params())
def test_a_key_with_the_scope_gets_through(client: TestClient, keys: Keys, route: Route) -> None:
    for holder in {route.scope, "admin"}:
        answer = send(client, route, keys[holder])
        assert answer.status_code not in (401, 403, 500), (holder, answer.text)


def test_review_keys_read_and_ingest_keys_do_not(client: TestClient, keys: Keys) -> None:
    assert client.get("/v1/managers", headers=bearer(keys["review"])).status_code == 200
    assert client.get("/v1/managers", headers=bearer(keys["ingest"])).status_code == 403


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Bearer cq_short",
        "Bearer " + "cq_" + "a" * 44,
        ("Bearer cq_" + "é" * 43).encode(),
        "Token cq_" + "a" * 43,
        "Bearer cq_" + "a" * 43,  # well formed, unknown
        "bearer\tcq_" + "a" * 43,
    ],
)
def test_malformed_or_unknown_keys_are_401_never_500(
    client: TestClient, keys: Keys, header: str | bytes
) -> None:
    answer = client.get("/v1/managers", headers={"Authorization": header})
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_key_is_refused_within_the_cache_time(
    client: TestClient, keys: Keys, session: Session, app: FastAPI
) -> None:
    auth: Authenticator = app.state.auth
    auth.ttl = 0.3
    key = next(k for k in access.list_keys(session) if k["name"] == "read")
    secret = keys["read"]
    assert client.get("/v1/checklists", headers=bearer(secret)).status_code == 200
    access.revoke_key(session, key["id"])
    session.flush()
    time.sleep(0.35)
    answer = client.get("/v1/checklists", headers=bearer(secret))
    assert answer.status_code == 401
    assert "revoked" in answer.json()["detail"]


def test_a_key_made_while_the_server_runs_works_at_once(
    client: TestClient, keys: Keys, session: Session
) -> None:
    _, secret = access.create_key(session, scopes=["read"])
    session.flush()
    assert client.get("/v1/managers", headers=bearer(secret)).status_code == 200


def test_local_mode_answers_loopback_peers_until_a_key_exists(
    client: TestClient, session: Session, app: FastAPI
) -> None:
    assert client.get("/v1/managers").status_code == 200
    assert client.get("/v1/managers", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 401
    assert client.get("/v1/managers", headers={"Forwarded": "for=203.0.113.9"}).status_code == 401
    access.create_key(session, scopes=["read"])
    session.flush()
    app.state.auth.clear()
    assert client.get("/v1/managers").status_code == 401


def test_local_mode_refuses_peers_that_are_not_loopback(
    client: TestClient, make_client: Callable[..., TestClient]
) -> None:
    with make_client(peer="192.0.2.7") as outsider:
        answer = outsider.get("/v1/calls/1")
    assert answer.status_code == 401
    assert "callqa keys create" in answer.json()["detail"]


def test_local_mode_is_a_loopback_bind_while_no_key_exists(
    session: Session, settings: Settings
) -> None:
    assert local_mode(settings.model_copy(update={"host": "::1", "bind_host": "::1"}), session)
    assert local_mode(settings.model_copy(update={"host": "localhost"}), session)
    assert not local_mode(settings.model_copy(update={"host": "0.0.0.0"}), session)
    assert not local_mode(settings.model_copy(update={"bind_host": "192.0.2.1"}), session)
    access.create_key(session, scopes=["read"])
    session.flush()
    assert not local_mode(settings, session)


def test_no_local_mode_on_a_server_bound_to_another_address(
    make_client: Callable[..., TestClient],
) -> None:
    with make_client(host="0.0.0.0") as loopback_peer:
        assert loopback_peer.get("/v1/managers").status_code == 401


def test_auth_off_answers_everyone(make_client: Callable[..., TestClient]) -> None:
    with make_client(peer="192.0.2.7", auth="off") as outsider:
        assert outsider.get("/v1/managers").status_code == 200


def test_a_key_over_its_rate_gets_429_with_retry_after(
    client: TestClient, keys: Keys, session: Session, app: FastAPI
) -> None:
    access.set_organisation(session, "default", rate_limit=3)
    session.flush()
    app.state.auth.clear()
    answers = [client.get("/v1/checklists", headers=bearer(keys["read"])) for _ in range(5)]
    assert [a.status_code for a in answers][:3] == [200, 200, 200]
    assert answers[-1].status_code == 429
    assert int(answers[-1].headers["retry-after"]) >= 1
    # Another key has its own budget.
    assert client.get("/v1/checklists", headers=bearer(keys["admin"])).status_code == 200


def test_admins_manage_keys_over_http(client: TestClient, keys: Keys) -> None:
    admin = bearer(keys["admin"])
    made = client.post("/v1/keys", json={"scopes": ["read"], "name": "bi"}, headers=admin)
    assert made.status_code == 201, made.text
    new = made.json()
    assert new["secret"].startswith("cq_") and new["scopes"] == ["read"]
    assert client.get("/v1/managers", headers=bearer(new["secret"])).status_code == 200
    listed = client.get("/v1/keys", headers=admin).json()["keys"]
    assert "bi" in [k["name"] for k in listed]
    assert all("secret" not in k and "secret_sha256" not in k for k in listed)
    revoked = client.delete(f"/v1/keys/{new['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None


def test_a_key_limited_to_teams_cannot_make_a_key_for_all_teams(
    client: TestClient, session: Session, app: FastAPI
) -> None:
    _, secret = access.create_key(session, scopes=["admin"], teams=["north"])
    session.flush()
    app.state.auth.clear()
    answer = client.post("/v1/keys", json={"scopes": ["read"]}, headers=bearer(secret))
    assert answer.status_code == 403


def test_reading_a_call_is_in_the_audit_log_with_the_key(
    client: TestClient, keys: Keys, make_call: Any, session: Session
) -> None:
    stored = client.post("/v1/calls", json=make_call(), headers=bearer(keys["ingest"]))
    call_id = stored.json()["id"]
    assert client.get(f"/v1/calls/{call_id}", headers=bearer(keys["read"])).status_code == 200
    assert client.get(f"/calls/{call_id}", headers=bearer(keys["review"])).status_code == 200
    report = client.get("/v1/managers/m-anna/report?format=csv", headers=bearer(keys["read"]))
    assert report.status_code == 200
    audit = client.get("/v1/audit", headers=bearer(keys["admin"])).json()["entries"]
    read_key = next(k["id"] for k in access.list_keys(session) if k["name"] == "read")
    review_key = next(k["id"] for k in access.list_keys(session) if k["name"] == "review")
    assert [(e["action"], e["call_id"], e["key_id"]) for e in audit] == [
        ("report.export", None, read_key),
        ("call.read", call_id, review_key),
        ("call.read", call_id, read_key),
    ]
    assert audit[0]["path"] == "/v1/managers/m-anna/report"
    only = client.get(f"/v1/audit?call_id={call_id}", headers=bearer(keys["admin"])).json()
    assert len(only["entries"]) == 2


def test_security_headers_on_every_answer(client: TestClient, keys: Keys) -> None:
    for answer in (
        client.get("/v1/managers", headers=bearer(keys["read"])),
        client.get("/v1/managers"),
        client.get("/healthz"),
    ):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"
        assert "content-security-policy" not in answer.headers


def test_cors_is_off_unless_origins_are_allowed(
    client: TestClient, make_client: Callable[..., TestClient]
) -> None:
    origin = {"Origin": "https://bi.example.com"}
    assert "access-control-allow-origin" not in client.get("/v1/managers", headers=origin).headers
    with make_client(cors_origins=["https://bi.example.com"]) as allowed:
        answer = allowed.get("/v1/managers", headers=origin)
    assert answer.headers["access-control-allow-origin"] == "https://bi.example.com"
