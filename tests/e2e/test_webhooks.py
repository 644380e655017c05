"""Webhooks end to end: calls ingested through the API with real commits, a `callqa worker`
process delivering them, and a real receiver on loopback checking what arrives: signed bodies,
the same delivery id on every retry, events of a call in order, nothing for a retried ingest,
a delivery given up after its schedule and sent again on request, another organisation's
events sent by the worker acting as the app role (row-level security holds for it)."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.api.app import create_app
from app.db.session import APP_ROLE, Database
from app.services import ingest, webhooks
from app.services.schemas import CallIn
from app.settings import Settings
from app.tenancy import Tenant
from tests.receiver import Received, Receiver, running_receiver

ROOT = Path(__file__).resolve().parents[2]
CALLQA = Path(sys.executable).parent / "callqa"
SECRET = "a-secret-of-the-receiver-0123456789"
ALL_EVENTS = ["call.scored", "call.red", "violation.found", "job.finished"]


@pytest.fixture(scope="module")
def database(make_scratch_database: Callable[..., Any]) -> Iterator[str]:
    with make_scratch_database(f"webhooks_{time.monotonic_ns()}") as url:
        yield url


@pytest.fixture(scope="module")
def worker(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One `callqa worker` whose failed deliveries are retried twice (after 0.2 s and 0.4 s),
    then given up."""
    env = dict(
        os.environ,
        CALLQA_DATABASE_URL=database,
        CALLQA_WEBHOOK_RETRY_FIRST_S="0.2",
        CALLQA_WEBHOOK_RETRY_FOR_S="0.7",
    )
    log = (tmp_path_factory.mktemp("worker") / "worker.log").open("wb")
    process = subprocess.Popen(
        [str(CALLQA), "worker"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    yield
    process.kill()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def api(database: str, worker: None) -> Iterator[TestClient]:
    """The API on real commits, in local mode (a loopback receiver is allowed)."""
    with TestClient(create_app(Settings(database_url=database))) as client:
        yield client


@pytest.fixture
def receiver(api: TestClient) -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def hook(api: TestClient, receiver: Receiver) -> Iterator[int]:
    """A webhook for every event to the test's receiver; deleted afterwards."""
    answer = api.post(
        "/v1/webhooks", json={"url": receiver.url, "secret": SECRET, "events": ALL_EVENTS}
    )
    assert answer.status_code == 201, answer.text
    yield answer.json()["id"]
    api.delete(f"/v1/webhooks/{answer.json()['id']}")


def of_call(call_id: int) -> Callable[[Received], bool]:
    return lambda r: r.json["data"].get("id") == call_id


def deliveries(api: TestClient, hook: int, timeout_s: float = 30) -> list[dict[str, Any]]:
    """The delivery log once it is settled: the worker records a task's attempts after its
    last POST, so a receiver may have an event a moment before the log shows it."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = api.get(f"/v1/webhooks/{hook}/deliveries")
        assert answer.status_code == 200
        rows: list[dict[str, Any]] = answer.json()["deliveries"]
        if all(d["status"] in ("delivered", "failed") for d in rows):
            return rows
        assert time.monotonic() < deadline, f"deliveries not settled: {rows}"
        time.sleep(0.05)


def test_a_stored_call_reaches_the_receiver_signed_with_the_call_as_the_api_answered_it(
    api: TestClient, receiver: Receiver, hook: int, make_call: Any
) -> None:
    created = api.post("/v1/calls", json=make_call())
    assert created.status_code == 201
    call = created.json()

    got = receiver.wait_for(lambda rs: len(rs) == 3)

    scored = got[0]
    assert scored.headers["x-callqa-event"] == "call.scored"
    assert scored.json["event"] == "call.scored"
    assert scored.json["data"] == call
    assert scored.headers["x-callqa-delivery"] == scored.json["id"]
    expected = hmac.new(SECRET.encode(), scored.body, hashlib.sha256).hexdigest()
    assert scored.headers["x-callqa-signature"] == f"sha256={expected}"
    assert scored.headers["content-type"] == "application/json"
    assert {"id", "event", "created_at", "data"} == set(scored.json)


def test_the_events_of_a_call_arrive_in_order_even_when_the_first_is_retried(
    api: TestClient, receiver: Receiver, hook: int, make_call: Any
) -> None:
    receiver.fail(503)
    call_id = api.post("/v1/calls", json=make_call()).json()["id"]

    got = receiver.wait_for(lambda rs: len([r for r in rs if r.answered == 200]) == 3)

    assert [r.json["event"] for r in got] == [
        "call.scored",  # answered 503
        "call.scored",
        "call.red",
        "violation.found",
    ]
    assert all(r.json["data"]["id"] == call_id for r in got)


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt_with_one_delivery_id(
    api: TestClient, receiver: Receiver, hook: int, make_call: Any
) -> None:
    receiver.fail(500, 500)
    api.post("/v1/calls", json=make_call())

    got = receiver.wait_for(lambda rs: len(rs) == 5)  # 3 tries of the first event, 2 others

    first = [r for r in got if r.json["event"] == "call.scored"]
    assert [r.answered for r in first] == [500, 500, 200]
    assert len({r.headers["x-callqa-delivery"] for r in first}) == 1
    log = {d["event"]: d for d in deliveries(api, hook)}
    assert log["call.scored"]["status"] == "delivered"
    assert log["call.scored"]["attempts"] == 3
    assert log["call.scored"]["last_status"] == 200
    assert log["call.scored"]["event_id"] == first[0].headers["x-callqa-delivery"]


def test_a_retried_ingest_that_stores_nothing_new_emits_nothing(
    api: TestClient, receiver: Receiver, hook: int, make_call: Any
) -> None:
    body = make_call()
    others = [make_call(), make_call()]
    assert api.post("/v1/calls", json=body).status_code == 201
    assert api.post("/v1/calls/batch", json={"calls": [body, *others]}).status_code == 207
    receiver.wait_for(lambda rs: len(rs) == 9)  # 3 events for each of 3 calls

    assert api.post("/v1/calls", json=body).status_code == 200
    assert api.post("/v1/calls/batch", json={"calls": [body, *others]}).status_code == 207

    time.sleep(2)  # anything queued would have been sent by now
    assert len(receiver.received) == 9
    assert len(deliveries(api, hook)) == 9
    assert len({r.headers["x-callqa-delivery"] for r in receiver.received}) == 9


def test_a_delivery_is_failed_after_its_schedule_and_can_be_sent_again_with_the_same_id(
    api: TestClient, receiver: Receiver, hook: int, make_call: Any
) -> None:
    receiver.fail(500, 500, 500)  # the first attempt and both retries
    api.post("/v1/calls", json=make_call())
    receiver.wait_for(lambda rs: len(rs) == 5)
    failed = next(d for d in deliveries(api, hook) if d["event"] == "call.scored")
    assert failed["status"] == "failed"
    assert failed["attempts"] == 3
    assert failed["last_error"] == "HTTP 500"

    answer = api.post(f"/v1/webhooks/{hook}/deliveries/{failed['id']}/redeliver")
    assert answer.status_code == 202

    got = receiver.wait_for(lambda rs: len(rs) == 6)
    assert got[-1].answered == 200
    assert got[-1].headers["x-callqa-delivery"] == failed["event_id"]
    again = next(d for d in deliveries(api, hook) if d["id"] == failed["id"])
    assert again["status"] == "delivered"


def test_a_finished_job_is_announced(api: TestClient, receiver: Receiver, hook: int) -> None:
    window = {
        "checklist": "realty_phone",
        "from": "2001-01-01T00:00:00Z",
        "to": "2001-01-02T00:00:00Z",
    }
    job = api.post("/v1/rescore", json=window).json()

    got = receiver.wait_for(lambda rs: any(r.json["event"] == "job.finished" for r in rs))

    finished = next(r for r in got if r.json["event"] == "job.finished")
    assert finished.json["data"]["job_id"] == job["job_id"]
    assert finished.json["data"]["status"] == "succeeded"


def test_an_event_of_another_organisation_is_delivered_by_the_worker_acting_as_the_app_role(
    api: TestClient, database: str, receiver: Receiver, make_call: Any
) -> None:
    globex = Tenant("globex")
    app_role = Database.from_url(database, pool_size=1, max_overflow=0, role=APP_ROLE)
    try:
        with app_role.session_scope(globex) as session:
            hook = webhooks.create_webhook(
                session, Settings(), receiver.url, ["call.scored"], SECRET, tenant=globex
            )
        with app_role.session_scope(globex) as session:
            body = CallIn.model_validate(make_call())
            call_id = ingest.ingest_call(session, body, tenant=globex).id

        got = receiver.wait_for(lambda rs: len(rs) == 1)

        assert got[0].json["data"]["id"] == call_id
        assert got[0].answered == 200
        deadline = time.monotonic() + 30  # recorded a moment after the receiver got it
        while True:
            with app_role.session_scope(globex) as session:
                log = webhooks.list_deliveries(session, hook["id"], tenant=globex)
            if log[0]["status"] != "pending" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert [(d["status"], d["attempts"]) for d in log] == [("delivered", 1)]
        with app_role.session_scope() as session:  # the default organisation sees none of it
            count = text("SELECT count(*) FROM webhook_delivery WHERE call_id = :id")
            assert session.execute(count, {"id": call_id}).scalar_one() == 0
    finally:
        app_role.dispose()
