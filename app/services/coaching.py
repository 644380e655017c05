"""Coaching beyond phrases: the question categories furthest below the checklist's targets,
each with model questions from the manager's own best calls (else the team's best), and the
items passed least often.

Targets are the checklist's `question_count` items (category, target questions per call): the
data says what "enough" is, nothing here knows a category by name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from app.db import coaching as q
from app.db.scope import Scope
from app.engine import EngineError, get_checklist
from app.engine.checklist import QuestionCountItem
from app.services.categories import Categories
from app.services.phrases import call_link
from app.services.records import with_offset
from app.services.trends import Sums, rounded

log = logging.getLogger(__name__)
WEAKEST = 3
MODEL_QUESTIONS = 3
WEAK_ITEM_RATE = 0.8
"""Items passed in fewer calls than this share are named for training."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checklist item that asks for `target` questions of `category` per call."""

    item: str
    title: str
    category: str
    target: int


@lru_cache(maxsize=64)
def targets_of(checklist: str | None) -> tuple[Target, ...]:
    """The question targets of a built-in checklist, in its order; none if it has none or
    cannot be loaded (the report then coaches phrases and items only)."""
    if checklist is None:
        return ()
    try:
        rules = get_checklist(checklist)
    except EngineError:
        log.warning("checklist %r cannot be loaded: no question targets", checklist)
        return ()
    return tuple(
        Target(i.key, i.title, i.category, i.target)
        for i in rules.items
        if isinstance(i, QuestionCountItem)
    )


def with_targets(items: list[dict[str, Any]], sums: Sums, checklist: str | None) -> None:
    """Add `category`, `target` and `average` (questions per call) to question-count items, so
    a chart can show progress toward the target, not only how often it was met."""
    by_item = {t.item: t for t in targets_of(checklist)}
    for entry in items:
        target = by_item.get(entry["key"])
        entry["category"] = target.category if target else None
        entry["target"] = target.target if target else None
        average = sums.mean(sums.questions.get(target.category, 0)) if target else None
        entry["average"] = rounded(average)


def _examples(session: Session, scope: Scope, category: str) -> list[dict[str, Any]]:
    """Distinct questions of a category, from the scope's best calls first."""
    rows = q.model_questions(session, scope, category, limit=10 * MODEL_QUESTIONS)
    seen: set[str] = set()
    out = []
    for row in rows:
        said = row.text.strip().lower()
        if said in seen:
            continue
        seen.add(said)
        out.append(
            {
                "call_id": row.call_id,
                "link": call_link(row.call_id),
                "utterance": row.utterance,
                "text": row.text,
                "total": row.total,
                "started_at": with_offset(row.started_at, row.started_at_offset_min),
            }
        )
        if len(out) == MODEL_QUESTIONS:
            break
    return out


def weak_categories(
    session: Session, scope: Scope, sums: Sums, categories: Categories
) -> list[dict[str, Any]]:
    """The categories asked least against their targets (per call, below target only), each
    with model questions from the manager's best calls, else from the team's best."""
    if not sums.calls or scope.manager_id is None:
        return []
    shown = {c.key: c for c in categories.shown}
    below = []
    for t in targets_of(categories.checklist):
        average = sums.questions.get(t.category, 0) / sums.calls
        if average < t.target and t.category in shown:
            below.append((average / t.target, average, t))
    below.sort(key=lambda e: (e[0], e[2].item))
    team: str | None = None
    out = []
    for _, average, t in below[:WEAKEST]:
        examples, source = _examples(session, scope, t.category), "manager"
        if not examples:
            team = team or q.manager_team(session, scope.organisation_id, scope.manager_id)
            if team is not None:
                # The same window, series and tenant: only the manager's team instead.
                team_scope = replace(scope, manager_id=None, team_id=team)
                examples, source = _examples(session, team_scope, t.category), "team"
        out.append(
            {
                **shown[t.category].to_dict(),
                "item": t.item,
                "average": round(average, 2),
                "target": t.target,
                "model_questions": examples,
                "model_source": source if examples else None,
            }
        )
    return out


def weak_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items without a question target passed least often (below WEAK_ITEM_RATE)."""
    weak = [
        {k: i[k] for k in ("key", "title", "passed", "calls", "rate")}
        for i in items
        if i.get("target") is None and i["rate"] is not None and i["rate"] < WEAK_ITEM_RATE
    ]
    return sorted(weak, key=lambda i: (i["rate"], i["key"]))[:WEAKEST]
