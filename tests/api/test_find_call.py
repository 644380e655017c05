"""GET /v1/calls?external_id=… (&source=…): a platform finds a call by its own id."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session


def test_a_call_is_found_by_the_platforms_external_id(client: TestClient, make_call: Any) -> None:
    wanted = client.post("/v1/calls", json=make_call()).json()
    client.post("/v1/calls", json=make_call())

    found = client.get("/v1/calls", params={"external_id": wanted["external_id"]})

    assert found.status_code == 200
    assert [c["id"] for c in found.json()["items"]] == [wanted["id"]]
    assert found.json()["next_cursor"] is None


def test_the_same_external_id_from_two_sources_is_told_apart_by_source(
    client: TestClient, make_call: Any
) -> None:
    crm = client.post("/v1/calls", json=make_call(external_id="shared-7", source="crm")).json()
    pbx = client.post("/v1/calls", json=make_call(external_id="shared-7", source="pbx")).json()

    both = client.get("/v1/calls", params={"external_id": "shared-7"}).json()["items"]
    one = client.get("/v1/calls", params={"external_id": "shared-7", "source": "pbx"}).json()

    assert sorted(c["id"] for c in both) == sorted([crm["id"], pbx["id"]])
    assert [(c["id"], c["source"]) for c in one["items"]] == [(pbx["id"], "pbx")]


def test_an_unknown_external_id_finds_an_empty_page(client: TestClient) -> None:
    found = client.get("/v1/calls", params={"external_id": "never-sent"})

    assert found.status_code == 200
    assert found.json() == {"items": [], "next_cursor": None}


def test_an_empty_external_id_is_a_422_naming_the_parameter(client: TestClient) -> None:
    response = client.get("/v1/calls", params={"external_id": ""})

    assert response.status_code == 422
    assert response.json()["errors"][0]["parameter"] == "external_id"


def test_the_lookup_without_a_source_uses_an_index(session: Session) -> None:
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = (
        session.execute(text("EXPLAIN SELECT id FROM call WHERE external_id = 'x'")).scalars().all()
    )

    assert any("ix_call_external_id" in line for line in plan), plan
