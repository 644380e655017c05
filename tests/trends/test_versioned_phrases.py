"""After a trainer changes the forbidden phrases and rescores part of the history, the phrases
said most, their replacements and example utterances, and the team report follow the series
asked for: the old version's scores, the new version's, or each call's latest. Each equals a
recount from the scores, from the day roll-ups and from the calls alike."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.api.trend_schemas import TeamReportOut
from app.cli import app
from app.db import calls as call_queries
from app.services import phrases, reports
from app.services.rescoring import rescore_calls
from tests.trends.conftest import Ingest, push_realty_version, realty_call

KOLKATA = "Asia/Kolkata"  # UTC+5:30: whole local days are not whole UTC days
NEW_REPLACEMENT = "Сейчас уточню у коллег и сразу вам скажу"
# The trainer's change: a new replacement for "я не знаю", "подождите" no longer forbidden.
CHANGED = f"""
key: realty_phone
title: Телефонный звонок по недвижимости (новые фразы)
extends: realty_phone
drop:
  forbidden: [подождите]
forbidden_phrases:
  - phrase: я не знаю
    replacement: {NEW_REPLACEMENT}
    match: ["не =знаю", "=незнаю", "не =знаем", "понятия не =имею", "без =понятия"]
"""
# (manager, UTC start, questions, forbidden phrases); the first four are rescored, the newest
# calls of each manager among them.
CALLS = (
    ("mp-a", "2026-03-09T12:00", 6, 3),
    ("mp-b", "2026-03-06T08:00", 4, 2),
    ("mp-a", "2026-02-27T19:00", 8, 2),
    ("mp-b", "2026-02-20T21:30", 5, 1),
    ("mp-a", "2026-02-10T09:15", 7, 2),
    ("mp-b", "2026-02-03T11:40", 3, 3),
    ("mp-a", "2026-01-20T00:10", 6, 1),
)
RESCORED = 4
WINDOWS = (("2026-01-01", "2026-03-31"), ("2026-02-03", "2026-02-28"))
SCOPES: tuple[dict[str, Any], ...] = ({"team_id": "t-sochi"}, {"manager_id": "mp-a"})


@pytest.fixture
def history(
    store: Ingest, client: TestClient, session: Session
) -> tuple[str, str, list[dict[str, Any]]]:
    """The calls stored under the built-in version, the changed version pushed and the newest
    calls rescored under it: (old version, new version, each call's scores by version)."""
    stored = [
        store(realty_call(q, forbidden=f), started_at=f"{at}+00:00", manager_id=m)
        for m, at, q, f in CALLS
    ]
    old = stored[0]["score"]["checklist"]["version"]
    rules = push_realty_version(client, session, CHANGED)
    new = rules.version
    ids = [c["id"] for c in stored]
    assert rescore_calls(session, ids[:RESCORED], rules).scored == RESCORED
    scores = []
    for i, call in enumerate(stored):
        shown = client.get(f"/v1/calls/{call['id']}").json()
        by_version = {old: call["score"]}
        if i < RESCORED:
            by_version[new] = shown["machine_score"]
        scores.append({**shown, "manager_id": CALLS[i][0], "by_version": by_version})
    return old, new, scores


def _counted(calls: list[dict[str, Any]], old: str, new: str, version: str | None) -> list[Any]:
    """The score each call counts with in a series (None: not in it); latest is the newest."""
    if version is None:
        return [c["by_version"].get(new, c["by_version"][old]) for c in calls]
    return [c["by_version"].get(version) for c in calls]


def _recount(scores: list[Any]) -> dict[str, int]:
    return dict(Counter(v["phrase"] for s in scores if s for v in s["violations"]))


def _top(session: Session, version: str | None, **params: Any) -> list[dict[str, Any]]:
    """Top violations of every scope and window in Kolkata under `version` (None: latest)."""
    return [
        phrases.top_violations(
            session, start=a, end=b, tz=KOLKATA, checklist="realty_phone", version=version, **scope
        )
        for scope in SCOPES
        for a, b in WINDOWS
    ]


@pytest.mark.parametrize("series", ["old", "new", "latest"])
def test_top_violations_of_a_version_or_the_latest_equal_a_recount_from_rollups_and_calls(
    session: Session, history: tuple[str, str, list[dict[str, Any]]], series: str
) -> None:
    old, new, calls = history
    version = {"old": old, "new": new, "latest": None}[series]
    call_queries.set_day_zone(session, KOLKATA)
    from_rollups = _top(session, version)

    call_queries.set_day_zone(session, "UTC")  # whole Kolkata days are cut UTC days: the calls
    from_calls = _top(session, version)

    assert from_rollups == from_calls
    whole = from_calls[0]  # the team over the whole history
    expected = _recount(_counted(calls, old, new, version))
    assert {p["phrase"]: p["count"] for p in whole["phrases"]} == expected
    assert ("подождите" in expected) is (series != "new")  # the new version dropped it
    replacements = {p["phrase"]: p["replacement"] for p in whole["phrases"]}
    shown = NEW_REPLACEMENT if series != "old" else "Я уточню и вернусь к вам с ответом"
    assert replacements["я не знаю"] == shown  # the newest calls say it: rescored, but in old


def _report(session: Session, version: str | None) -> dict[str, Any]:
    body = reports.manager_report(
        session,
        "mp-a",
        start="2026-01-01",
        end="2026-03-31",
        tz=KOLKATA,
        checklist="realty_phone",
        version=version,
    )
    del body["generated_at"]
    return body


@pytest.mark.parametrize("series", ["old", "new", "latest"])
def test_report_examples_are_the_utterances_of_the_scores_counted(
    session: Session, history: tuple[str, str, list[dict[str, Any]]], series: str
) -> None:
    old, new, calls = history
    version = {"old": old, "new": new, "latest": None}[series]
    call_queries.set_day_zone(session, KOLKATA)
    from_rollups = _report(session, version)
    call_queries.set_day_zone(session, "UTC")
    from_calls = _report(session, version)

    assert from_rollups == from_calls
    mine = [c for c in calls if c["manager_id"] == "mp-a"]
    counted = dict(zip((c["id"] for c in mine), _counted(mine, old, new, version), strict=True))
    phrases_shown = {p["phrase"]: p for p in from_calls["top_phrases"]}
    assert set(phrases_shown) == set(_recount(list(counted.values())))
    for phrase, entry in phrases_shown.items():
        assert entry["examples"], phrase
        for example in entry["examples"]:  # a hit of the counted score, as it was said
            hits = [v for v in counted[example["call_id"]]["violations"] if v["phrase"] == phrase]
            first = min(hits, key=lambda v: v["utterance"])
            assert (example["utterance"], example["matched"]) == (
                first["utterance"],
                first["matched"],
            )
            call = next(c for c in calls if c["id"] == example["call_id"])
            said = [u["text"] for u in call["utterances"] if u["index"] == example["utterance"]]
            assert example["text"] in said
            assert first["matched"].lower() in example["text"].lower()
            assert example["started_at"] == datetime.fromisoformat(call["started_at"])


def _team(client: TestClient, **params: Any) -> Any:
    window = {"from": "2026-01-01", "to": "2026-03-31", "tz": KOLKATA}
    return client.get("/v1/teams/t-sochi/report", params=window | params)


def _mean(totals: list[float]) -> float:
    return round(sum(totals) / len(totals), 2)


def test_the_team_report_of_a_version_counts_only_its_scores_and_says_which_calls_lack_one(
    client: TestClient, history: tuple[str, str, list[dict[str, Any]]]
) -> None:
    old, new, calls = history

    under_old = _team(client, checklist="realty_phone", version=old)
    under_new = _team(client, checklist="realty_phone", version=new)
    latest = _team(client, checklist="realty_phone")

    for answer in (under_old, under_new, latest):
        assert answer.status_code == 200, answer.text
        TeamReportOut.model_validate(answer.json())
    for body, version in ((under_old.json(), old), (under_new.json(), new), (latest.json(), None)):
        counted = [s for s in _counted(calls, old, new, version) if s]
        assert body["summary"]["calls"] == len(counted)
        assert body["summary"]["avg_total"] == _mean([s["total"] for s in counted])
        by_manager = {m["manager_id"]: m for m in body["managers"]}
        for manager_id in ("mp-a", "mp-b"):
            mine = [c for c in calls if c["manager_id"] == manager_id]
            own = [s["total"] for s in _counted(mine, old, new, version) if s]
            assert (by_manager[manager_id]["calls"], by_manager[manager_id]["avg_total"]) == (
                len(own),
                _mean(own),
            )
        said = {p["phrase"]: p["count"] for p in body["top_phrases"]}
        assert said == _recount(counted)
    assert (under_old.json()["version"], under_old.json()["calls_without_version"]) == (old, 0)
    assert under_new.json()["calls_without_version"] == len(calls) - RESCORED
    assert (latest.json()["version"], latest.json()["versions"]) == (None, sorted([old, new]))


def test_a_team_report_version_without_its_checklist_is_422_and_an_unknown_one_404(
    client: TestClient, history: tuple[str, str, list[dict[str, Any]]]
) -> None:
    old, _, _ = history

    alone = _team(client, version=old)
    unknown = _team(client, checklist="realty_phone", version="abc")

    assert alone.status_code == 422
    assert alone.headers["content-type"] == "application/problem+json"
    assert [e["parameter"] for e in alone.json()["errors"]] == ["version"]
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


@pytest.mark.usefixtures("cli_on_test_session")
def test_callqa_report_team_takes_the_checklist_version(
    history: tuple[str, str, list[dict[str, Any]]],
) -> None:
    _, new, _ = history
    window = ["--from", "2026-01-01", "--to", "2026-03-31", "--tz", KOLKATA]
    versioned = ["--checklist", "realty_phone", "--checklist-version", new]

    result = CliRunner().invoke(
        app, ["report", "--team", "t-sochi", *window, *versioned, "--format", "json"]
    )

    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["version"], body["versions"], body["summary"]["calls"]) == (new, [new], RESCORED)
