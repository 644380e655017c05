"""A call keeps its score under every checklist version it is scored with: ingest stores one,
a later version is added beside it (never over it), and GET /v1/calls/{id} shows the newest
and lists them all."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db import call_writes
from app.db.models import ChecklistVersion
from app.engine import score


def _second_version(session: Session, call_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """The call's score under spin_classic, filed as a version of realty_phone named 'v2'
    (stored as a version first: a score refers to its version)."""
    session.merge(
        ChecklistVersion(key="realty_phone", version="v2", title="v2", document={}, source="")
    )
    session.flush()
    result = score(body["transcript"], "spin_classic").to_dict()
    result["checklist"] = {"key": "realty_phone", "version": "v2"}
    return {
        "call_id": call_id,
        "checklist_key": "realty_phone",
        "checklist_version": "v2",
        "total": result["total"],
        "grade": result["grade"],
        "score": result,
    }


def test_an_ingested_call_is_scored_under_the_version_it_was_ingested_with(
    client: TestClient, make_call: Any
) -> None:
    body = make_call()
    created = client.post("/v1/calls", json=body).json()

    call = client.get(f"/v1/calls/{created['id']}").json()

    version = score(body["transcript"]).checklist_version
    assert [s["checklist"] for s in call["scores"]] == [{"key": "realty_phone", "version": version}]
    assert call["scores"][0]["total"] == created["score"]["total"] == call["total"]
    assert call["score"] == created["score"]


def test_a_call_scored_under_two_versions_shows_the_newest_and_lists_both(
    client: TestClient, session: Session, make_call: Any
) -> None:
    body = make_call()
    created = client.post("/v1/calls", json=body).json()
    second = _second_version(session, created["id"], body)

    added = call_writes.add_scores(session, [second])
    again = call_writes.add_scores(session, [second])
    call = client.get(f"/v1/calls/{created['id']}").json()

    assert (added, again) == ({created["id"]}, set())
    assert [s["checklist"]["version"] for s in call["scores"]] == [
        created["score"]["checklist"]["version"],
        "v2",
    ]
    assert call["scores"][0]["total"] == created["score"]["total"]
    assert (call["checklist"]["version"], call["total"]) == ("v2", second["total"])
    assert call["score"] == second["score"]
