"""Reviewers' corrections applied to a score: pure, on the score's JSON contract.

A correction names its target as the machine found it (a question by utterance and span, a
violation by utterance and canonical phrase, an item by key) and the reviewer's answer. The
corrected score keeps the machine's answer beside each changed one (`machine_category`,
`machine_passed`, `added`; what was struck out goes to `dismissed`), and its items, total and
grade are recomputed with the checklist's own rules (the evaluators of app.engine.items), so a
question moved to another category counts toward that category's item. Corrections whose
target is not in a score (rescored under a version that no longer finds it) are left out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.engine.checklist import OTHER, Checklist
from app.engine.items import EVALUATORS, Analysis
from app.engine.result import Question, Violation
from app.engine.scoring import total_and_grade

Target = Literal["question", "violation", "item"]
NONE = "none"
"""The answer "no question" or "no violation"."""
_RECOUNTED = {"question": "question_count", "violation": "forbidden_phrases"}


@dataclass(frozen=True, slots=True)
class Correction:
    """One reviewer's answer about one target of a call."""

    target: Target
    utterance: int | None = None
    span: tuple[int, int] | None = None
    phrase: str | None = None
    item: str | None = None
    category: str | None = None
    valid: bool | None = None
    passed: bool | None = None


def _questions_at(score: dict[str, Any], utterance: int | None) -> list[dict[str, Any]]:
    return [q for q in score.get("questions", []) if q["utterance"] == utterance]


def _question_of(score: dict[str, Any], c: Correction) -> dict[str, Any] | None:
    """The machine's question a correction names: by span, or the utterance's only one."""
    found = _questions_at(score, c.utterance)
    if c.span is not None:
        return next((q for q in found if tuple(q["span"]) == c.span), None)
    return found[0] if len(found) == 1 else None


def _hits(score: dict[str, Any], c: Correction) -> list[dict[str, Any]]:
    return [
        v
        for v in score.get("violations", [])
        if v["utterance"] == c.utterance and v["phrase"] == c.phrase
    ]


def _item_of(score: dict[str, Any], key: str | None) -> dict[str, Any] | None:
    return next((i for i in score.get("items", []) if i["key"] == key), None)


def problems(
    score: dict[str, Any], checklist: Checklist, c: Correction, utterances: Collection[int]
) -> list[tuple[str, str]]:
    """Why a correction cannot apply to a score, as (field, reason); empty when it can."""
    if c.target == "item":
        if c.item is None or _item_of(score, c.item) is None:
            return [("item", f"no item {c.item!r} in the call's checklist")]
        return [] if c.passed is not None else [("passed", "an item correction needs passed")]
    if c.utterance is None:
        return [("utterance", f"a {c.target} correction needs utterance")]
    if c.utterance not in utterances:
        return [("utterance", f"no utterance {c.utterance} in the call")]
    if c.target == "question":
        return _question_problems(score, checklist, c)
    known = {p.phrase for p in checklist.forbidden_phrases}
    if c.phrase is None or c.phrase not in known:
        return [("phrase", f"{c.phrase!r} is not a forbidden phrase of the call's checklist")]
    if c.valid is None:
        return [("valid", "a violation correction needs valid")]
    if not c.valid and not _hits(score, c):
        return [("phrase", f"the phrase was not found in utterance {c.utterance}")]
    return []


def _question_problems(
    score: dict[str, Any], checklist: Checklist, c: Correction
) -> list[tuple[str, str]]:
    found = _questions_at(score, c.utterance)
    if c.span is not None and _question_of(score, c) is None:
        spans = ", ".join(str(q["span"]) for q in found) or "none"
        return [("span", f"no question at this span (questions of the utterance: {spans})")]
    if not found:
        return [("utterance", f"no question was found in utterance {c.utterance}")]
    if len(found) > 1 and c.span is None:
        return [("span", f"utterance {c.utterance} holds {len(found)} questions: give span")]
    if c.category is not None and c.category not in (*checklist.categories, OTHER):
        known = ", ".join((*checklist.categories, OTHER))
        return [("category", f"unknown category {c.category!r}; known: {known}")]
    if c.category is None and c.valid is None:
        return [("category", "a question correction needs category or valid")]
    return []


def machine_answer(score: dict[str, Any], c: Correction) -> tuple[str, str]:
    """What the machine answered about a correction's target, and on which words."""
    if c.target == "item":
        item = _item_of(score, c.item) or {}
        return ("passed" if item.get("passed") else "failed"), str(item.get("title", c.item))
    if c.target == "question":
        question = _question_of(score, c) or {}
        return str(question.get("category")), str(question.get("text", ""))
    hits = _hits(score, c)
    return ("violation", hits[0]["matched"]) if hits else (NONE, str(c.phrase))


def _applies(score: dict[str, Any], checklist: Checklist, c: Correction) -> bool:
    if c.target == "item":
        return c.passed is not None and _item_of(score, c.item) is not None
    if c.target == "question":
        return _question_of(score, c) is not None
    return c.valid is not None and (
        bool(_hits(score, c))
        or (c.valid and any(p.phrase == c.phrase for p in checklist.forbidden_phrases))
    )


def apply_corrections(
    score: dict[str, Any], checklist: Checklist, corrections: Sequence[Correction]
) -> tuple[dict[str, Any], list[bool]]:
    """The score with the corrections applied in order (a later one on the same target wins),
    and which of them applied."""
    applied = [_applies(score, checklist, c) for c in corrections]
    used = [c for c, ok in zip(corrections, applied, strict=True) if ok]
    if not used:
        return score, applied
    categories: dict[tuple[int, tuple[int, ...]], str | None] = {}
    verdicts: dict[tuple[int | None, str | None], bool] = {}
    passes: dict[str, bool] = {}
    for c in used:
        if c.target == "question":
            q = _question_of(score, c)
            assert q is not None
            keep = c.valid is not False
            categories[q["utterance"], tuple(q["span"])] = (
                (c.category or q["category"]) if keep else None
            )
        elif c.target == "violation":
            verdicts[c.utterance, c.phrase] = bool(c.valid)
        else:
            passes[str(c.item)] = bool(c.passed)
    questions, dismissed_q = _corrected_questions(score, categories)
    violations, dismissed_v = _corrected_violations(score, checklist, verdicts)
    counts = dict.fromkeys((*checklist.categories, OTHER), 0)
    for q in questions:
        counts[q["category"]] = counts.get(q["category"], 0) + 1
    recount = {kind for target, kind in _RECOUNTED.items() if any(c.target == target for c in used)}
    items = _corrected_items(score, checklist, questions, violations, recount, passes)
    total, grade = total_and_grade([i["points"] for i in items], checklist)
    corrected = {
        **score,
        "total": total,
        "grade": grade,
        "items": items,
        "questions": questions,
        "question_counts": counts,
        "violations": violations,
        "dismissed": {"questions": dismissed_q, "violations": dismissed_v},
    }
    return corrected, applied


def _corrected_questions(
    score: dict[str, Any], categories: dict[tuple[int, tuple[int, ...]], str | None]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    kept, dismissed = [], []
    for q in score.get("questions", []):
        key = (q["utterance"], tuple(q["span"]))
        if key not in categories:
            kept.append(q)
        elif categories[key] is None:
            dismissed.append(q)
        elif categories[key] != q["category"]:
            kept.append({**q, "category": categories[key], "machine_category": q["category"]})
        else:
            kept.append(q)
    return kept, dismissed


def _corrected_violations(
    score: dict[str, Any], checklist: Checklist, verdicts: dict[tuple[int | None, str | None], bool]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    kept: list[dict[str, Any]] = []
    dismissed: list[dict[str, Any]] = []
    for v in score.get("violations", []):
        (kept if verdicts.get((v["utterance"], v["phrase"]), True) else dismissed).append(v)
    found = {(v["utterance"], v["phrase"]) for v in score.get("violations", [])}
    replacements = {p.phrase: p.replacement for p in checklist.forbidden_phrases}
    for (utterance, phrase), valid in verdicts.items():
        if valid and (utterance, phrase) not in found:
            kept.append(
                {
                    "utterance": utterance,
                    "phrase": phrase,
                    "matched": phrase,
                    "replacement": replacements[str(phrase)],
                    "start": None,
                    "end": None,
                    "added": True,
                }
            )
    kept.sort(key=lambda v: int(v["utterance"]))
    return kept, dismissed


def _corrected_items(
    score: dict[str, Any],
    checklist: Checklist,
    questions: list[dict[str, Any]],
    violations: list[dict[str, Any]],
    recount: set[str],
    passes: dict[str, bool],
) -> list[dict[str, Any]]:
    """Items recounted by the checklist's evaluators from the corrected questions and
    violations; then the reviewers' pass or fail, full points or none."""
    analysis = Analysis(
        turns=(),
        manager_turns=(),
        manager="",
        questions=[
            Question(q["utterance"], q["text"], q["category"], tuple(q["span"]), q.get("start"))
            for q in questions
        ],
        violations=[
            Violation(v["utterance"], v["phrase"], v["matched"], v["replacement"], v.get("start"))
            for v in violations
        ],
        prices=(),
        metrics={},
    )
    rules = {i.key: i for i in checklist.items}
    items = []
    for machine in score.get("items", []):
        item = dict(machine)
        rule = rules.get(item["key"])
        if rule is not None and rule.kind in recount:
            item = EVALUATORS[rule.kind](rule, analysis).to_dict()
        passed = passes.get(item["key"], item["passed"])
        if passed != item["passed"]:
            item |= {"passed": passed, "points": item["max_points"] if passed else 0.0}
        if passed != machine["passed"]:
            item["machine_passed"] = machine["passed"]
        items.append(item)
    return items
