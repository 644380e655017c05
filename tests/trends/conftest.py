"""Helpers for trend and report specs: realty calls with a chosen number of questions per kind,
scored by the real engine and stored through the real ingest service.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.api.app import create_app
from app.api.deps import Transactions, get_transactions
from app.db.session import SessionScope
from app.engine import Checklist, score
from app.services import ingest
from app.services.checklists import ChecklistFinder
from app.services.schemas import CallIn, ScoreIn
from app.settings import Settings

warnings.filterwarnings("ignore", message=".*httpx2.*")  # as tests/conftest.py does
from fastapi.testclient import TestClient  # noqa: E402

EXPERTISE = (
    "Какой район вы рассматриваете?",
    "Сколько комнат вам нужно?",
    "Какой у вас бюджет?",
    "На каком этаже хотите жить?",
    "Для чего покупаете квартиру: для себя или под сдачу?",
    "Какая форма оплаты вам удобна: ипотека или наличные?",
    "Нужна ли рядом школа или садик?",
    "Какую площадь рассматриваете?",
    "Нужен ли вид на море?",
    "Рассматриваете новостройку или вторичку?",
    "В какие сроки планируете заселиться?",
    "Какая отделка нужна: с ремонтом или без?",
)
PERSONAL = (
    "Почему решили сменить место жительства?",
    "Где вы сейчас живете?",
    "Что вам там нравится?",
    "Чем вы занимаетесь?",
    "Есть ли дети?",
    "Чем увлекаетесь в свободное время?",
)
MOTIVATION = (
    "Как вы видите свою будущую квартиру?",
    "Что для вас важно при выборе?",
    "Как должна выглядеть квартира вашей мечты?",
)
FORBIDDEN = ("Я не знаю, уточните сами.", "Подождите минуту.")
_serial = itertools.count()


def push_realty_version(client: TestClient, session: Session, document: str) -> Checklist:
    """Push a version of realty_phone over HTTP, as a trainer does; its rules, as a rescoring
    of calls under it takes them (their `.version` names it)."""
    pushed = client.post(
        "/v1/checklists", content=document.encode(), headers={"Content-Type": "application/yaml"}
    )
    assert pushed.status_code == 201, pushed.text
    version = pushed.json()["version"]
    return ChecklistFinder(session).for_request(
        ScoreIn(transcript=".", checklist="realty_phone", checklist_version=version)
    )


ANSWER = "Клиент: Хороший вопрос, мы с семьёй как раз это обсуждали на днях, скажу честно."


def realty_call(
    expertise: int,
    personal: int = 0,
    motivation: int = 0,
    *,
    forbidden: int = 0,
    coached: bool = False,
) -> str:
    """A plain-text call whose manager asks that many questions of each kind, in that order;
    a coached manager also announces the recording and books a viewing."""
    lines = [
        "Менеджер: Добрый день, агентство «Квартал», меня зовут Ольга.",
        "Клиент: Здравствуйте, я звоню по объявлению о квартирах в новом доме.",
    ]
    if coached:
        lines += ["Менеджер: Предупреждаю, разговор записывается.", "Клиент: Хорошо."]
    asked = [*EXPERTISE[:expertise], *PERSONAL[:personal], *MOTIVATION[:motivation]]
    for i, question in enumerate(asked):
        lines += [f"Менеджер: {question}", ANSWER]
        if i < forbidden:
            lines += [f"Менеджер: {FORBIDDEN[i % len(FORBIDDEN)]}", "Клиент: Хорошо."]
    if coached:
        lines += ["Менеджер: Давайте я запишу вас на просмотр в субботу в 11:00?", "Клиент: Да."]
    return "\n".join(lines)


Ingest = Callable[..., dict[str, Any]]


@pytest.fixture
def store(session: Session) -> Ingest:
    """`store(text, started_at=..., manager_id=...)`: ingest through the service, return the
    stored call's id and score."""

    def run(
        transcript: str,
        *,
        started_at: str | datetime,
        manager_id: str = "m-olga",
        team_id: str | None = "t-sochi",
        **extra: Any,
    ) -> dict[str, Any]:
        call = CallIn.model_validate(
            {
                "external_id": f"trend-{next(_serial)}",
                "manager_id": manager_id,
                "team_id": team_id,
                "started_at": started_at,
                "transcript": transcript,
                **extra,
            }
        )
        done = ingest.ingest_call(session, call)
        return {"id": done.id, "score": done.score}

    return run


FIRST_MONDAY = date(2026, 1, 5)
TRAINING_DAY = date(2026, 2, 9)  # the Monday of week 6
# (expertise, personal, motivation, forbidden phrases) per week: shy questions at first, then
# more of them, personal and motivation topics appear, forbidden phrases fade.
PLAN = (
    (4, 0, 0, 2),
    (4, 1, 0, 2),
    (5, 1, 0, 2),
    (6, 1, 1, 2),
    (7, 2, 1, 1),
    (8, 2, 1, 1),
    (8, 3, 2, 1),
    (9, 3, 2, 0),
    (10, 4, 2, 0),
    (10, 5, 3, 0),
)
CATEGORIES = ("expertise", "personal", "motivation", "other")


def _ten_weeks() -> list[tuple[int, datetime, str]]:
    """(week index, start, transcript): one call a working day, the odd days one question more."""
    calls = []
    for week, (e, p, m, f) in enumerate(PLAN):
        for day in range(5):
            start = datetime.combine(FIRST_MONDAY, datetime.min.time(), tzinfo=UTC)
            start += timedelta(weeks=week, days=day, hours=9 + day)
            text = realty_call(e + day % 2, p, m, forbidden=f, coached=week >= 5)
            calls.append((week, start, text))
    return calls


@pytest.fixture
def scenario(store: Ingest) -> list[dict[str, Any]]:
    """The ten weeks ingested for manager m-olga; returns what the engine said of each call."""
    out = []
    for week, start, text in _ten_weeks():
        stored = store(text, started_at=start, manager_name="Ольга Смирнова")
        out.append(
            {"week": week, "started_at": start, "id": stored["id"], "score": score(text).to_dict()}
        )
    return out


@pytest.fixture(scope="session")
def moscow_app(settings: Settings) -> FastAPI:
    """The app as configured with CALLQA_TIMEZONE=Europe/Moscow."""
    return create_app(settings.model_copy(update={"timezone": "Europe/Moscow"}))


@pytest.fixture
def moscow_client(moscow_app: FastAPI, session_scope: SessionScope) -> Iterator[TestClient]:
    """A client of the Moscow-configured app on the test's session."""
    moscow_app.dependency_overrides[get_transactions] = lambda: Transactions(session_scope)
    with TestClient(moscow_app, raise_server_exceptions=False) as client:
        yield client
    moscow_app.dependency_overrides.clear()
