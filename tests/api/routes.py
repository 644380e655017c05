"""The route table: every route of the API with the scope it needs and how it answers a key of
another organisation and a key limited to another team. The specs of tests/api/test_access.py
and tests/api/test_isolation.py are driven by it, and the first of them fails when a route is
missing from it.

Paths name what they act on in braces, filled from what a spec seeded (organisation acme's
things of team acme-north) or, for specs that seed nothing, from `PLACEHOLDERS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True, slots=True)
class Lands:
    """A create route: what it made is in the key's own organisation; `check` (method, path
    filled from the answer's JSON) finds it with that key and is 404 for the other's."""

    method: str
    path: str


@dataclass(frozen=True, slots=True)
class Refused:
    """403 for a key limited to other teams (a write into a team it may not act for, or an
    organisation-wide setting no single team may change or read); `pointer` the field named."""

    why: str
    pointer: str | None = None


@dataclass(frozen=True, slots=True)
class Moot:
    """The property does not apply to the route, and why."""

    why: str


MISSING = "missing"
"""Answers exactly as for a thing that does not exist: same status (404), same body shape."""
HIDDEN = "hidden"
"""A collection: the answer leaves the other's things out (they are in the owner's answer)."""
SHARED_MISSING = "shared-missing"
"""The share link made for the other's page opens as a link to a missing page does."""
Expect = str | Lands | Refused | Moot

OWN_ASSIGNMENT = Moot(
    "an assignment is a setting of the key's own organisation, where a team id names that "
    "organisation's team: nothing of another organisation is read or changed "
    "(tests/api/test_checklists_per_organisation.py scores each organisation's calls with its own)"
)
NOT_TEAM_DATA = "checklists hold no team's data"
ORG_WIDE = Refused("organisation-wide: a key limited to teams may not manage or read it")


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    body: Any
    scope: str
    org: Expect
    team: Expect
    shows: str | None = None
    """What a collection's answer shows of its owner's things (default: their names)."""
    form: bool = False
    """The body is an HTML form (application/x-www-form-urlencoded), not JSON."""

    def request(self, body: Any) -> dict[str, Any]:
        """The body as the client's `json=` or `data=` argument."""
        return {"data": body} if self.form else {"json": body}

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def fill(self, values: dict[str, Any]) -> tuple[str, Any]:
        """The path and body with the braces filled from `values`."""
        return self.path.format(**values), _fill(self.body, values)


def _fill(body: Any, values: dict[str, Any]) -> Any:
    if isinstance(body, str):
        return body.format(**values)
    if isinstance(body, dict):
        return {k: _fill(v, values) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, values) for v in body]
    return body


PLACEHOLDERS: dict[str, Any] = {
    "call": 1,
    "manager": "m",
    "team": "t",
    "external": "e",
    "webhook": 1,
    "delivery": 1,
    "job": 1,
    "correction": 1,
    "key": 999999,
    "checklist": "realty_phone",
    "version": "v",
}
"""Values for specs that seed nothing (401 and 403 come before any look-up)."""

CORRECTION = {"target": "question", "utterance": 4, "span": [27, 40], "category": "personal"}
CHECKLIST = {"key": "ours", "title": "Наш звонок", "extends": "realty_phone"}
NEW_CALL = {
    "external_id": "ext-new",
    "manager_id": "m-new",
    "team_id": "{team}",
    "started_at": "2026-03-02T10:00:00+03:00",
    "transcript": "Менеджер: Добрый день.\nКлиент: Здравствуйте.",
}

ROUTES: list[Route] = [
    Route(
        "POST",
        "/v1/calls",
        NEW_CALL,
        "ingest",
        Lands("GET", "/v1/calls/{id}"),
        Refused("a call of another team", "/team_id"),
    ),
    Route(
        "POST",
        "/v1/calls/batch",
        {"calls": [NEW_CALL]},
        "ingest",
        Lands("GET", "/v1/calls/{items[0][id]}"),
        Refused("a call of another team", "/calls/0/team_id"),
    ),
    Route(
        "POST",
        "/v1/score",
        {"transcript": "Менеджер: Добрый день."},
        "ingest",
        Moot("a dry run stores nothing and reads no call, manager or team"),
        Moot("a dry run stores nothing and reads no call, manager or team"),
    ),
    Route("GET", "/v1/calls", None, "read", HIDDEN, HIDDEN),
    Route("GET", "/v1/calls/{call}", None, "read", MISSING, MISSING),
    Route("GET", "/v1/calls/{call}/utterances", None, "read", MISSING, MISSING),
    Route("GET", "/calls/{call}", None, "read", MISSING, MISSING),
    Route("GET", "/v1/managers", None, "read", HIDDEN, HIDDEN),
    Route("GET", "/v1/managers/{manager}/trends", None, "read", MISSING, MISSING),
    Route("GET", "/v1/managers/{manager}/report", None, "read", MISSING, MISSING),
    Route("GET", "/v1/teams/{team}/leaderboard", None, "read", MISSING, MISSING),
    Route("GET", "/v1/teams/{team}/report", None, "read", MISSING, MISSING),
    Route("GET", "/v1/violations/top", None, "read", HIDDEN, HIDDEN),
    Route("GET", "/v1/checklists", None, "read", HIDDEN, Moot(NOT_TEAM_DATA)),
    Route(
        "GET",
        "/v1/checklists/{checklist}",
        None,
        "read",
        MISSING,
        Moot(NOT_TEAM_DATA),
    ),
    Route(
        "GET",
        "/v1/checklists/{checklist}/versions",
        None,
        "read",
        MISSING,
        Moot(NOT_TEAM_DATA),
    ),
    Route("POST", "/v1/share", {"path": "/calls/{call}"}, "read", SHARED_MISSING, SHARED_MISSING),
    Route(
        "GET",
        "/v1/calibration?checklist=realty_phone&team_id={team}",
        None,
        "read",
        HIDDEN,
        HIDDEN,
        shows='"reviewed_calls":1,',
    ),
    Route(
        "POST",
        "/v1/calls/{call}/corrections",
        {"corrections": [CORRECTION]},
        "review",
        MISSING,
        MISSING,
    ),
    Route("DELETE", "/v1/calls/{call}/corrections/{correction}", None, "review", MISSING, MISSING),
    Route("POST", "/v1/calls/{call}/review", {}, "review", MISSING, MISSING),
    Route(
        "POST", "/calls/{call}/corrections", {"op": "review"}, "review", MISSING, MISSING, form=True
    ),
    Route(
        "POST", "/v1/checklists", CHECKLIST, "admin", Lands("GET", "/v1/checklists/{key}"), ORG_WIDE
    ),
    Route(
        "DELETE",
        "/v1/checklists/{checklist}/versions/{version}",
        None,
        "admin",
        MISSING,
        ORG_WIDE,
    ),
    Route(
        "PUT",
        "/v1/checklists/default",
        {"checklist": "realty_phone"},
        "admin",
        OWN_ASSIGNMENT,
        ORG_WIDE,
    ),
    Route(
        "PUT",
        "/v1/teams/{team}/checklist",
        {"checklist": "realty_phone"},
        "admin",
        OWN_ASSIGNMENT,
        Refused("a setting of another team", "team_id"),
    ),
    Route(
        "POST",
        "/v1/rescore",
        {"checklist": "realty_phone", "team_id": "{team}"},
        "admin",
        Lands("GET", "/v1/jobs/{job_id}"),
        Refused("another team's calls", "/team_id"),
    ),
    Route("GET", "/v1/jobs/{job}", None, "admin", MISSING, MISSING),
    Route("DELETE", "/v1/jobs/{job}", None, "admin", MISSING, MISSING),
    Route("GET", "/v1/keys", None, "admin", HIDDEN, HIDDEN),
    Route(
        "POST",
        "/v1/keys",
        {"scopes": ["read"], "teams": ["{team}"]},
        "admin",
        Lands("DELETE", "/v1/keys/{id}"),
        Refused("a key for another team"),
    ),
    Route("DELETE", "/v1/keys/{key}", None, "admin", MISSING, MISSING),
    Route("GET", "/v1/audit", None, "admin", HIDDEN, ORG_WIDE),
    Route(
        "POST",
        "/v1/webhooks",
        {"url": "https://93.184.216.34/new-hook", "events": ["call.scored"]},
        "admin",
        Lands("GET", "/v1/webhooks/{id}/deliveries"),
        ORG_WIDE,
    ),
    Route("GET", "/v1/webhooks", None, "admin", HIDDEN, ORG_WIDE),
    Route("PATCH", "/v1/webhooks/{webhook}", {"active": False}, "admin", MISSING, ORG_WIDE),
    Route("DELETE", "/v1/webhooks/{webhook}", None, "admin", MISSING, ORG_WIDE),
    Route("GET", "/v1/webhooks/{webhook}/deliveries", None, "admin", MISSING, ORG_WIDE),
    Route(
        "POST",
        "/v1/webhooks/{webhook}/deliveries/{delivery}/redeliver",
        {},
        "admin",
        MISSING,
        ORG_WIDE,
    ),
    Route("DELETE", "/v1/calls/{call}", None, "admin", MISSING, MISSING),
    Route("DELETE", "/v1/calls?external_id={external}", None, "admin", MISSING, MISSING),
]


def params(routes: list[Route] | None = None) -> list[Any]:
    """The routes as pytest parameters whose ids are the routes."""
    return [pytest.param(r, id=r.id) for r in routes or ROUTES]
