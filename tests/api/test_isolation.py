"""Every route, for a key of another organisation and a key limited to another team: another's
call, manager, team, webhook, job, key or correction answers exactly like a missing one; lists
leave another's things out; what a key creates lands in its own organisation; a key limited to
teams may not write into another team nor manage organisation-wide things (tests/api/routes.py
says which applies to each route, and why not where it does not)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from app.services import access
from tests.api.routes import HIDDEN, MISSING, SHARED_MISSING, Lands, Moot, Refused, Route, params

SAVEPOINT = re.compile(r"sa_savepoint_[0-9]+")
ORGS = ("acme", "globex")
TEAMS = ("north", "south")
OWNER, OTHER_ORG, OTHER_TEAM = "acme", "globex", "acme-south"
"""The owner of what the specs look for (acme's team acme-north), a key of another
organisation, and an acme key limited to team acme-south."""
MISSING_IDS: dict[str, Any] = {
    "call": 999_999_999,
    "manager": "m-nobody",
    "team": "t-nobody",
    "external": "ext-nobody",
    "webhook": 999_999_999,
    "delivery": 999_999_999,
    "job": 999_999_999,
    "correction": 999_999_999,
    "key": 999_999_999,
    "checklist": "nobody",
    "version": "0" * 64,
}
CHECKLIST = {
    "title": "Our call",
    "extends": "realty_phone",
    "drop": {"items": ["no_exact_price"]},
}


@dataclass(frozen=True, slots=True)
class World:
    """Two organisations of two teams each, with a call, manager, webhook (and its delivery),
    job, checklist push and correction each; keys of every scope for each organisation and
    for acme-south only. `ids` are acme's team acme-north's things."""

    client: TestClient
    keys: dict[tuple[str, str], str]
    ids: dict[str, Any]
    statements: list[str]
    """The SQL the requests ran, in order (parameters apart)."""

    def send(self, who: str, route: Route, ids: dict[str, Any] | None = None) -> Response:
        path, body = route.fill(ids or self.ids)
        return self.as_key(who, route.scope, route.method, path, **route.request(body))

    def as_key(self, who: str, scope: str, method: str, path: str, **body: Any) -> Response:
        headers = {"Authorization": f"Bearer {self.keys[(who, scope)]}"}
        return self.client.request(method, path, headers=headers, **body)


def _ok(answer: Response) -> Any:
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


@pytest.fixture
def world(
    client: TestClient,
    session: Session,
    connection: Connection,
    app: FastAPI,
    make_call: Callable[..., dict[str, Any]],
) -> World:
    keys: dict[tuple[str, str], str] = {}
    for scope in access.SCOPES:
        for org in ORGS:
            made = access.create_key(session, organisation=org, scopes=[scope], name=f"{org}-key")
            keys[(org, scope)] = made[1]
        keys[(OTHER_TEAM, scope)] = access.create_key(
            session, organisation="acme", scopes=[scope], teams=["acme-south"], name="acme-south"
        )[1]
    session.flush()
    app.state.auth.clear()
    app.state.auth.ttl = 3600.0  # keys stay cached: a re-read would add statements to compare
    seeded = World(client, keys, {}, [])
    ids: dict[str, dict[str, Any]] = {}
    for org in ORGS:
        admin = (org, "admin")
        hook = {"url": f"https://93.184.216.34/{org}-hook", "events": ["call.scored"]}
        webhook = _ok(seeded.as_key(*admin, "POST", "/v1/webhooks", json=hook))["id"]
        for team in TEAMS:
            call = make_call(
                external_id=f"ext-{org}-{team}",
                manager_id=f"m-{org}-{team}",
                team_id=f"{org}-{team}",
                started_at=(datetime.now(UTC) - timedelta(days=1)).isoformat(),
            )
            call_id = _ok(seeded.as_key(*admin, "POST", "/v1/calls", json=call))["id"]
            ids[f"{org}-{team}"] = {"call": call_id}
        north = ids[f"{org}-north"]
        fix = {"corrections": [{"target": "question", "utterance": 4, "span": [27, 40]}]}
        fix["corrections"][0]["category"] = "personal"
        made = _ok(
            seeded.as_key(*admin, "POST", f"/v1/calls/{north['call']}/corrections", json=fix)
        )
        deliveries = _ok(seeded.as_key(*admin, "GET", f"/v1/webhooks/{webhook}/deliveries"))
        rescore = {"checklist": "realty_phone", "team_id": f"{org}-north"}
        job = _ok(seeded.as_key(*admin, "POST", "/v1/rescore", json=rescore))["job_id"]
        pushed = _ok(
            seeded.as_key(*admin, "POST", "/v1/checklists", json=CHECKLIST | {"key": f"{org}_call"})
        )
        team_key = {"scopes": ["read"], "teams": [f"{org}-north"], "name": f"{org}-north"}
        key_id = _ok(seeded.as_key(*admin, "POST", "/v1/keys", json=team_key))["id"]
        seeded.as_key(*admin, "GET", f"/v1/managers/m-{org}-north/report")  # audited
        north |= {
            "manager": f"m-{org}-north",
            "team": f"{org}-north",
            "external": f"ext-{org}-north",
            "webhook": webhook,
            "delivery": deliveries["deliveries"][0]["id"],
            "job": job,
            "correction": made["corrections"][0]["id"],
            "key": key_id,
            "checklist": f"{org}_call",
            "version": pushed["version"],
        }
    statements: list[str] = []

    @event.listens_for(connection, "before_cursor_execute")
    def ran(_: Any, __: Any, statement: str, *args: Any) -> None:
        statements.append(SAVEPOINT.sub("sa_savepoint", statement))  # the test's, numbered

    return World(client, keys, ids["acme-north"], statements)


def _same_as_missing(world: World, who: str, route: Route) -> None:
    """`who`'s request for acme-north's thing answers exactly as the one for a missing thing,
    after the same SQL statements (no tell in what or how much the database did)."""
    world.send(who, route, MISSING_IDS)  # the key is cached from here on
    answers, ran = [], []
    for ids in (world.ids, MISSING_IDS):
        world.statements.clear()
        answers.append(world.send(who, route, ids))
        ran.append(list(world.statements))
    theirs, missing = answers
    assert ran[0] == ran[1]
    assert theirs.status_code == missing.status_code == 404, (theirs.text, missing.text)
    assert theirs.headers["content-type"] == missing.headers["content-type"]
    seen, expected = theirs.json(), missing.json()
    assert seen.keys() == expected.keys()
    assert (seen["type"], seen["title"]) == (expected["type"], expected["title"])
    detail = seen["detail"]
    for name, value in world.ids.items():
        if f"{{{name}}}" in route.path:
            detail = detail.replace(str(value), str(MISSING_IDS[name]))
    assert detail == expected["detail"]


def _hidden(world: World, who: str, route: Route, marker: str) -> None:
    """The owner's answer shows its things (`marker`); `who`'s answer leaves them out."""
    marker = route.shows or marker
    owners = world.send(OWNER, route)
    assert owners.status_code == 200 and marker in owners.text, owners.text
    theirs = world.send(who, route)
    assert theirs.status_code == 200, theirs.text
    assert marker not in theirs.text


def _lands(world: World, who: str, route: Route, check: Lands, owner: str) -> None:
    """What `who` creates is found with `who`'s key and is 404 for `owner`'s."""
    made = world.send(who, route)
    assert made.status_code < 300, made.text
    path = check.path.format(**made.json())
    assert world.as_key(owner, "admin", check.method, path).status_code == 404
    assert world.as_key(who, "admin", check.method, path).status_code < 300


def _shared_missing(world: World, who: str, route: Route) -> None:
    """The link `who` makes for acme-north's page opens as one made for a missing page."""
    opened = []
    for ids in (world.ids, MISSING_IDS):
        made = world.send(who, route, ids)
        assert made.status_code == 201, made.text
        opened.append(world.client.get(made.json()["url"]))
    theirs, missing = opened
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["title"] == missing.json()["title"]


def _refused(world: World, who: str, route: Route, refused: Refused) -> None:
    """403 naming the field; for a batch, each item's."""
    answer = world.send(who, route)
    if answer.status_code == 207:
        assert {item["status"] for item in answer.json()["items"]} == {403}, answer.text
        answer.status_code = 403  # the item's outcome
        answer.headers["content-type"] = "application/problem+json"
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    if refused.pointer is not None:
        named = [e.get("pointer") or e.get("parameter") for e in _errors(answer)]
        assert refused.pointer in named, answer.text


def _errors(answer: Response) -> list[dict[str, Any]]:
    body = answer.json()
    if "items" in body:  # a batch: the item's errors
        return [e for item in body["items"] for e in item.get("errors") or []]
    return list(body.get("errors") or [])


def _check(world: World, who: str, route: Route, expect: Any, marker: str) -> None:
    if isinstance(expect, Moot):
        assert expect.why  # the table says why the property does not apply
    elif expect == MISSING:
        _same_as_missing(world, who, route)
    elif expect == HIDDEN:
        _hidden(world, who, route, marker)
    elif expect == SHARED_MISSING:
        _shared_missing(world, who, route)
    elif isinstance(expect, Lands):
        _lands(world, who, route, expect, OWNER)
    elif isinstance(expect, Refused):
        _refused(world, who, route, expect)
    else:
        raise AssertionError(f"unknown expectation {expect!r}")


@pytest.mark.parametrize("route", params())
def test_a_key_of_another_organisation_finds_nothing_of_it(world: World, route: Route) -> None:
    _check(world, OTHER_ORG, route, route.org, "acme")


@pytest.mark.parametrize("route", params())
def test_a_key_limited_to_another_team_finds_nothing_of_it(world: World, route: Route) -> None:
    _check(world, OTHER_TEAM, route, route.team, "acme-north")
