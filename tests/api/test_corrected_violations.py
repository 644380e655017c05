"""A reviewer's violation corrections reach every read of phrase hits: the top violations of a
window that is not whole days (read from the calls' hits) equal those of the whole day (read
from the roll-ups), the report's example utterances are the corrected hits, and roll-ups rebuilt
for another zone keep the corrections; undoing them brings the machine's hits back."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db import calls as call_queries

# The call starts at 2026-03-02 20:30 UTC (conftest's make_call).
NOT_A_VIOLATION = {"target": "violation", "utterance": 10, "phrase": "вы должны", "valid": False}
MISSED = {"target": "violation", "utterance": 12, "phrase": "не волнуйтесь", "valid": True}
WHOLE_DAY = {"from": "2026-03-02", "to": "2026-03-03", "tz": "UTC"}
AN_HOUR = {"from": "2026-03-02T20:00:00+00:00", "to": "2026-03-02T21:00:00+00:00"}
KOLKATA_DAY = {"from": "2026-03-03", "to": "2026-03-04", "tz": "Asia/Kolkata"}  # 02:00 local
MACHINE = {"я не знаю": 1, "вы должны": 1}
CORRECTED = {"я не знаю": 1, "не волнуйтесь": 1}


@pytest.fixture
def call_id(client: TestClient, make_call: Any) -> int:
    stored = client.post("/v1/calls", json=make_call(manager_id="m-cv", team_id="t-cv"))
    assert stored.status_code == 201, stored.text
    return int(stored.json()["id"])


def _top(client: TestClient, window: dict[str, str]) -> dict[str, int]:
    got = client.get("/v1/violations/top", params={"manager_id": "m-cv", **window})
    assert got.status_code == 200, got.text
    return {p["phrase"]: p["count"] for p in got.json()["phrases"]}


def _examples(client: TestClient, window: dict[str, str]) -> dict[str, list[tuple[int, str]]]:
    got = client.get("/v1/managers/m-cv/report", params=window)
    assert got.status_code == 200, got.text
    return {
        p["phrase"]: [(e["utterance"], e["text"]) for e in p["examples"]]
        for p in got.json()["top_phrases"]
    }


def test_violation_corrections_reach_the_top_violations_of_any_window(
    client: TestClient, session: Session, call_id: int
) -> None:
    assert _top(client, WHOLE_DAY) == _top(client, AN_HOUR) == MACHINE

    made = client.post(
        f"/v1/calls/{call_id}/corrections", json={"corrections": [NOT_A_VIOLATION, MISSED]}
    )

    assert made.status_code == 201, made.text
    assert _top(client, WHOLE_DAY) == _top(client, AN_HOUR) == CORRECTED
    said = "Давайте запишу вас на экскурсию в субботу?"
    for window in (WHOLE_DAY, AN_HOUR):
        examples = _examples(client, window)
        assert set(examples) == set(CORRECTED)
        assert examples["не волнуйтесь"] == [(12, said)]
    call_queries.set_day_zone(session, "Asia/Kolkata")  # the day hits rebuilt from the calls'
    assert _top(client, KOLKATA_DAY) == CORRECTED

    for correction in made.json()["corrections"]:
        undone = client.delete(f"/v1/calls/{call_id}/corrections/{correction['id']}")
        assert undone.status_code == 204, undone.text
    assert _top(client, KOLKATA_DAY) == _top(client, AN_HOUR) == MACHINE
    call_queries.set_day_zone(session, "UTC")
    assert _top(client, WHOLE_DAY) == MACHINE


def test_erasing_a_corrected_call_leaves_no_hit_of_it_in_any_window(
    client: TestClient, call_id: int
) -> None:
    made = client.post(
        f"/v1/calls/{call_id}/corrections", json={"corrections": [NOT_A_VIOLATION, MISSED]}
    )
    assert made.status_code == 201, made.text

    erased = client.delete(f"/v1/calls/{call_id}")

    assert erased.status_code == 204, erased.text
    assert _top(client, WHOLE_DAY) == _top(client, AN_HOUR) == {}
