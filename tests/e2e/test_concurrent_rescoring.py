"""Two rescorings of the same calls under two versions at once, on two real connections: the
latest-score series counts each call once, with the score it shows, as a recount does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.api.app import create_app
from app.db.session import Database
from app.engine.corrections import Correction
from app.services import corrections
from app.services.checklists import ChecklistFinder
from app.services.rescoring import rescore_calls
from app.services.schemas import ScoreIn
from app.settings import Settings
from tests.conftest import transcript_text

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 60


@pytest.fixture
def database(make_scratch_database: Callable[..., Any]) -> Iterator[str]:
    with make_scratch_database(f"rescore_race_{time.monotonic_ns()}") as url:
        yield url


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    """The app on real commits (the rescorings' connections must see what it stores)."""
    with TestClient(create_app(Settings(database_url=database))) as client:
        yield client


def _push_with_greeting_worth(client: TestClient, points: int) -> str:
    """A version of realty_phone whose first item (the greeting) weighs `points`."""
    document = (ROOT / "checklists" / "realty_phone.yaml").read_text(encoding="utf-8")
    document = document.replace("    points: 10\n", f"    points: {points}\n", 1)
    answer = client.post(
        "/v1/checklists", content=document.encode(), headers={"Content-Type": "application/yaml"}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["version"])


_WAITING = text(
    "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid AND state = 'active'"
)


def _rescore_both_at_once(database: str, ids: list[int], versions: list[str]) -> None:
    """Each version's rescoring of `ids` in a transaction of its own, on its own connection;
    each keeps its transaction open until the other has read the calls' latest scores too or
    waits on a lock of it: the interleaving in which both would replace the same score."""
    db = Database.from_url(database, pool_size=3, max_overflow=0)
    pids: dict[int, int] = {}
    connected = threading.Barrier(2)
    scored = [threading.Event(), threading.Event()]
    errors: list[BaseException] = []

    def other_waits_or_scored(other: int) -> bool:
        if scored[other].is_set():
            return True
        with db.engine.connect() as conn:
            return bool(conn.execute(_WAITING, {"pid": pids[other]}).scalar())

    def run(me: int) -> None:
        try:
            with db.session_scope() as session:
                pids[me] = int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
                connected.wait(timeout=WAIT_S)
                rules = ChecklistFinder(session).for_request(
                    ScoreIn(
                        transcript=".", checklist="realty_phone", checklist_version=versions[me]
                    )
                )
                counts = rescore_calls(session, ids, rules)
                assert counts.scored == len(ids)
                scored[me].set()
                deadline = time.monotonic() + WAIT_S
                while not other_waits_or_scored(1 - me) and time.monotonic() < deadline:
                    time.sleep(0.02)
        except BaseException as exc:
            errors.append(exc)
            scored[me].set()  # the other must not wait for a rescoring that failed

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * WAIT_S)
    db.dispose()
    assert not any(t.is_alive() for t in threads), "a rescoring never finished"
    assert not errors, errors


_SERIES = text(
    """
SELECT checklist_version, sum(calls) AS calls, sum(total_sum) AS total_sum
FROM {table} WHERE manager_id = 'm-race' GROUP BY 1 HAVING sum(calls) <> 0 ORDER BY 1
"""
)


def _series(database: str, table: str) -> dict[str, tuple[int, float]]:
    """(calls, total points) per roll-up series of the manager."""
    db = Database.from_url(database, pool_size=1, max_overflow=0)
    with db.engine.connect() as conn:
        rows = conn.execute(text(str(_SERIES).format(table=table))).all()
    db.dispose()
    return {r.checklist_version: (int(r.calls), round(float(r.total_sum), 6)) for r in rows}


def test_two_versions_rescoring_the_same_calls_at_once_leave_each_call_counted_once_as_latest(
    client: TestClient, database: str, make_call: Any
) -> None:
    calls = [make_call(manager_id="m-race", transcript=transcript_text(n)) for n in range(8)]
    ids = [
        item["id"] for item in client.post("/v1/calls/batch", json={"calls": calls}).json()["items"]
    ]
    ingested = client.get("/v1/checklists/realty_phone").json()["version"]
    versions = [_push_with_greeting_worth(client, 60), _push_with_greeting_worth(client, 35)]

    _rescore_both_at_once(database, ids, versions)

    shown = [client.get(f"/v1/calls/{i}").json() for i in ids]
    recount: dict[str, tuple[int, float]] = {}
    for call in shown:  # every score of every call in its version's series, the shown one in ''
        counted = [(s["checklist"]["version"], s["total"]) for s in call["scores"]]
        counted.append(("", call["total"]))
        for series, total in counted:
            calls_so_far, points = recount.get(series, (0, 0.0))
            recount[series] = (calls_so_far + 1, round(points + total, 6))
    assert set(recount) == {"", ingested, *versions}
    assert len({recount[v][1] for v in (ingested, *versions)}) == 3, "the versions score apart"
    assert _series(database, "manager_rollup") == recount
    assert _series(database, "manager_rollup_day") == recount
    latest = client.get(
        "/v1/managers/m-race/trends",
        params={"checklist": "realty_phone", "from": "2026-03-01", "to": "2026-04-01"},
    ).json()
    assert latest["versions"] == sorted({c["checklist"]["version"] for c in shown})
    assert len(latest["versions"]) == 1  # one rescoring waited for the other: its scores won


_LOCK_WAITER = text(
    "SELECT count(*) > 0 FROM pg_stat_activity"
    " WHERE datname = current_database() AND state = 'active' AND wait_event_type = 'Lock'"
)
NOT_A_VIOLATION = Correction(target="violation", utterance=10, phrase="вы должны", valid=False)


def _first_holds_until_second_waits(
    database: str, first: Callable[[Any], None], second: Callable[[Any], None]
) -> bool:
    """`first` and `second` each in a transaction of its own, on its own connection: `first`
    runs, then keeps its transaction open until `second` (started meanwhile) waits on one of
    its locks or has finished; whether it waited."""
    db = Database.from_url(database, pool_size=3, max_overflow=0)
    done = threading.Event()
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            with db.session_scope() as session:
                second(session)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    with db.session_scope() as session:
        first(session)
        thread = threading.Thread(target=run_second, daemon=True)
        thread.start()
        deadline, waited = time.monotonic() + WAIT_S, False
        while not (waited or done.is_set()) and time.monotonic() < deadline:
            with db.engine.connect() as conn:
                waited = bool(conn.execute(_LOCK_WAITER).scalar())
            time.sleep(0.02)
    thread.join(timeout=WAIT_S)
    db.dispose()
    assert not thread.is_alive(), "the second transaction never finished"
    assert not errors, errors
    return waited


@pytest.mark.parametrize("rescoring_first", [True, False])
def test_a_correction_and_a_rescoring_of_the_same_call_at_once_leave_the_trend_as_the_page(
    client: TestClient, database: str, make_call: Any, rescoring_first: bool
) -> None:
    call_id = client.post("/v1/calls", json=make_call(manager_id="m-race-fix")).json()["id"]
    version = _push_with_greeting_worth(client, 60)

    def rescore(session: Any) -> None:
        rules = ChecklistFinder(session).for_request(
            ScoreIn(transcript=".", checklist="realty_phone", checklist_version=version)
        )
        assert rescore_calls(session, [call_id], rules).scored == 1

    def correct(session: Any) -> None:
        corrections.add(session, call_id, [corrections.NewCorrection(NOT_A_VIOLATION)])

    steps = (rescore, correct) if rescoring_first else (correct, rescore)
    assert _first_holds_until_second_waits(database, *steps)  # the two met on the call's lock

    page = client.get(f"/v1/calls/{call_id}").json()
    assert page["checklist"]["version"] == version
    assert [c["applied"] for c in page["corrections"]] == [True]
    db = Database.from_url(database, pool_size=1, max_overflow=0)
    with db.engine.connect() as conn:
        latest = conn.execute(
            text(
                "SELECT sum(calls), sum(total_sum) FROM manager_rollup_day"
                " WHERE manager_id = 'm-race-fix' AND checklist_version = ''"
            )
        ).one()
    db.dispose()
    assert (latest[0], latest[1]) == (1, pytest.approx(page["score"]["total"]))
