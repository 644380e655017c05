"""The forbidden phrases said most, with the replacement a trainer wants and real examples.

Counting reads only the covering call and call_violation indexes; the utterance texts are then
fetched for the handful of (call, phrase) pairs shown, so a year of a manager's calls costs
one index pass and a few lookups.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from app.db import call_stats
from app.db.scope import Scope
from app.services.records import with_offset
from app.services.trends import Bound, resolve_window, window_echo

MANAGERS_PER_PHRASE = 10


def call_link(call_id: int) -> str:
    """Where the API serves a call with its transcript and evidence."""
    return f"/v1/calls/{call_id}"


def _example(hit: Any) -> dict[str, Any]:
    return {
        "call_id": hit.call_id,
        "link": call_link(hit.call_id),
        "utterance": hit.utterance,
        "text": hit.utterance_text,
        "matched": hit.matched,
        "started_at": with_offset(hit.started_at, hit.started_at_offset_min),
    }


def phrase_stats(
    session: Session, scope: Scope, *, limit: int, examples: int = 0, managers: bool = False
) -> list[dict[str, Any]]:
    """Phrase, replacement and count, most said first; with `examples` that many utterances
    from the newest different calls, with `managers` who said it how often."""
    top = call_stats.top_phrases(session, scope, limit=limit, newest=max(examples, 1))
    picks = {r.phrase: list(dict.fromkeys(r.newest))[: max(examples, 1)] for r in top}
    pairs = [(call_id, phrase) for phrase, ids in picks.items() for call_id in ids]
    hits = {(h.call_id, h.phrase): h for h in call_stats.phrase_hits(session, pairs)}
    who: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if managers:
        for row in call_stats.phrase_managers(session, scope, list(picks)):
            if len(who[row.phrase]) < MANAGERS_PER_PHRASE:
                who[row.phrase].append({"manager_id": row.manager_id, "count": int(row.said)})
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
    tz: str | None = None,
    default_tz: str = "UTC",
) -> dict[str, Any]:
    """Forbidden phrases said most in the window, optionally for one team or manager."""
    win = resolve_window(start, end, tz, default_tz)
    scope = Scope(win.start, win.end, manager_id=manager_id, team_id=team_id)
    return {
        "team_id": team_id,
        "manager_id": manager_id,
        **window_echo(win),
        "phrases": phrase_stats(session, scope, limit=limit, managers=True),
    }
