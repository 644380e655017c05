"""With CALLQA_MASK on, a call is scored as sent and stored with its personal data masked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Call, CallQuestion, CallViolation
from app.engine import score
from app.services import ingest
from app.services.masking import masking_for
from app.services.schemas import CallIn
from app.settings import get_settings
from app.tenancy import Tenant

PHONE = "8 916 123-45-67"
TRANSCRIPT = (
    "Менеджер: Добрый день, агентство «Дом», меня зовут Анна. Какой район вы рассматриваете?\n"
    "Клиент: Центр. Пишите на oleg@mail.ru, телефон восемь девятьсот шестнадцать сто "
    "двадцать три сорок пять шестьдесят семь.\n"
    f"Менеджер: Ваш номер {PHONE}, верно?\n"
    "Клиент: Да. А сколько стоит двушка?\n"
    f"Менеджер: Я не знаю, перезвоню вам на {PHONE}. Двушка стоит 9 800 000 рублей.\n"
)


@pytest.fixture
def masking(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CALLQA_MASK", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_masking_is_off_unless_callqa_mask_is_set() -> None:
    assert masking_for() is False


def test_the_stored_call_and_evidence_are_masked_and_the_score_equals_the_unmasked_one(
    session: Session, make_call: Any, masking: None
) -> None:
    unmasked = score(TRANSCRIPT).to_dict()
    call = CallIn.model_validate(make_call(transcript=TRANSCRIPT))

    done = ingest.ingest_call(session, call)

    stored = session.get(Call, ("default", done.id))
    assert stored is not None
    assert stored.score["total"] == unmasked["total"]
    assert stored.score["question_counts"] == unmasked["question_counts"]
    assert [i["points"] for i in stored.score["items"]] == [i["points"] for i in unmasked["items"]]
    assert [q["span"] for q in stored.score["questions"]] == [
        q["span"] for q in unmasked["questions"]
    ]
    everything = " ".join(
        [
            stored.transcript,
            *(u["text"] for u in stored.utterances),
            *(q.text for q in session.scalars(select(CallQuestion).filter_by(call_id=done.id))),
            *(
                v.utterance_text or ""
                for v in session.scalars(select(CallViolation).filter_by(call_id=done.id))
            ),
            str(stored.score),
        ]
    )
    for datum in ("123-45-67", "oleg@mail.ru", "девятьсот шестнадцать"):
        assert datum not in everything
    assert "Двушка стоит 9 800 000 рублей" in stored.utterances[4]["text"]  # a price stays
    assert stored.content_hash == call.content_hash()  # of the call as sent


def test_the_same_call_sent_again_is_found_although_it_was_stored_masked(
    session: Session, make_call: Any, masking: None
) -> None:
    body = make_call(transcript=TRANSCRIPT)

    first = ingest.ingest_call(session, CallIn.model_validate(body))
    again = ingest.ingest_call(session, CallIn.model_validate(body))

    assert first.created and not again.created and again.id == first.id


def test_an_organisation_set_to_mask_stores_its_calls_masked_without_callqa_mask(
    session: Session, make_call: Any
) -> None:
    masked_org = Tenant(mask=True)  # as its keys carry `callqa orgs set default --mask`
    call = CallIn.model_validate(make_call(transcript=TRANSCRIPT))

    done = ingest.ingest_call(session, call, tenant=masked_org)

    stored = session.get(Call, ("default", done.id))
    assert stored is not None and "oleg@mail.ru" not in stored.transcript
    assert masking_for() is False  # the others still store calls as sent
