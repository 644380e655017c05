"""GET /metrics: who may read it, and what it counts (request routes, ingest outcomes, scoring,
the database pool and the thread pool). Counters are process-wide, so tests compare a scrape
before and after their requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from app.api.app import create_app
from app.api.deps import Transactions, get_transactions
from app.db.session import SessionScope
from app.services import webhooks
from app.settings import Settings
from tests.receiver import running_receiver


def _client(app: FastAPI, scope: SessionScope, peer: str) -> TestClient:
    app.dependency_overrides[get_transactions] = lambda: Transactions(scope)
    return TestClient(app, raise_server_exceptions=False, client=(peer, 50000))


@pytest.fixture
def local(app: FastAPI, session_scope: SessionScope) -> Iterator[TestClient]:
    """A client on the loopback address, as a Prometheus on the same machine."""
    with _client(app, session_scope, "127.0.0.1") as client:
        yield client
    app.dependency_overrides.clear()


def scrape(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics as {(name, labels): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def grew(before: dict[Any, float], after: dict[Any, float], name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_metrics_are_not_found_for_a_peer_that_is_neither_loopback_nor_allowed(
    app: FastAPI, session_scope: SessionScope
) -> None:
    for peer in ("203.0.113.5", "testclient"):
        with _client(app, session_scope, peer) as client:
            response = client.get("/metrics")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert "callqa_" not in response.text
    app.dependency_overrides.clear()


def test_metrics_answer_the_addresses_of_callqa_metrics_allow(database_url: str) -> None:
    settings = Settings(database_url=database_url, metrics_allow="10.0.0.5, 192.168.0.0/16")
    app = create_app(settings)
    for peer, status in (("10.0.0.5", 200), ("192.168.7.9", 200), ("10.0.0.6", 404)):
        with TestClient(app, client=(peer, 50000)) as client:
            assert client.get("/metrics").status_code == status, peer


def test_a_metrics_allow_entry_that_is_no_address_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="metrics_allow"):
        Settings(metrics_allow="10.0.0.0/8,prometheus.local")


def test_requests_are_counted_by_route_template_and_status(
    local: TestClient, make_call: Any
) -> None:
    created = local.post("/v1/calls", json=make_call()).json()
    before = scrape(local)
    local.get(f"/v1/calls/{created['id']}")
    local.get("/v1/calls/999999999")
    local.get("/no/such/page")
    after = scrape(local)

    requests = "callqa_http_requests_total"
    assert (
        grew(before, after, requests, method="GET", route="/v1/calls/{call_id}", status="200") == 1
    )
    assert (
        grew(before, after, requests, method="GET", route="/v1/calls/{call_id}", status="404") == 1
    )
    assert grew(before, after, requests, method="GET", route="<unmatched>", status="404") == 1
    duration = "callqa_http_request_duration_seconds_count"
    assert grew(before, after, duration, method="GET", route="/v1/calls/{call_id}") == 2
    routes = {value for _, labels in after for key, value in labels if key == "route"}
    assert f"/v1/calls/{created['id']}" not in routes


def test_calls_are_counted_as_ingested_or_rejected_by_reason(
    local: TestClient, make_call: Any
) -> None:
    body = make_call()
    before = scrape(local)
    assert local.post("/v1/calls", json=body).status_code == 201
    assert local.post("/v1/calls", json=body).status_code == 200
    assert local.post("/v1/calls", json={**body, "manager_id": "other"}).status_code == 409
    assert local.post("/v1/calls", json=make_call(started_at="soon")).status_code == 422
    assert local.post("/v1/calls", json=make_call(transcript="\x00\x01")).status_code == 400
    assert (
        local.post("/v1/calls", content=b"x", headers={"content-type": "text/plain"}).status_code
        == 415
    )
    batch = {"calls": [make_call(), make_call(), {"external_id": "half"}]}
    assert local.post("/v1/calls/batch", json=batch).status_code == 207
    after = scrape(local)

    ingested, rejected = "callqa_calls_ingested_total", "callqa_calls_rejected_total"
    assert grew(before, after, ingested, outcome="created") == 3
    assert grew(before, after, ingested, outcome="existing") == 1
    assert grew(before, after, rejected, status="409", reason="conflict") == 1
    assert grew(before, after, rejected, status="422", reason="invalid-input") == 2
    assert grew(before, after, rejected, status="400", reason="unparseable-transcript") == 1
    assert grew(before, after, rejected, status="415", reason="unsupported-media-type") == 1


def test_scoring_time_and_the_database_pool_wait_are_measured(
    local: TestClient, make_call: Any
) -> None:
    before = scrape(local)
    local.post("/v1/calls", json=make_call())
    local.post("/v1/score", json={"transcript": make_call()["transcript"]})
    after = scrape(local)

    assert grew(before, after, "callqa_scoring_duration_seconds_count") == 2
    assert grew(before, after, "callqa_db_pool_checkout_duration_seconds_count") >= 1
    for gauge in ("callqa_db_pool_connections_in_use", "callqa_threadpool_pending"):
        assert (gauge, frozenset()) in after


def test_the_job_queue_depth_and_the_wait_of_its_oldest_part_are_read_at_each_scrape(
    local: TestClient, make_call: Any
) -> None:
    local.post("/v1/webhooks", json={"url": "https://93.184.216.34/", "events": ["call.red"]})
    before = scrape(local)

    local.post("/v1/calls", json=make_call())
    local.post("/v1/calls", json=make_call())
    after = scrape(local)

    assert grew(before, after, "callqa_job_queue_depth", queue="webhooks") == 2
    assert after[("callqa_job_queue_oldest_age_seconds", frozenset({("queue", "webhooks")}))] >= 0
    assert ("callqa_job_queue_depth", frozenset({("queue", "rescore")})) in after


def test_webhook_deliveries_are_counted_by_outcome(
    local: TestClient, session_scope: SessionScope, settings: Settings, make_call: Any
) -> None:
    with running_receiver() as receiver:
        hook = local.post("/v1/webhooks", json={"url": receiver.url, "events": ["call.red"]})
        local.post("/v1/calls", json=make_call())
        log = local.get(f"/v1/webhooks/{hook.json()['id']}/deliveries").json()["deliveries"]
        receiver.fail(500)
        before = scrape(local)

        with webhooks.http_client(settings) as http:
            webhooks.deliver(session_scope, settings, http, [log[0]["id"]], attempt=0)
            webhooks.deliver(session_scope, settings, http, [log[0]["id"]], attempt=1)
        after = scrape(local)

    assert grew(before, after, "callqa_webhook_deliveries_total", outcome="retrying") == 1
    assert grew(before, after, "callqa_webhook_deliveries_total", outcome="delivered") == 1
