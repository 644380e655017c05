"""Calibration: the machine against the reviewers on reviewed calls, per category and per
item, with every figure computed by hand from the corrections made here.

Each call is the conftest's: questions expertise (utterances 2, 4, 4), personal (6),
motivation (8), other (12); every item's machine verdict is the same on all of them.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

BUDGET = {"target": "question", "utterance": 4, "span": [27, 40], "category": "personal"}
NOT_A_QUESTION = {"target": "question", "utterance": 12, "valid": False}
WHY_MOVE = {"target": "question", "utterance": 6, "category": "motivation"}
SHORT_ENOUGH = {"target": "item", "item": "short_presentation", "passed": True}
NOT_A_VIOLATION = {"target": "violation", "utterance": 10, "phrase": "вы должны", "valid": False}


def _call(client: TestClient, make_call: Any, team: str, corrections: list[Any]) -> int:
    stored = client.post("/v1/calls", json=make_call(team_id=team))
    call_id = int(stored.json()["id"])
    if corrections:
        made = client.post(f"/v1/calls/{call_id}/corrections", json={"corrections": corrections})
        assert made.status_code == 201, made.text
    else:
        assert client.post(f"/v1/calls/{call_id}/review", json={}).status_code == 200
    return call_id


@pytest.fixture
def reviewed(client: TestClient, make_call: Any) -> None:
    """Three reviewed calls of team t-cal (one only marked reviewed), one of another team, and
    one not reviewed at all."""
    _call(client, make_call, "t-cal", [BUDGET, NOT_A_QUESTION, SHORT_ENOUGH, NOT_A_VIOLATION])
    _call(client, make_call, "t-cal", [])
    _call(client, make_call, "t-cal", [WHY_MOVE])
    _call(client, make_call, "t-else", [NOT_A_QUESTION])
    client.post("/v1/calls", json=make_call(team_id="t-cal"))


def _calibration(client: TestClient, **params: str) -> dict[str, Any]:
    found = client.get("/v1/calibration", params={"checklist": "realty_phone", **params})
    assert found.status_code == 200, found.text
    return found.json()  # type: ignore[no-any-return]


def _by_key(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in rows}


@pytest.mark.usefixtures("reviewed")
def test_categories_compare_the_machines_questions_with_the_corrected_ones(
    client: TestClient,
) -> None:
    found = _calibration(client, team_id="t-cal")

    assert found["reviewed_calls"] == 3
    cats = _by_key(found["categories"])
    # 18 machine questions: expertise 9, personal 3, motivation 3, other 3. Moved: one
    # expertise to personal, one personal to motivation, one other to no question.
    expertise = cats["expertise"]
    assert (expertise["tp"], expertise["fp"], expertise["fn"], expertise["tn"]) == (8, 1, 0, 9)
    assert expertise["precision"] == pytest.approx(8 / 9)
    assert expertise["recall"] == 1.0
    assert expertise["agreement"] == pytest.approx(17 / 18)
    # chance: (9·8 + 9·10) / 18² = 0.5; kappa (17/18 − 0.5) / 0.5 = 8/9
    assert expertise["kappa"] == pytest.approx(8 / 9)
    personal = cats["personal"]
    assert (personal["tp"], personal["fp"], personal["fn"], personal["tn"]) == (2, 1, 1, 14)
    assert (personal["precision"], personal["recall"]) == (pytest.approx(2 / 3),) * 2
    # chance: (3·3 + 15·15) / 324 = 234/324; kappa (288 − 234) / (324 − 234) = 0.6
    assert personal["kappa"] == pytest.approx(0.6)
    motivation = cats["motivation"]
    assert (motivation["machine"], motivation["corrected"]) == (3, 4)
    assert motivation["recall"] == pytest.approx(3 / 4)
    assert motivation["kappa"] == pytest.approx(84 / 102)  # chance (3·4 + 15·14) / 324
    other = cats["other"]
    assert (other["tp"], other["fp"], other["fn"], other["tn"]) == (2, 1, 0, 15)
    assert other["kappa"] == pytest.approx(60 / 78)  # chance (3·2 + 15·16) / 324


@pytest.mark.usefixtures("reviewed")
def test_items_compare_the_machines_verdicts_with_the_corrected_ones(
    client: TestClient,
) -> None:
    items = _by_key(_calibration(client, team_id="t-cal")["items"])

    short = items["short_presentation"]  # failed by the machine thrice, passed once by people
    assert (short["tp"], short["fp"], short["fn"], short["tn"]) == (0, 0, 1, 2)
    assert (short["precision"], short["recall"]) == (None, 0.0)
    assert short["agreement"] == pytest.approx(2 / 3)
    assert short["kappa"] == pytest.approx(0.0)  # chance (0·1 + 3·2) / 9 = observed
    # A personal question moved to motivation makes motivation 2 of 2: passed after review.
    motivation = items["motivation_questions"]
    assert (motivation["tp"], motivation["fp"], motivation["fn"], motivation["tn"]) == (0, 0, 1, 2)
    greeting = items["greeting"]  # all agree, all passed: kappa undefined
    assert (greeting["tp"], greeting["agreement"], greeting["kappa"]) == (3, 1.0, None)
    assert next(iter(items)) == "greeting"  # the checklist's order


@pytest.mark.usefixtures("reviewed")
def test_the_most_frequent_corrections_name_the_words_that_misled_the_engine(
    client: TestClient,
) -> None:
    found = _calibration(client)

    assert found["reviewed_calls"] == 4
    top = found["top_corrections"]
    assert top[0] == {
        "target": "question",
        "machine": "other",
        "corrected": "none",
        "words": "давайте запишу вас на экскурсию в субботу?",
        "count": 2,
    }
    assert {
        "target": "violation",
        "machine": "violation",
        "corrected": "none",
        "words": "вы должны",
        "count": 1,
    } in top
    assert found["violations"] == {"dismissed": 1, "added": 0}
    assert len(top) == 5


@pytest.mark.usefixtures("reviewed")
def test_a_period_with_no_reviewed_calls_has_no_figures(client: TestClient) -> None:
    found = _calibration(client, **{"from": "2020-01-01", "to": "2020-02-01"})

    assert found["reviewed_calls"] == 0
    assert all(c["kappa"] is None and c["machine"] == 0 for c in found["categories"])
    assert found["items"] == [] and found["top_corrections"] == []


@pytest.mark.usefixtures("reviewed")
def test_calibration_as_csv_has_a_row_per_category_and_item(client: TestClient) -> None:
    answer = client.get(
        "/v1/calibration", params={"checklist": "realty_phone", "team_id": "t-cal", "format": "csv"}
    )

    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    personal = next(r for r in rows if r["kind"] == "category" and r["key"] == "personal")
    assert (personal["tp"], personal["fp"]) == ("2", "1")
    assert float(personal["kappa"]) == pytest.approx(0.6)
    assert sum(r["kind"] == "item" for r in rows) == 9


def test_calibration_needs_a_checklist_and_a_valid_period(client: TestClient) -> None:
    missing = client.get("/v1/calibration")
    assert missing.status_code == 422
    bad = client.get("/v1/calibration", params={"checklist": "realty_phone", "from": "soon"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["parameter"] == "from"
