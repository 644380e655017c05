"""A checklist version is deleted only while no score refers to it, also when the scores are
being written at the same moment (the scores' foreign key to their version)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.db import call_writes
from app.db.session import make_engine
from app.engine import get_checklist, score
from app.services import checklists
from app.services.errors import Conflict
from app.services.ingest import ingest_call
from app.services.rescoring import rescore_calls
from app.services.schemas import CallIn
from tests.api.test_checklists_api import CLINIC

# These specs quote callqa's English words (Russian is the default).
pytestmark = pytest.mark.usefixtures("english")


def test_a_version_that_only_rescored_calls_hold_scores_under_is_not_deleted(
    client: TestClient, session: Session, make_call: Any
) -> None:
    call_id = client.post("/v1/calls", json=make_call()).json()["id"]
    spin = get_checklist("spin_classic")
    rescore_calls(session, [call_id], spin)

    refused = client.delete(f"/v1/checklists/spin_classic/versions/{spin.version}")

    assert refused.status_code == 409
    assert "stored calls" in refused.json()["detail"]


def test_deleting_a_version_waits_for_scores_being_written_under_it_then_refuses(
    make_scratch_database: Any, make_call: Any
) -> None:
    with make_scratch_database("version_race") as url:
        engine = make_engine(url, pool_size=3, max_overflow=0)
        with Session(engine) as setup, setup.begin():
            version = checklists.push(setup, CLINIC.encode(), "yaml")[0]["version"]
            stored = ingest_call(setup, CallIn.model_validate(make_call()))
        body = make_call()
        result = score(body["transcript"], "spin_classic").to_dict()
        row = {
            "call_id": stored.id,
            "checklist_key": "clinic_intake",
            "checklist_version": version,
            "total": result["total"],
            "grade": result["grade"],
            "score": result,
        }
        try:
            with Session(engine) as scoring, scoring.begin():
                call_writes.add_scores(scoring, [row])  # not committed yet
                with Session(engine) as admin, admin.begin():
                    admin.execute(text("SET LOCAL lock_timeout = '300ms'"))
                    with pytest.raises(OperationalError, match="lock timeout"):
                        checklists.delete_version(admin, "clinic_intake", version)
            with Session(engine) as admin, admin.begin(), pytest.raises(Conflict):
                checklists.delete_version(admin, "clinic_intake", version)
        finally:
            engine.dispose()
