"""Corrections survive rescoring: applied to the new version's score wherever the same
utterance and target are found again, and shown as not applying where they are not."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services import checklists
from app.services.rescoring import rescore_calls

WITHOUT_PRESENTATION = """
key: realty_no_presentation
title: Недвижимость без пункта о презентации
extends: realty_phone
drop:
  items: [short_presentation]
"""


def test_corrections_are_reapplied_to_a_new_versions_score_where_their_target_remains(
    client: TestClient, session: Session, make_call: Any
) -> None:
    call_id = client.post("/v1/calls", json=make_call()).json()["id"]
    corrections = [
        {"target": "question", "utterance": 4, "span": [27, 40], "category": "personal"},
        {"target": "item", "item": "short_presentation", "passed": True},
    ]
    made = client.post(f"/v1/calls/{call_id}/corrections", json={"corrections": corrections})
    assert made.status_code == 201, made.text
    pushed = client.post(
        "/v1/checklists",
        content=WITHOUT_PRESENTATION.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert pushed.status_code == 201, pushed.text
    rules = checklists.of_call(session, "realty_no_presentation", pushed.json()["version"])
    assert rules is not None

    assert rescore_calls(session, [call_id], rules).scored == 1

    call = client.get(f"/v1/calls/{call_id}").json()
    assert call["checklist"]["key"] == "realty_no_presentation"
    assert [c["applied"] for c in call["corrections"]] == [True, False]
    assert call["machine_score"]["question_counts"]["personal"] == 1
    assert call["score"]["question_counts"]["personal"] == 2
    # 90 points at most now: greeting 10, recording 5, expertise 2 of 10: 4, personal 2 of
    # 4: 7.5, motivation 1 of 2: 7.5, violations 0, no price 5, booking 10 = 49 of 90.
    assert call["score"]["total"] == round(100 * 49 / 90, 1)
