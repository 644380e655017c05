"""The forbidden phrases said most, with the replacement a trainer wants and real examples.

A window of whole local days of the day roll-ups' zone is counted from the phrase hits per
month and day (a year of all teams is ~17,000 month rows, not a join of a million calls with
their hits), and the newest calls of each phrase are found among those of the managers and
days its day rows name. Any other window is counted from the calls and the hits of their
scores. Either way the utterance texts are then fetched for the handful of (call, phrase) pairs
shown, and the answer is the same. Every count and example is of the scope's series: the
scores under its version, or each call's latest score (a call rescored since its ingest shows
the hits, words and replacements of its new score).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from app.db import call_stats
from app.db.scope import Scope
from app.db.trends import day_zone
from app.services.records import with_offset
from app.services.retention import REMOVED_NOTE
from app.services.trends import (
    Bound,
    require_version,
    resolve_window,
    rollup_scope,
    series_echo,
    window_echo,
)
from app.tenancy import LOCAL, Tenant

MANAGERS_PER_PHRASE = 10


def call_link(call_id: int) -> str:
    """Where the API serves a call with its transcript and evidence."""
    return f"/v1/calls/{call_id}"


def _example(hit: Any) -> dict[str, Any]:
    removed = hit.transcript_removed_at is not None  # the words went with the retention period
    return {
        "call_id": hit.call_id,
        "link": call_link(hit.call_id),
        "utterance": hit.utterance,
        "text": REMOVED_NOTE if removed else hit.utterance_text,
        "matched": hit.matched,
        "started_at": with_offset(hit.started_at, hit.started_at_offset_min),
    }


def _picked(calls: list[tuple[int, int]], newest: int) -> list[int]:
    """The calls `top_phrases` would pick from (call id, hits), newest first: it takes the first
    2 x `newest` hits, a call once per hit, so a call whose first hit lies beyond them is not
    shown even if fewer than `newest` calls were."""
    picked, seen = [], 0
    for call_id, hits in calls[:newest]:
        if seen >= 2 * newest:
            break
        picked.append(call_id)
        seen += hits
    return picked


def phrase_stats(
    session: Session, scope: Scope, *, limit: int, examples: int = 0, managers: bool = False
) -> list[dict[str, Any]]:
    """Phrase, replacement and count, most said first; with `examples` that many utterances
    from the newest different calls, with `managers` who said it how often."""
    newest = max(examples, 1)
    who: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if scope.days is None:
        top = call_stats.top_phrases(session, scope, limit=limit, newest=newest)
        picks = {r.phrase: list(dict.fromkeys(r.newest))[:newest] for r in top}
        if managers:
            for row in call_stats.phrase_managers(session, scope, list(picks)):
                if len(who[row.phrase]) < MANAGERS_PER_PHRASE:
                    who[row.phrase].append({"manager_id": row.manager_id, "count": int(row.said)})
    else:
        top = call_stats.top_phrases_of_rollups(
            session, scope, limit=limit, per_phrase=MANAGERS_PER_PHRASE
        )
        calls = call_stats.newest_calls(session, scope, [r.phrase for r in top], newest=newest)
        picks = {phrase: _picked(found, newest) for phrase, found in calls.items()}
        if managers:
            for r in top:
                said = zip(r.who, r.who_said, strict=True)
                who[r.phrase] = [{"manager_id": m, "count": int(n)} for m, n in said]
    pairs = [(call_id, phrase) for phrase, ids in picks.items() for call_id in ids]
    found_hits = call_stats.phrase_hits(session, scope, pairs)
    hits = {(h.call_id, h.phrase): h for h in found_hits}
    out = []
    for r in top:
        found = [hits[(i, r.phrase)] for i in picks[r.phrase] if (i, r.phrase) in hits]
        entry: dict[str, Any] = {
            "phrase": r.phrase,
            "replacement": found[0].replacement if found else None,
            "count": int(r.said),
        }
        if managers:
            entry["manager_count"] = int(r.managers)
            entry["managers"] = who[r.phrase]
        if examples:
            entry["examples"] = [_example(h) for h in found[:examples]]
        out.append(entry)
    return out


def top_violations(
    session: Session,
    *,
    team_id: str | None = None,
    manager_id: str | None = None,
    start: Bound = None,
    end: Bound = None,
    limit: int = 10,
    checklist: str | None = None,
    version: str | None = None,
    tz: str | None = None,
    default_tz: str = "UTC",
    tenant: Tenant = LOCAL,
) -> dict[str, Any]:
    """Forbidden phrases said most in the window, optionally for one team or manager: from the
    phrase hits per month and day for whole days of the day roll-ups' zone, else from calls."""
    win = resolve_window(start, end, tz, default_tz)
    require_version(session, checklist, version, tenant)
    scope = rollup_scope(
        win, day_zone(session), manager_id, team_id, checklist, version, tenant=tenant
    )
    return {
        "team_id": team_id,
        "manager_id": manager_id,
        "checklist": checklist,
        **series_echo(session, scope),
        **window_echo(win),
        "phrases": phrase_stats(session, scope, limit=limit, managers=True),
    }
