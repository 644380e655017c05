"""Rescoring adds a checklist version's scores beside the old ones, once per call and version."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db.models import Call
from app.engine import get_checklist, score
from app.services.rescoring import RescoreCounts, rescore_calls


def _stored(client: TestClient, make_call: Any, n: int) -> list[int]:
    return [client.post("/v1/calls", json=make_call()).json()["id"] for _ in range(n)]


def test_rescoring_under_another_checklist_adds_its_scores_beside_the_old_ones(
    client: TestClient, session: Session, make_call: Any
) -> None:
    ids = _stored(client, make_call, 2)
    before = client.get(f"/v1/calls/{ids[0]}").json()

    counts = rescore_calls(session, ids, get_checklist("spin_classic"))

    assert counts == RescoreCounts(scored=2, already=0, skipped=0)
    after = client.get(f"/v1/calls/{ids[0]}").json()
    spin = score(after["transcript"], "spin_classic").to_dict()
    assert [s["checklist"] for s in after["scores"]] == [
        before["checklist"],
        {"key": "spin_classic", "version": get_checklist("spin_classic").version},
    ]
    assert after["scores"][0]["total"] == before["total"]
    assert after["score"] == spin
    assert (after["checklist"]["key"], after["total"]) == ("spin_classic", spin["total"])


def test_rescoring_again_counts_no_call_twice(
    client: TestClient, session: Session, make_call: Any
) -> None:
    ids = _stored(client, make_call, 2)
    rescore_calls(
        session, ids[:1], get_checklist("spin_classic")
    )  # a job stopped after its first call

    again = rescore_calls(session, ids, get_checklist("spin_classic"))

    assert again == RescoreCounts(scored=1, already=1, skipped=0)
    assert len(client.get(f"/v1/calls/{ids[0]}").json()["scores"]) == 2


def test_the_version_a_call_was_ingested_with_is_already_scored(
    client: TestClient, session: Session, make_call: Any
) -> None:
    ids = _stored(client, make_call, 1)

    assert rescore_calls(session, ids, get_checklist("realty_phone")) == RescoreCounts(0, 1, 0)


def test_calls_that_are_gone_or_lost_their_transcript_are_skipped(
    client: TestClient, session: Session, make_call: Any
) -> None:
    ids = _stored(client, make_call, 2)
    session.execute(update(Call).where(Call.id == ids[1]).values(transcript=""))

    counts = rescore_calls(session, [*ids, 10**12], get_checklist("spin_classic"))

    assert counts == RescoreCounts(scored=1, already=0, skipped=2)


def test_a_manager_named_at_ingest_stays_the_manager_when_rescored(
    client: TestClient, session: Session, make_call: Any
) -> None:
    created = client.post("/v1/calls", json=make_call(manager_speaker="Клиент")).json()
    assert created["score"]["manager"]["speaker"] == "Клиент"

    rescore_calls(session, [created["id"]], get_checklist("spin_classic"))

    manager = client.get(f"/v1/calls/{created['id']}").json()["score"]["manager"]
    assert (manager["speaker"], manager["reason"]) == ("Клиент", "given by the caller")
