"""Corrections and reviews belong to the organisation that made them: another one's call page,
call answer and calibration do not see them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.engine.corrections import Correction
from app.services import calibration, corrections, ingest
from app.services.corrections import NewCorrection
from app.services.errors import NotFound
from app.services.schemas import CallIn
from app.tenancy import LOCAL, Tenant

ACME = Tenant("acme", key_id=7)


def test_an_organisations_corrections_are_its_own(
    client: TestClient, session: Session, make_call: Any
) -> None:
    stored = ingest.ingest_call(session, CallIn.model_validate(make_call()), tenant=ACME)
    call = {"id": stored.id, "score": stored.score}
    budget = Correction("question", utterance=4, span=(27, 40), category="personal")

    made = corrections.add(session, call["id"], [NewCorrection(budget, "ok")], tenant=ACME)

    assert made["corrections"][0]["author"] == "key:7"
    theirs = corrections.corrected(session, call["id"], call["score"], ACME)
    ours = corrections.corrected(session, call["id"], call["score"], LOCAL)
    assert theirs["score"]["question_counts"]["personal"] == 2
    assert ours["corrections"] == [] and ours["score"] == call["score"]
    assert calibration.report(session, "realty_phone", tenant=ACME)["reviewed_calls"] == 1
    assert calibration.report(session, "realty_phone", tenant=LOCAL)["reviewed_calls"] == 0
    with pytest.raises(NotFound):  # another organisation's call is missing
        corrections.add(session, call["id"], [NewCorrection(budget, "ok")], tenant=LOCAL)
