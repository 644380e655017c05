"""A corrected call rescored under its own checklist: the latest series counts the new score
with the call's corrections applied, as its page shows it, whether or not each correction
still applies; corrections made after the rescoring move that series too, and erasing the
call takes out exactly what the series holds of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ManagerRollupDay
from app.services import checklists
from app.services.rescoring import rescore_calls

ROOT = Path(__file__).resolve().parents[2]
MANAGER = "m-corr-latest"
SHORT_ENOUGH = {"target": "item", "item": "short_presentation", "passed": True}
NOT_A_VIOLATION = {"target": "violation", "utterance": 10, "phrase": "вы должны", "valid": False}
PRESENTATION_ITEM = """  - key: short_presentation
    title: Короткая презентация
    kind: talk_balance
    points: 10
    max_monologue_words: 120
    max_talk_share: 0.6
"""


def _latest_day(session: Session) -> ManagerRollupDay | None:
    """The latest series' day row of the spec's manager (None once nothing is in it)."""
    stmt = select(ManagerRollupDay).where(
        ManagerRollupDay.manager_id == MANAGER, ManagerRollupDay.checklist_version == ""
    )
    rows = session.scalars(stmt.execution_options(populate_existing=True)).all()
    return rows[0] if rows else None


def _push_realty_phone(session: Session, source: str) -> Any:
    """A new version of realty_phone itself (the same checklist key), its rules."""
    pushed, _ = checklists.push(session, source.encode(), "yaml")
    rules = checklists.of_call(session, "realty_phone", str(pushed["version"]))
    assert rules is not None
    return rules


def _corrected_call(client: TestClient, make_call: Any, *corrections: dict[str, Any]) -> int:
    call_id = int(client.post("/v1/calls", json=make_call(manager_id=MANAGER)).json()["id"])
    made = client.post(f"/v1/calls/{call_id}/corrections", json={"corrections": corrections})
    assert made.status_code == 201, made.text
    return call_id


def _source() -> str:
    return (ROOT / "checklists" / "realty_phone.yaml").read_text(encoding="utf-8")


def test_a_correction_whose_item_the_new_version_dropped_leaves_the_trend_equal_to_the_page(
    client: TestClient, session: Session, make_call: Any
) -> None:
    call_id = _corrected_call(client, make_call, SHORT_ENOUGH)
    source = _source()
    assert PRESENTATION_ITEM in source
    rules = _push_realty_phone(session, source.replace(PRESENTATION_ITEM, "", 1))

    assert rescore_calls(session, [call_id], rules).scored == 1

    page = client.get(f"/v1/calls/{call_id}").json()
    assert [c["applied"] for c in page["corrections"]] == [False]
    day = _latest_day(session)
    assert day is not None and day.calls == 1
    assert day.total_sum == pytest.approx(page["score"]["total"])


def test_a_correction_that_still_applies_counts_in_the_trend_after_a_rescoring(
    client: TestClient, session: Session, make_call: Any
) -> None:
    call_id = _corrected_call(client, make_call, SHORT_ENOUGH)
    rules = _push_realty_phone(
        session, _source().replace("    points: 10\n", "    points: 25\n", 1)
    )

    assert rescore_calls(session, [call_id], rules).scored == 1

    page = client.get(f"/v1/calls/{call_id}").json()
    assert [c["applied"] for c in page["corrections"]] == [True]
    day = _latest_day(session)
    assert day is not None and day.total_sum == pytest.approx(page["score"]["total"])


def test_a_correction_made_after_a_rescoring_moves_the_trend_with_the_page(
    client: TestClient, session: Session, make_call: Any
) -> None:
    call_id = int(client.post("/v1/calls", json=make_call(manager_id=MANAGER)).json()["id"])
    rules = _push_realty_phone(
        session, _source().replace("    points: 10\n", "    points: 25\n", 1)
    )
    assert rescore_calls(session, [call_id], rules).scored == 1
    before = client.get(f"/v1/calls/{call_id}").json()["score"]["total"]

    made = client.post(f"/v1/calls/{call_id}/corrections", json={"corrections": [NOT_A_VIOLATION]})
    assert made.status_code == 201, made.text

    page = client.get(f"/v1/calls/{call_id}").json()
    assert page["score"]["total"] != before  # the correction changed the shown score
    day = _latest_day(session)
    assert day is not None and day.total_sum == pytest.approx(page["score"]["total"])
    assert day.violations == len(page["score"]["violations"])


def test_erasing_a_corrected_and_rescored_call_leaves_nothing_of_it_in_the_latest_series(
    client: TestClient, session: Session, make_call: Any
) -> None:
    call_id = _corrected_call(client, make_call, SHORT_ENOUGH, NOT_A_VIOLATION)
    rules = _push_realty_phone(session, _source().replace(PRESENTATION_ITEM, "", 1))
    assert rescore_calls(session, [call_id], rules).scored == 1
    # Another call of the manager's on the same day, stored after the rescoring.
    other = client.post("/v1/calls", json=make_call(manager_id=MANAGER)).json()

    assert client.delete(f"/v1/calls/{call_id}").status_code == 204

    day = _latest_day(session)
    assert day is not None
    assert (day.calls, day.total_sum) == (1, pytest.approx(other["score"]["total"]))
