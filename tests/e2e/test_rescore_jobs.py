"""Rescoring as a background job: POST /v1/rescore queues it, `callqa worker` processes run
it, GET /v1/jobs/{id} follows it; old scores stay, and a worker killed mid-job is replaced
without any call counted or stored twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from app.api.app import create_app
from app.settings import Settings
from tests.conftest import transcript_text
from tests.e2e.conftest import follow_job, job_ended

ROOT = Path(__file__).resolve().parents[2]
CALLQA = Path(sys.executable).parent / "callqa"


@pytest.fixture
def database(make_scratch_database: Callable[..., Any]) -> Iterator[str]:
    with make_scratch_database(f"jobs_{time.monotonic_ns()}") as url:
        yield url


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    """The app on real commits (a worker process must see what it stores)."""
    with TestClient(create_app(Settings(database_url=database))) as client:
        yield client


class Workers:
    """`callqa worker` processes on the test's database; killed at the end."""

    def __init__(self, database: str, log_dir: Path) -> None:
        self.env = dict(os.environ, CALLQA_DATABASE_URL=database, CALLQA_JOB_STALLED_S="2")
        self.log_dir = log_dir
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"worker{len(self.running)}.log").open("wb")
        process = subprocess.Popen(
            [str(CALLQA), "worker"], env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        self.running.append(process)
        return process


@pytest.fixture
def workers(database: str, tmp_path: Path) -> Iterator[Workers]:
    started = Workers(database, tmp_path)
    yield started
    for process in started.running:
        process.kill()
        process.wait(timeout=10)


def _store(client: TestClient, make_call: Any, n: int, lines: int = 0) -> list[int]:
    calls = [make_call(manager_id="m-rescore", transcript=transcript_text(lines)) for _ in range(n)]
    ids: list[int] = []
    for start in range(0, n, 250):
        answer = client.post("/v1/calls/batch", json={"calls": calls[start : start + 250]})
        ids += [item["id"] for item in answer.json()["items"]]
    return ids


def _scores_under(database: str, key: str) -> int:
    plain = make_url(database).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        row = conn.execute("SELECT count(*) FROM call_score WHERE checklist_key = %s", (key,))
        return int(row.fetchone()[0])  # type: ignore[index]


def test_a_rescoring_job_adds_the_new_versions_scores_beside_the_old_ones(
    client: TestClient, workers: Workers, make_call: Any
) -> None:
    ids = _store(client, make_call, 30)
    workers.start()

    queued = client.post("/v1/rescore", json={"checklist": "spin_classic"})
    job = follow_job(client, queued.headers["location"], job_ended)
    again = follow_job(
        client,
        client.post("/v1/rescore", json={"checklist": "spin_classic"}).headers["location"],
        job_ended,
    )
    call = client.get(f"/v1/calls/{ids[0]}").json()

    assert queued.status_code == 202
    assert queued.json()["status"] == "queued" and queued.json()["total"] == 30
    assert (job["status"], job["total"], job["done"], job["skipped"]) == ("succeeded", 30, 30, 0)
    assert (again["status"], again["done"]) == ("succeeded", 0)  # every call had that version
    assert {s["checklist"]["key"] for s in call["scores"]} == {"realty_phone", "spin_classic"}


def test_rescoring_a_window_without_calls_succeeds_at_once_with_total_0(
    client: TestClient,
) -> None:
    body = {
        "checklist": "realty_phone",
        "from": "2001-01-01T00:00:00Z",
        "to": "2001-02-01T00:00:00Z",
    }

    queued = client.post("/v1/rescore", json=body)

    assert queued.status_code == 202
    assert client.get(queued.headers["location"]).json() | {"params": None} == queued.json() | {
        "params": None
    }
    assert (queued.json()["status"], queued.json()["total"]) == ("succeeded", 0)


def test_unknown_checklists_and_jobs_are_404_and_anjob_ended_job_cannot_be_cancelled(
    client: TestClient,
) -> None:
    unknown = client.post("/v1/rescore", json={"checklist": "no_such_checklist"})
    version = client.post("/v1/rescore", json={"checklist": "realty_phone", "version": "abc"})
    ended = client.post("/v1/rescore", json={"checklist": "realty_phone"}).json()["job_id"]

    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert version.status_code == 404
    assert client.get("/v1/jobs/987654321").status_code == 404
    assert client.delete(f"/v1/jobs/{ended}").status_code == 409


def test_a_worker_killed_mid_job_is_replaced_and_no_call_is_counted_twice(
    client: TestClient, workers: Workers, database: str, make_call: Any
) -> None:
    _store(client, make_call, 1000, lines=20)
    first = workers.start()
    location = client.post("/v1/rescore", json={"checklist": "spin_classic"}).headers["location"]

    started = follow_job(client, location, lambda job: job["done"] > 0 or job_ended(job))
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    workers.start()
    job = follow_job(client, location, job_ended)

    assert 0 < started["done"] < 1000, "the kill must fall inside the job"
    assert (job["status"], job["total"], job["done"]) == ("succeeded", 1000, 1000)
    assert _scores_under(database, "spin_classic") == 1000


def _rescore(client: TestClient, checklist: str) -> Any:
    """Run a rescoring job to its end."""
    location = client.post("/v1/rescore", json={"checklist": checklist}).headers["location"]
    return follow_job(client, location, job_ended)


def _figures(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    window = {"from": "2026-03-01", "to": "2026-04-01", "checklist": "realty_phone"}
    answer = client.get(path, params=window | params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _mean(totals: list[float]) -> float:
    return round(sum(totals) / len(totals), 2)


def test_after_a_rescore_the_same_calls_show_under_the_old_and_the_new_rules_side_by_side(
    client: TestClient, workers: Workers, make_call: Any
) -> None:
    ids = [
        client.post("/v1/calls", json=make_call(transcript=transcript_text(n))).json()["id"]
        for n in range(6)
    ]
    old = client.get("/v1/checklists/realty_phone").json()["version"]
    stricter = (ROOT / "checklists" / "realty_phone.yaml").read_text(encoding="utf-8")
    stricter = stricter.replace("    points: 10\n", "    points: 60\n", 1)  # greeting weighs more
    headers = {"Content-Type": "application/yaml"}
    new = client.post("/v1/checklists", content=stricter.encode(), headers=headers).json()[
        "version"
    ]
    workers.start()

    job, again = (_rescore(client, "realty_phone") for _ in range(2))

    assert (job["status"], job["done"], again["done"]) == ("succeeded", 6, 0)
    totals: dict[str, list[float]] = {old: [], new: []}
    for call_id in ids:  # the recount: every call's score under each version
        for s in client.get(f"/v1/calls/{call_id}").json()["scores"]:
            totals[s["checklist"]["version"]].append(s["total"])
    assert [len(totals[old]), len(totals[new])] == [6, 6]
    assert _mean(totals[old]) != _mean(totals[new])
    for tz in ("UTC", "Asia/Kolkata"):  # whole days of the day roll-ups, and 15-minute slots
        trends = "/v1/managers/m-anna/trends"
        under_old = _figures(client, trends, bucket="month", tz=tz, version=old)
        under_new = _figures(client, trends, bucket="month", tz=tz, version=new)
        latest = _figures(client, trends, bucket="month", tz=tz)
        shown = [(p["calls"], p["avg_total"]) for p in under_old["series"] if p["calls"]]
        assert shown == [(6, _mean(totals[old]))]
        shown = [(p["calls"], p["avg_total"]) for p in under_new["series"] if p["calls"]]
        assert shown == [(6, _mean(totals[new]))]
        assert [p["avg_total"] for p in latest["series"] if p["calls"]] == [_mean(totals[new])]
        assert (under_old["version"], under_old["calls_without_version"]) == (old, 0)
        assert (latest["version"], latest["versions"]) == (None, [new])
        board = _figures(client, "/v1/teams/t-north/leaderboard", tz=tz, version=old)
        assert [(m["calls"], m["avg_total"]) for m in board["managers"]] == [
            (6, _mean(totals[old]))
        ]
        report = _figures(client, "/v1/managers/m-anna/report", tz=tz, version=new)
        assert (report["summary"]["calls"], report["summary"]["avg_total"]) == (
            6,
            _mean(totals[new]),
        )
        assert sum(report["summary"]["grades"].values()) == 6
        assert report["best_calls"][0]["total"] == max(totals[new])
        assert report["worst_calls"][0]["total"] == min(totals[new])
    unknown = {"checklist": "realty_phone", "version": "abc"}
    assert client.get("/v1/managers/m-anna/trends", params=unknown).status_code == 404
