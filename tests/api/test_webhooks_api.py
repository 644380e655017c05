"""Webhooks through the API: registering (a secret made and shown once), listing, changing
and deleting receivers; targets that would reach private networks refused outside local mode;
events written with the call that caused them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.api.deps import get_app_settings
from app.db.session import SessionScope
from app.services import access, webhooks
from app.services.mode import private_targets_allowed
from app.settings import Settings
from tests.receiver import Recorder

PUBLIC = "https://93.184.216.34/hooks"  # an address on the internet: no DNS needed


def _hook(client: TestClient, **body: Any) -> Any:
    return client.post("/v1/webhooks", json={"url": PUBLIC, "events": ["call.scored"], **body})


@pytest.fixture
def served(app: FastAPI, client: TestClient, settings: Settings) -> Iterator[TestClient]:
    """The API as deployed: bound to all interfaces, so not in local mode."""
    deployed = settings.model_copy(update={"bind_host": "0.0.0.0"})
    app.dependency_overrides[get_app_settings] = lambda: deployed
    yield client
    del app.dependency_overrides[get_app_settings]


def test_a_webhook_without_a_secret_gets_one_shown_only_in_the_answer_that_made_it(
    client: TestClient,
) -> None:
    made = _hook(client, events=["call.scored", "call.red", "call.red"])

    assert made.status_code == 201
    hook = made.json()
    assert len(hook["secret"]) >= 32
    assert hook["events"] == ["call.scored", "call.red"]
    assert made.headers["location"] == f"/v1/webhooks/{hook['id']}"
    listed = client.get("/v1/webhooks").json()["webhooks"]
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0]


def test_a_webhook_can_be_changed_paused_and_deleted(client: TestClient) -> None:
    hook = _hook(client, secret="my-own-secret-of-16+").json()
    assert hook["secret"] == "my-own-secret-of-16+"

    changed = client.patch(
        f"/v1/webhooks/{hook['id']}", json={"events": ["job.finished"], "active": False}
    )
    assert changed.status_code == 200
    assert changed.json()["events"] == ["job.finished"]
    assert changed.json()["active"] is False

    assert client.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    assert client.delete(f"/v1/webhooks/{hook['id']}").status_code == 404
    assert client.get(f"/v1/webhooks/{hook['id']}/deliveries").status_code == 404


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"events": ["call.deleted"]}, "/events/0"),
        ({"events": []}, "/events"),
        ({"url": "ftp://93.184.216.34/x"}, "/url"),
        ({"secret": "short"}, "/secret"),
    ],
)
def test_an_invalid_webhook_is_422_naming_the_field(
    client: TestClient, body: dict[str, Any], pointer: str
) -> None:
    answer = _hook(client, **body)

    assert answer.status_code == 422
    assert pointer in [e["pointer"] for e in answer.json()["errors"]]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.20/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/hook",
        "http://[::ffff:10.0.0.5]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_loopback_and_link_local_targets_are_refused_outside_local_mode(
    served: TestClient, url: str
) -> None:
    answer = served.post("/v1/webhooks", json={"url": url, "events": ["call.scored"]})

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["pointer"] == "/url"
    assert "CALLQA_WEBHOOK_ALLOW_PRIVATE" in answer.json()["errors"][0]["reason"]


def test_a_public_target_is_accepted_outside_local_mode(served: TestClient) -> None:
    assert _hook(served).status_code == 201


def test_moving_a_webhook_to_a_private_target_is_refused_too(served: TestClient) -> None:
    hook = _hook(served).json()

    answer = served.patch(f"/v1/webhooks/{hook['id']}", json={"url": "http://10.1.2.3/"})

    assert answer.status_code == 422


def test_local_mode_allows_private_targets_unless_the_setting_says_otherwise(
    session: Session,
) -> None:
    def allowed(**settings: Any) -> bool:
        return private_targets_allowed(Settings(**settings), session)

    assert allowed(bind_host="127.0.0.1")
    assert not allowed(bind_host="0.0.0.0")
    assert allowed(bind_host="0.0.0.0", webhook_allow_private=True)
    assert not allowed(bind_host="127.0.0.1", webhook_allow_private=False)
    access.create_key(session, scopes=["admin"])
    session.flush()
    assert not allowed(bind_host="127.0.0.1")  # a key exists: local mode is over
    assert allowed(bind_host="127.0.0.1", webhook_allow_private=True)


def test_a_loopback_receiver_is_refused_once_a_key_exists(
    client: TestClient, session: Session, app: FastAPI
) -> None:
    _, secret = access.create_key(session, scopes=["admin"])
    session.flush()
    app.state.auth.clear()
    answer = client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["call.scored"]},
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["pointer"] == "/url"


def test_a_loopback_receiver_is_allowed_in_local_mode(client: TestClient) -> None:
    answer = client.post(
        "/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["call.scored"]}
    )

    assert answer.status_code == 201


def _queued(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        text("SELECT lock, args FROM procrastinate_jobs WHERE queue_name = 'webhooks' ORDER BY id")
    )
    return [{"lock": r[0], "args": r[1]} for r in rows]


def test_a_stored_call_writes_its_events_and_queues_them_in_its_transaction(
    client: TestClient, session: Session, make_call: Any
) -> None:
    hook = _hook(client, events=["call.scored", "call.red", "violation.found"]).json()
    paused = _hook(client, events=["call.scored"]).json()
    client.patch(f"/v1/webhooks/{paused['id']}", json={"active": False})

    call = client.post("/v1/calls", json=make_call()).json()

    log = client.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["deliveries"]
    assert [d["event"] for d in log] == ["violation.found", "call.red", "call.scored"]
    assert {d["status"] for d in log} == {"pending"}
    assert {d["call_id"] for d in log} == {call["id"]}
    assert client.get(f"/v1/webhooks/{paused['id']}/deliveries").json()["deliveries"] == []
    queued = _queued(session)  # one task sends the call's events, in the order written
    ids = sorted(d["id"] for d in log)
    assert [q["args"] for q in queued] == [
        {"organisation_id": "default", "webhook_id": hook["id"], "ids": ids}
    ]


def _send_queued(
    session: Session,
    session_scope: SessionScope,
    settings: Settings,
    sender: Recorder,
    attempt: int,
) -> None:
    """Run the queued webhook tasks once, as the worker does, with `sender` posting."""
    for task in _queued(session):
        webhooks.deliver(session_scope, settings, sender, task["args"]["ids"], attempt)  # type: ignore[arg-type]


def test_erasing_a_call_removes_its_webhook_payloads_and_its_queued_task_sends_nothing(
    client: TestClient,
    session: Session,
    session_scope: SessionScope,
    settings: Settings,
    make_call: Any,
) -> None:
    hook = _hook(client, events=["call.scored", "violation.found"]).json()
    kept = client.post("/v1/calls", json=make_call()).json()
    erased = client.post("/v1/calls", json=make_call()).json()

    assert client.delete(f"/v1/calls/{erased['id']}").status_code == 204

    log = client.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["deliveries"]
    assert {d["call_id"] for d in log} == {kept["id"]}
    sender = Recorder()
    _send_queued(session, session_scope, settings, sender, 0)
    assert [orjson.loads(body)["data"]["id"] for _, body in sender.posted] == [kept["id"]] * 2
    left = session.execute(
        text("SELECT count(*) FROM webhook_delivery WHERE data::text LIKE :id"),
        {"id": f'%"external_id": "{erased["external_id"]}"%'},
    ).scalar_one()
    assert left == 0


def test_a_call_event_carries_the_call_as_answered_in_the_same_bytes_on_every_attempt(
    client: TestClient,
    session: Session,
    session_scope: SessionScope,
    settings: Settings,
    make_call: Any,
) -> None:
    hook = _hook(client, events=["call.scored", "call.red", "violation.found"]).json()
    answered = client.post("/v1/calls", json=make_call(started_at="2026-03-01T09:30:00.25-05:30"))
    call = answered.json()
    sender = Recorder(500)  # the first attempt fails: the call's later events wait for the retry

    _send_queued(session, session_scope, settings, sender, 0)
    _send_queued(session, session_scope, settings, sender, 1)
    first = next(
        d
        for d in client.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["deliveries"]
        if d["event"] == "call.scored"
    )
    client.post(f"/v1/webhooks/{hook['id']}/deliveries/{first['id']}/redeliver")
    _send_queued(session, session_scope, settings, sender, 0)

    events = [orjson.loads(body) for _, body in sender.posted]
    assert [e["event"] for e in events] == [
        "call.scored",
        "call.scored",
        "call.red",
        "violation.found",
        "call.scored",
    ]
    assert all(e["data"] == call for e in events)
    assert call["started_at"] == "2026-03-01T09:30:00.250000-05:30"
    scored = [(h, body) for h, body in sender.posted if h["X-Callqa-Event"] == "call.scored"]
    assert len({body for _, body in scored}) == 1
    assert len({h["X-Callqa-Delivery"] for h, _ in scored}) == 1
    assert {h["X-Callqa-Signature"] for h, _ in scored} == {
        webhooks.signature(hook["secret"], scored[0][1])
    }


def test_a_batch_writes_events_only_for_the_calls_it_stored(
    client: TestClient, make_call: Any
) -> None:
    hook = _hook(client).json()
    before = make_call()
    client.post("/v1/calls", json=before)

    batch = client.post("/v1/calls/batch", json={"calls": [before, make_call(), make_call()]})

    assert [i["status"] for i in batch.json()["items"]] == [200, 201, 201]
    log = client.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["deliveries"]
    assert len(log) == 3


def test_the_delivery_log_pages_back_with_before_and_limit(
    client: TestClient, make_call: Any
) -> None:
    hook = _hook(client).json()
    for _ in range(3):
        client.post("/v1/calls", json=make_call())
    path = f"/v1/webhooks/{hook['id']}/deliveries"

    first = client.get(path, params={"limit": 2}).json()["deliveries"]
    rest = client.get(path, params={"before": first[-1]["id"]}).json()["deliveries"]

    assert len(first) == 2
    assert len(rest) == 1
    assert rest[0]["id"] < first[-1]["id"]


def test_redelivering_an_unknown_delivery_is_404(client: TestClient) -> None:
    hook = _hook(client).json()

    answer = client.post(f"/v1/webhooks/{hook['id']}/deliveries/999999/redeliver")

    assert answer.status_code == 404
