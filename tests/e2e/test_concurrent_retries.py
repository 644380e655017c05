"""Retries racing each other over HTTP store one call, counted once in the roll-up."""

from __future__ import annotations

import threading
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

from app.db.models import Call, ManagerRollup

RETRIES = 20


def test_twenty_concurrent_retries_store_exactly_one_row(
    live_server: str, engine: Engine, make_call: Any
) -> None:
    body = make_call(manager_id="m-race")
    barrier = threading.Barrier(RETRIES)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def post() -> None:
        with httpx.Client(base_url=live_server, timeout=30) as client:
            barrier.wait()  # all twenty leave the gate together
            response = client.post("/v1/calls", json=body)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=post) for _ in range(RETRIES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] * (RETRIES - 1) + [201]
    assert len({r.json()["id"] for r in answers}) == 1
    with engine.connect() as conn:
        rows = conn.scalar(
            select(func.count()).select_from(Call).where(Call.external_id == body["external_id"])
        )
        counted = conn.scalar(
            select(func.sum(ManagerRollup.calls)).where(
                ManagerRollup.manager_id == "m-race", ManagerRollup.checklist_version == ""
            )
        )
    assert rows == 1
    assert counted == 1


def test_concurrent_batches_sharing_calls_store_each_once(
    live_server: str, engine: Engine, make_call: Any
) -> None:
    # More calls than one ingest chunk (50), so locks are taken over several statements.
    calls = [make_call(manager_id="m-race-batch") for _ in range(120)]
    # Four clients send overlapping parts in different orders.
    batches = [calls[:80], list(reversed(calls[40:])), calls[::2], calls[1::2] + calls[:10]]
    results: list[dict[str, Any]] = []
    barrier = threading.Barrier(len(batches))

    def post(batch: list[dict[str, Any]]) -> None:
        with httpx.Client(base_url=live_server, timeout=60) as client:
            barrier.wait()
            response = client.post("/v1/calls/batch", json={"calls": batch})
        assert response.status_code == 207
        results.append(response.json())

    threads = [threading.Thread(target=post, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(results) == len(batches)
    assert sum(r["created"] for r in results) == len(calls)
    assert all(r["failed"] == 0 for r in results)
    with engine.connect() as conn:
        stored = conn.scalar(
            select(func.count()).select_from(Call).where(Call.manager_id == "m-race-batch")
        )
        counted = conn.scalar(
            select(func.sum(ManagerRollup.calls)).where(
                ManagerRollup.manager_id == "m-race-batch", ManagerRollup.checklist_version == ""
            )
        )
    assert stored == counted == len(calls)
