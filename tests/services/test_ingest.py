"""Ingest stores a call with its questions, violations and roll-up, once, in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.db.models import (
    Call,
    CallQuestion,
    CallScore,
    CallViolation,
    ManagerRollup,
    ManagerRollupDay,
    ViolationRollupDay,
    ViolationRollupMonth,
)
from app.db.session import SessionScope
from app.services import ingest
from app.services.errors import Conflict, InvalidInput, NotFound, UnparseableTranscript
from app.services.schemas import CallIn


def _call(make_call: Any, **overrides: Any) -> CallIn:
    return CallIn.model_validate(make_call(**overrides))


def _rollup(session: Session, manager_id: str) -> list[ManagerRollup]:
    """The manager's slot rows of the latest-score series."""
    latest = ManagerRollup.checklist_version == ""
    stmt = select(ManagerRollup).where(ManagerRollup.manager_id == manager_id, latest)
    return list(session.scalars(stmt))


def test_a_new_call_is_stored_with_one_row_per_question_and_violation(
    session: Session, make_call: Any
) -> None:
    done = ingest.ingest_call(session, _call(make_call, manager_id="m-rows"))

    assert done.created
    stored = session.get(Call, ("default", done.id))
    assert stored is not None
    assert stored.score == done.score
    questions = session.scalars(select(CallQuestion).where(CallQuestion.call_id == done.id)).all()
    violations = session.scalars(
        select(CallViolation).where(CallViolation.call_id == done.id)
    ).all()
    assert len(questions) == len(done.score["questions"]) > 0
    assert len(violations) == len(done.score["violations"]) > 0
    assert {v.phrase for v in violations} == {v["phrase"] for v in done.score["violations"]}
    assert all(v.utterance_text and v.matched for v in violations)
    assert stored.utterances[0]["text"].startswith("Добрый день")


def test_the_stored_call_keeps_raw_transcript_checklist_version_and_offset(
    session: Session, make_call: Any
) -> None:
    body = make_call(started_at="2026-03-02T23:30:00+03:00")
    done = ingest.ingest_call(session, CallIn.model_validate(body))

    stored = session.get(Call, ("default", done.id))
    assert stored is not None
    assert stored.transcript == body["transcript"]
    assert stored.checklist_key == "realty_phone"
    assert stored.checklist_version == done.score["checklist"]["version"]
    assert stored.started_at == datetime(2026, 3, 2, 20, 30, tzinfo=UTC)
    assert stored.started_at_offset_min == 180
    assert done.started_at.isoformat() == "2026-03-02T23:30:00+03:00"


def test_a_json_transcript_is_stored_as_its_json_text(session: Session, make_call: Any) -> None:
    transcript = {
        "utterances": [
            {"speaker": "Менеджер", "text": "Какой район вы рассматриваете?"},
            {"speaker": "Клиент", "text": "Центр."},
        ]
    }
    done = ingest.ingest_call(session, _call(make_call, transcript=transcript))

    stored = session.get(Call, ("default", done.id))
    assert stored is not None
    assert stored.format == done.score["format"] == "callqa"
    assert '"Какой район вы рассматриваете?"' in stored.transcript


def test_the_same_call_again_answers_the_same_id_and_stores_nothing_twice(
    session: Session, make_call: Any
) -> None:
    body = make_call(manager_id="m-retry")
    first = ingest.ingest_call(session, CallIn.model_validate(body))
    again = ingest.ingest_call(session, CallIn.model_validate(dict(body)))

    assert not again.created
    assert again.id == first.id
    assert again.score == first.score
    assert again.started_at.isoformat() == first.started_at.isoformat()
    count = select(func.count()).select_from(Call).where(Call.external_id == body["external_id"])
    assert session.scalar(count) == 1
    assert [r.calls for r in _rollup(session, "m-retry")] == [1]


def test_the_same_external_id_with_other_content_is_a_conflict(
    session: Session, make_call: Any
) -> None:
    body = make_call()
    ingest.ingest_call(session, CallIn.model_validate(body))

    with pytest.raises(Conflict):
        ingest.ingest_call(session, CallIn.model_validate({**body, "duration_s": 1.0}))


def test_the_same_external_id_from_another_source_is_another_call(
    session: Session, make_call: Any
) -> None:
    body = make_call()
    a = ingest.ingest_call(session, CallIn.model_validate(body))
    b = ingest.ingest_call(session, CallIn.model_validate({**body, "source": "other-pbx"}))

    assert b.created and b.id != a.id


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"transcript": ""}, UnparseableTranscript),
        ({"transcript": "\x00\x01\x02 binary"}, UnparseableTranscript),
        (
            {"transcript": {"utterances": [{"speaker": "A", "text": "x\x00"}]}},
            UnparseableTranscript,
        ),
        ({"checklist": "no_such_checklist"}, NotFound),
        ({"manager_speaker": "Директор"}, InvalidInput),
    ],
)
def test_a_call_that_cannot_be_scored_raises_and_stores_nothing(
    session: Session, make_call: Any, overrides: dict[str, Any], error: type[Exception]
) -> None:
    before = session.scalar(select(func.count()).select_from(Call))
    with pytest.raises(error):
        ingest.ingest_call(session, _call(make_call, **overrides))
    assert session.scalar(select(func.count()).select_from(Call)) == before


def test_a_batch_reports_each_item_in_input_order(
    session: Session, session_scope: SessionScope, make_call: Any
) -> None:
    good = make_call(manager_id="m-batch")
    items: list[Any] = [
        CallIn.model_validate(good),
        CallIn.model_validate(make_call(manager_id="m-batch", transcript="")),
        InvalidInput.at("/started_at", "required"),
        CallIn.model_validate(dict(good)),  # a repeat within the batch
        CallIn.model_validate({**good, "duration_s": 2.0}),  # same id, other content
    ]
    outcomes = ingest.ingest_many(session_scope, items)

    assert [o.status for o in outcomes] == [201, 400, 422, 200, 409]
    assert outcomes[3].call_id == outcomes[0].call_id
    assert [r.calls for r in _rollup(session, "m-batch")] == [1]


def test_a_call_the_database_refuses_fails_alone_and_the_others_are_stored(
    session: Session, session_scope: SessionScope, make_call: Any
) -> None:
    # Bypasses validation to reach the database with a value it refuses (NUL in text).
    bad = CallIn.model_validate(make_call(manager_id="m-refused"))
    bad = bad.model_copy(update={"manager_name": "Анна\x00"})
    goods = [CallIn.model_validate(make_call(manager_id="m-refused")) for _ in range(2)]

    outcomes = ingest.ingest_many(session_scope, [goods[0], bad, goods[1]])

    assert [o.status for o in outcomes] == [201, 422, 201]
    stored = session.scalars(select(Call.external_id).where(Call.manager_id == "m-refused")).all()
    assert sorted(stored) == sorted(g.external_id for g in goods)
    assert [r.calls for r in _rollup(session, "m-refused")] == [2]


def test_a_batch_is_stored_chunk_by_chunk_with_repeats_across_chunks(
    session: Session, session_scope: SessionScope, make_call: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "CHUNK", 2)
    bodies = [make_call(manager_id="m-chunks") for _ in range(5)]
    items: list[Any] = [CallIn.model_validate(b) for b in [*bodies, bodies[0], bodies[3]]]

    outcomes = ingest.ingest_many(session_scope, items)

    assert [o.status for o in outcomes] == [201] * 5 + [200, 200]
    assert outcomes[5].call_id == outcomes[0].call_id
    assert outcomes[6].call_id == outcomes[3].call_id
    assert [r.calls for r in _rollup(session, "m-chunks")] == [5]


def test_a_single_call_the_database_refuses_is_invalid_input(
    session: Session, make_call: Any
) -> None:
    bad = CallIn.model_validate(make_call()).model_copy(update={"manager_name": "Анна\x00"})
    with pytest.raises(InvalidInput):
        ingest.ingest_call(session, bad)


def _stored_for(session: Session, manager_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Everything stored for a manager's calls, ids and the manager left out."""
    calls = select(Call.id).where(Call.manager_id == manager_id)
    children = {
        "scores": (CallScore, ("checklist_key", "checklist_version", "total", "grade", "score")),
        "questions": (CallQuestion, ("utterance", "category", "text", "start_s")),
        "violations": (
            CallViolation,
            ("utterance", "phrase", "matched", "replacement", "utterance_text", "start_s"),
        ),
    }
    found: dict[str, list[tuple[Any, ...]]] = {}
    for name, (model, columns) in children.items():
        rows = session.execute(
            select(*(getattr(model, c) for c in columns)).where(model.call_id.in_(calls))
        )
        found[name] = sorted(tuple(r) for r in rows)
    sums = ("calls", "total_sum", "questions", "violations")
    for name, model, key in (
        ("slots", ManagerRollup, "slot_start"),
        ("days", ManagerRollupDay, "day"),
    ):
        rows = session.execute(
            select(
                getattr(model, key),
                *(getattr(model, c) for c in sums),
                model.question_counts,
                model.item_passed,
            ).where(model.manager_id == manager_id, model.checklist_version == "")
        )
        found[name] = sorted((*r[:-2], sorted(r[-2].items()), sorted(r[-1].items())) for r in rows)
    for name, model, key in (
        ("phrase days", ViolationRollupDay, "day"),
        ("phrase months", ViolationRollupMonth, "month"),
    ):
        rows = session.execute(
            select(getattr(model, key), model.phrase, model.said).where(
                model.manager_id == manager_id, model.checklist_version == ""
            )
        )
        found[name] = sorted(tuple(r) for r in rows)
    return found


def test_a_single_call_stores_the_same_rows_and_roll_ups_as_the_same_call_in_a_batch(
    session: Session, session_scope: SessionScope, make_call: Any
) -> None:
    body = make_call(started_at="2026-05-31T23:50:00-02:00")  # 1 June in UTC, a month edge
    ingest.ingest_call(session, _call(make_call, **{**body, "manager_id": "m-one"}))
    ingest.ingest_call(session, _call(make_call, **{**body, "manager_id": "m-one"}))  # retry
    [outcome] = ingest.ingest_many(
        session_scope, [_call(make_call, **{**body, "manager_id": "m-many", "external_id": "b-1"})]
    )

    assert outcome.status == 201
    single, batch = _stored_for(session, "m-one"), _stored_for(session, "m-many")
    assert single == batch
    assert all(single.values()), single  # every kind of row was written
    assert [row[1] for row in single["slots"]] == [1]  # the retry added nothing


def test_callqa_connections_run_without_jit(session: Session) -> None:
    """JIT compiling a batch's roll-up upserts cost ~100 ms a statement on a server with JIT."""
    assert session.execute(text("SHOW jit")).scalar_one() == "off"
