"""Reviewers correct a call: corrections stored beside the machine's answers, the score shown
with them applied, the roll-ups moved from the old corrected score to the new one, and the
call marked reviewed for calibration.

Corrections are kept apart from any score version and applied when a score is read
(`engine.corrections.apply_corrections`), so a rescoring under a new checklist version keeps
them wherever the same utterance and target are found again (`applied: false` elsewhere).
The roll-ups hold every score of a call as its page shows it, corrected (`held_score`): each
version's series its score under that version, the latest series its latest score under each
checklist. So corrections move every series that holds the call, a rescoring replaces the
corrected latest score with the corrected new one, and an erasure takes out what is held.

The call page's plain HTML forms (app.api.routers.review_forms, offered only through a review
share link) use these same functions, as the key that made the link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from app.db import call_writes
from app.db import calls as repo
from app.db import corrections as db
from app.db.call_writes import RollupDelta
from app.db.models import CallCorrection
from app.engine import Checklist
from app.engine.corrections import Correction, apply_corrections, machine_answer, problems
from app.i18n import _
from app.services import checklists
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.records import score_delta
from app.tenancy import LOCAL, Tenant


@dataclass(frozen=True, slots=True)
class NewCorrection:
    """A correction as a reviewer sends it, with its note."""

    correction: Correction
    note: str | None = None


def _rules(session: Session, key: str, version: str, organisation_id: str) -> Checklist:
    """The rules a call of the organisation was scored with (its own version or a built-in)."""
    rules = checklists.of_call(session, key, version, Tenant(organisation_id))
    if rules is None:
        raise Conflict(
            _(
                "the call's checklist %(key)r is not stored here: it cannot be corrected",
                key=key,
            )
        )
    return rules


def _engine(row: CallCorrection) -> Correction:
    span = (row.span[0], row.span[1]) if row.span else None
    return Correction(
        row.target,  # type: ignore[arg-type]  # the table's CHECK keeps it one of the three
        utterance=row.utterance,
        span=span,
        phrase=row.phrase,
        item=row.item,
        category=row.category,
        valid=row.valid,
        passed=row.passed,
    )


def _shown(session: Session, call: Any) -> tuple[dict[str, Any], Checklist]:
    """The score a call shows (its newest version's, maybe of another checklist) and its
    rules."""
    scores = repo.get_scores(session, call.id, Tenant(call.organisation_id))
    latest = scores[-1] if scores else None
    shown = call.score if latest is None or latest.score is None else latest.score
    checklist = shown["checklist"]
    return shown, _rules(session, checklist["key"], str(checklist["version"]), call.organisation_id)


def _author(tenant: Tenant) -> str:
    return "local" if tenant.key_id is None else f"key:{tenant.key_id}"


def _out(row: CallCorrection, applied: bool) -> dict[str, Any]:
    fields = ("utterance", "span", "phrase", "item", "category", "valid", "passed", "note")
    body = {"id": row.id, "target": row.target}
    body |= {f: getattr(row, f) for f in fields if getattr(row, f) is not None}
    return body | {"author": row.author, "created_at": row.created_at, "applied": applied}


def corrected(
    session: Session, call_id: int, score: dict[str, Any], tenant: Tenant = LOCAL
) -> dict[str, Any]:
    """A score with the call's corrections applied: `score` (corrected), `machine_score` (as
    computed) and `corrections[]` (each with whether it applies to this score)."""
    rows = db.list_corrections(session, tenant.organisation_id, call_id)
    if not rows:
        return {"score": score, "machine_score": score, "corrections": []}
    checklist = score["checklist"]
    rules = checklists.of_call(session, checklist["key"], str(checklist["version"]), tenant)
    if rules is None:  # a checklist never stored here: its rules cannot recompute the score
        fixed, applied = score, [False] * len(rows)
    else:
        fixed, applied = apply_corrections(score, rules, [_engine(r) for r in rows])
    return {
        "score": fixed,
        "machine_score": score,
        "corrections": [_out(r, ok) for r, ok in zip(rows, applied, strict=True)],
    }


def _lock(session: Session, call_id: int, tenant: Tenant) -> Any:
    call = db.lock_call(session, call_id, tenant)
    if call is None:
        raise NotFound(_("no call with id %(call)s", call=call_id))
    return call


def held_score(
    session: Session, organisation_id: str, score: dict[str, Any], rows: Sequence[CallCorrection]
) -> dict[str, Any]:
    """What the roll-ups hold of one of a call's scores (any version): the score with the
    call's corrections `rows` applied, as the call's page shows it; the score as computed
    when there are none, or no rules of its version to apply them with."""
    if not rows:
        return score
    checklist = score["checklist"]
    tenant = Tenant(organisation_id)
    rules = checklists.of_call(session, checklist["key"], str(checklist["version"]), tenant)
    if rules is None:
        return score
    return apply_corrections(score, rules, [_engine(r) for r in rows])[0]


def _move_rollups(
    session: Session, call: Any, before: Sequence[CallCorrection], after: Sequence[CallCorrection]
) -> None:
    """Move each score of the call from its held form with the corrections `before` to the one
    with `after`: in its version's series, and in the latest series for the latest score under
    each checklist. Its stored phrase hits (`call_violation`, what reads of windows that are
    not whole days, examples and a rebuild of the day roll-ups count) follow its ingest score's
    violations, corrected."""
    org = call.organisation_id
    at = (call.manager_id, call.team_id, call.started_at, org)
    moved: list[RollupDelta] = []
    latest: dict[str, tuple[RollupDelta, RollupDelta]] = {}
    for stored in repo.get_scores(session, call.id, Tenant(org)):  # the last of a key: latest
        score = call.score if stored.score is None else stored.score
        old, new = (score_delta(held_score(session, org, score, r), *at) for r in (before, after))
        latest[stored.checklist_key] = (old, new)
        if old != new:
            moved += [old.negated(), new]
    for old, new in latest.values():
        if old != new:
            moved += [replace(old.negated(), latest=True), replace(new, latest=True)]
    call_writes.add_to_rollups(session, moved)
    hits = [held_score(session, org, call.score, r)["violations"] for r in (before, after)]
    if hits[0] != hits[1]:
        db.set_hits(session, org, call.id, hits[1])


def _review(
    session: Session, call: Any, rows: Sequence[CallCorrection], tenant: Tenant
) -> dict[str, Any]:
    """Mark the call reviewed with its shown score's items as the machine and as corrected."""
    shown, rules = _shown(session, call)
    fixed, _changes = apply_corrections(shown, rules, [_engine(r) for r in rows])
    review = db.save_review(
        session,
        {
            "organisation_id": tenant.organisation_id,
            "call_id": call.id,
            "reviewer": _author(tenant),
            "checklist_key": rules.key,
            "team_id": call.team_id,
            "started_at": call.started_at,
            **answers(shown, fixed),
        },
    )
    return {"call_id": call.id, "reviewer": review.reviewer, "reviewed_at": review.reviewed_at}


MAX_ITEMS = 63
"""Items of a checklist calibration counts (bits of a bigint); any further ones are left out."""


def answers(machine: dict[str, Any], fixed: dict[str, Any]) -> dict[str, Any]:
    """A review's answers as calibration sums them: the machine's question counts aligned to
    `categories`, and its items' verdicts as bits aligned to `items`, by the machine
    (`machine_passed`) and as corrected (`passed`)."""
    counts = sorted(machine["question_counts"].items())
    corrected = {i["key"]: i["passed"] for i in fixed["items"]}
    items = sorted(machine["items"], key=lambda i: str(i["key"]))[:MAX_ITEMS]
    return {
        "categories": " ".join(key for key, _ in counts),
        "question_counts": [int(n) for _, n in counts],
        "items": " ".join(i["key"] for i in items),
        "machine_passed": sum(1 << n for n, i in enumerate(items) if i["passed"]),
        "passed": sum(1 << n for n, i in enumerate(items) if corrected.get(i["key"], i["passed"])),
    }


def add(
    session: Session, call_id: int, wanted: Sequence[NewCorrection], tenant: Tenant = LOCAL
) -> dict[str, Any]:
    """Store corrections of a call's shown score (InvalidInput naming each field that cannot
    apply; one about a target corrected before replaces that one), move its roll-ups and mark
    it reviewed; the corrections stored and the score."""
    call = _lock(session, call_id, tenant)
    shown, rules = _shown(session, call)
    indexes = set(call.indexes)
    errors = [
        {"pointer": f"/corrections/{n}/{field}", "reason": reason}
        for n, w in enumerate(wanted)
        for field, reason in problems(shown, rules, w.correction, indexes)
    ]
    if errors:
        raise InvalidInput(_("some corrections cannot apply to this call"), errors=errors)  # type: ignore[arg-type]
    before = db.list_corrections(session, tenant.organisation_id, call_id)
    rows = [_row(shown, w, call_id, tenant) for w in wanted]
    targets = {_target(r) for r in rows}
    replaced = [r.id for r in before if _target(r) in targets]
    if replaced:
        db.delete_corrections(session, tenant.organisation_id, call_id, replaced)
    added = db.add_corrections(session, list({_target(r): r for r in rows}.values()))
    after = [*(r for r in before if r.id not in replaced), *added]
    _move_rollups(session, call, before, after)
    _review(session, call, after, tenant)
    view = corrected(session, call_id, shown, tenant)
    return {
        "call_id": call_id,
        "corrections": [_out(r, True) for r in added],
        "total": view["score"]["total"],
        "grade": view["score"]["grade"],
    }


def _target(row: CallCorrection | dict[str, Any]) -> tuple[Any, ...]:
    """What a correction is about: a new one about the same target replaces the old one."""
    get = row.get if isinstance(row, dict) else partial(getattr, row)
    span = get("span")
    fields = (get("target"), get("utterance"), tuple(span) if span else None)
    return (*fields, get("phrase"), get("item"))


def _row(shown: dict[str, Any], w: NewCorrection, call_id: int, tenant: Tenant) -> dict[str, Any]:
    """The stored row: a question's span filled in (one row per target whichever way it was
    named), and the machine's answer and words kept for calibration."""
    c = w.correction
    span = c.span
    if c.target == "question" and span is None:
        span = next(tuple(q["span"]) for q in shown["questions"] if q["utterance"] == c.utterance)
    machine, words = machine_answer(shown, c)
    return {
        "organisation_id": tenant.organisation_id,
        "call_id": call_id,
        "target": c.target,
        "utterance": None if c.target == "item" else c.utterance,
        "span": list(span) if span else None,
        "phrase": c.phrase,
        "item": c.item,
        "category": c.category,
        "valid": c.valid,
        "passed": c.passed,
        "note": w.note,
        "machine": machine,
        "words": words,
        "author": _author(tenant),
    }


def remove(session: Session, call_id: int, correction_id: int, tenant: Tenant = LOCAL) -> None:
    """Undo one correction: the roll-ups and the review follow; NotFound if there is none."""
    call = _lock(session, call_id, tenant)
    before = db.list_corrections(session, tenant.organisation_id, call_id)
    if not db.delete_corrections(session, tenant.organisation_id, call_id, [correction_id]):
        raise NotFound(
            _(
                "call %(call)s has no correction %(correction)s",
                call=call_id,
                correction=correction_id,
            )
        )
    after = [r for r in before if r.id != correction_id]
    _move_rollups(session, call, before, after)
    _review(session, call, after, tenant)


def review(session: Session, call_id: int, tenant: Tenant = LOCAL) -> dict[str, Any]:
    """Mark a call reviewed (nothing to correct, or its corrections done), so calibration
    also counts the calls the machine got right."""
    call = _lock(session, call_id, tenant)
    return _review(
        session, call, db.list_corrections(session, tenant.organisation_id, call_id), tenant
    )
