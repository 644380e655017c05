"""Calibration: the machine's answers against the reviewers' on reviewed calls, per question
category and per item, so a company learns whether to trust the numbers.

Each machine question of a reviewed call is one case per category (was it of that category,
by the machine and after correction: a question moved elsewhere is a miss of its new
category; one that is no question, a false hit of its old one); each item of a reviewed call
is one case (passed or not). The database counts (app.db.corrections: the reviews' answers
and the corrections, grouped); the confusion tables and their figures are computed
here from those few rows.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from sqlalchemy.orm import Session

from app import i18n
from app.db import corrections as db
from app.engine.checklist import OTHER
from app.engine.corrections import NONE
from app.i18n import N_, _
from app.services import checklists
from app.services.call_page import categories_of, templates
from app.services.periods import parse_moment
from app.services.report_format import num
from app.tenancy import LOCAL, Tenant

TOP_CORRECTIONS = 10


@dataclass(frozen=True, slots=True)
class Agreement:
    """A two-by-two table of machine (rows) against reviewers (columns), positive first."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def figures(self) -> dict[str, Any]:
        """Counts, precision, recall, observed agreement and Cohen's kappa (None: undefined)."""
        tp, fp, fn, tn, n = self.tp, self.fp, self.fn, self.tn, self.n
        observed = (tp + tn) / n if n else None
        chance = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / n**2 if n else None
        kappa = (
            (observed - chance) / (1 - chance)
            if observed is not None and chance is not None and chance < 1
            else None
        )
        return {
            "machine": tp + fp,
            "corrected": tp + fn,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
            "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None,
            "agreement": observed,
            "kappa": kappa,
        }


def category_agreement(
    machine: Counter[str], moved: Counter[tuple[str, str]], key: str
) -> Agreement:
    """One category's table over all machine questions: `machine` counts them by category,
    `moved` counts (machine category, corrected category or 'none') where they differ."""
    out = sum(n for (m, h), n in moved.items() if m == key)
    into = sum(n for (m, h), n in moved.items() if h == key)
    tp = machine[key] - out
    total = sum(machine.values())
    return Agreement(tp=tp, fp=out, fn=into, tn=total - tp - out - into)


def report(
    session: Session,
    checklist: str,
    *,
    start: str | None = None,
    end: str | None = None,
    team_id: str | None = None,
    zone: ZoneInfo = ZoneInfo("UTC"),
    tenant: Tenant = LOCAL,
) -> dict[str, Any]:
    """The calibration of a checklist over the calls reviewed that started in [from, to)
    (dates are whole local days of `zone`), of one team or all."""
    begin = parse_moment(start, zone, parameter="from", end=False)
    until = parse_moment(end, zone, parameter="to", end=True)
    rules = checklists.of_call(session, checklist, "", tenant)  # its latest version
    categories = categories_of(rules, set())
    items = {i.key: i.title for i in rules.items} if rules else {}
    tally, corrections = db.calibration_tally(
        session, tenant, checklist, start=begin, end=until, team_id=team_id
    )
    calls = 0
    machine: Counter[str] = Counter()
    verdicts: dict[str, Counter[tuple[bool, bool]]] = defaultdict(Counter)
    for shape in tally:
        calls += shape.reviews
        for key, count in zip(shape.categories, shape.questions, strict=False):
            machine[key] += count
        for at, key in enumerate(shape.items):
            tp, fp, fn = shape.verdicts[3 * at : 3 * at + 3]
            table = verdicts[key]
            table[True, True] += tp
            table[True, False] += fp
            table[False, True] += fn
            table[False, False] += shape.reviews - tp - fp - fn
    moved: Counter[tuple[str, str]] = Counter()
    top: list[dict[str, Any]] = []
    violations = {"dismissed": 0, "added": 0}
    for target, m, answer, words, n in corrections:
        if m == answer:
            continue
        top.append(
            {"target": target, "machine": m, "corrected": answer, "words": words, "count": n}
        )
        if target == "question":
            moved[m, answer] += n
        elif target == "violation":
            violations["added" if m == NONE else "dismissed"] += n
    top.sort(key=lambda c: (-c["count"], c["target"], c["words"] or ""))
    return {
        "checklist": checklist,
        "checklist_title": rules.title if rules else checklist,
        "from": begin,
        "to": until,
        "team_id": team_id,
        "reviewed_calls": calls,
        "categories": [
            {"key": c.key, "title": c.title, **category_agreement(machine, moved, c.key).figures()}
            for c in categories.values()
        ],
        "items": [
            {"key": key, "title": title, **_item(verdicts[key]).figures()}
            for key, title in items.items()
            if key in verdicts
        ],
        "violations": violations,
        "top_corrections": top[:TOP_CORRECTIONS],
    }


def _item(table: Counter[tuple[bool, bool]]) -> Agreement:
    """An item's table: passed is positive."""
    return Agreement(
        tp=table[True, True], fp=table[True, False], fn=table[False, True], tn=table[False, False]
    )


_CSV_COLUMNS = (
    *("kind", "key", "title", "machine", "corrected", "tp", "fp", "fn", "tn"),
    *("precision", "recall", "agreement", "kappa"),
)


def to_csv(found: dict[str, Any]) -> str:
    """One row per category and per item."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for kind, rows in (("category", found["categories"]), ("item", found["items"])):
        for row in rows:
            values = {"kind": kind, **row}
            writer.writerow(["" if values[c] is None else values[c] for c in _CSV_COLUMNS])
    return out.getvalue()


_ANSWERS = {
    NONE: N_("none"),
    "violation": N_("violation"),
    "passed": N_("passed"),
    "failed": N_("failed"),
}
_TARGETS = {"question": N_("question"), "violation": N_("forbidden phrase"), "item": N_("item")}


@lru_cache(maxsize=1)
def _templates() -> Environment:
    """The package's templates with gettext (jinja2.ext.i18n) worded in the current language
    at each render, so one environment serves every request's Accept-Language."""
    env = templates().overlay(extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda text: i18n.translations(i18n.current()).gettext(text),
        ngettext=lambda one, many, n: i18n.translations(i18n.current()).ngettext(one, many, n),
        newstyle=True,
    )
    return env


def to_html(found: dict[str, Any]) -> str:
    """The calibration page in the current language (no script, no fetched asset)."""
    titles: dict[str, str] = {c["key"]: c["title"] for c in found["categories"]}

    def answer(value: str | None) -> str:
        if value in _ANSWERS:
            return _(_ANSWERS[value])
        return titles.get(value or "", value or "—")

    def title(row: dict[str, Any]) -> str:
        """A row's title; the questions no category claimed are named by callqa, not data."""
        return _("Other questions") if row["key"] == OTHER else str(row["title"])

    def share(value: float | None) -> str:
        return "—" if value is None else _("%(share)s %%", share=num(100 * value, 1))

    page: str = (
        _templates()
        .get_template("calibration.html")
        .render(
            found=found,
            lang=i18n.current(),
            num=num,
            day=i18n.day,
            share=share,
            answer=answer,
            title=title,
            target=lambda t: _(_TARGETS[t]) if t in _TARGETS else t,
        )
    )
    return page
