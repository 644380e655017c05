"""The question categories (and grade bands) a trend, report or leaderboard shows: the
checklist's own.

Nothing below reads a category by name: the keys, titles and colours come from the checklist
the figures are about, in the order it defines them, and `other` (questions no category
claimed) closes the list.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.engine import Checklist, EngineError, get_checklist
from app.engine.checklist import OTHER

log = logging.getLogger(__name__)

# Categories without a colour of their own take these, by their order in the checklist
# (reports and the call page alike); `other` is always grey.
PALETTE = ("#2563eb", "#db2777", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#65a30d", "#be123c")
OTHER_TITLE = "Прочие вопросы"
OTHER_COLOR = "#6b7280"


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    """How one question category is shown."""

    key: str
    title: str
    color: str

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "color": self.color}


@dataclass(frozen=True, slots=True)
class Categories:
    """A checklist's question categories, then `other`."""

    checklist: str | None
    shown: tuple[CategoryInfo, ...]
    # (green, yellow) thresholds of the checklist's grades, for the report's bands.
    grades: tuple[float, float] | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """The checklist's own category keys (summed from the roll-ups), without `other`."""
        return tuple(c.key for c in self.shown if c.key != OTHER)

    @property
    def all_keys(self) -> tuple[str, ...]:
        """Every key of `avg_questions`: the checklist's, then `other`."""
        return tuple(c.key for c in self.shown)

    def to_list(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self.shown]


_OTHER = CategoryInfo(OTHER, OTHER_TITLE, OTHER_COLOR)


def categories_of(checklist: str | None, rules: Checklist | None = None) -> Categories:
    """The categories of a checklist: of `rules` (the version an organisation stores) when
    given, else of the package's checklist of that key; only `other` for none, or for one that
    cannot be loaded (its calls' questions then all count as `other`, as they did when it was
    scored)."""
    if checklist is None:
        return Categories(None, (_OTHER,))
    if rules is None:
        return _packaged(checklist)
    return _of_rules(checklist, rules)


@lru_cache(maxsize=64)
def _packaged(checklist: str) -> Categories:
    try:
        rules = get_checklist(checklist)
    except EngineError:
        log.warning("checklist %r cannot be loaded: its questions show as %r", checklist, OTHER)
        return Categories(checklist, (_OTHER,))
    return _of_rules(checklist, rules)


def _of_rules(checklist: str, rules: Checklist) -> Categories:
    shown = tuple(
        CategoryInfo(key, c.title, c.color or PALETTE[i % len(PALETTE)])
        for i, (key, c) in enumerate(rules.categories.items())
    )
    grades = (rules.grades.green, rules.grades.yellow)
    return Categories(checklist, (*shown, _OTHER), grades)
