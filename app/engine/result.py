"""What scoring returns: every point with its evidence, and the contract JSON.

The many small records (evidence, questions, violations) are named tuples: immutable like
the frozen dataclasses around them, and several times faster to build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

from app.engine.messages import Message
from app.engine.model import Transcript


class Evidence(NamedTuple):
    """Why a point was given or taken: the utterance, the words as spoken, the time."""

    utterance: int
    text: str
    start: float | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"utterance": self.utterance, "text": self.text, "start": self.start}
        if self.note is not None:
            data["note"] = self.note
        return data


class Question(NamedTuple):
    """A question the manager asked; `span` is [start, end) of its characters in the text of
    its utterance, so that two questions of one utterance are told apart."""

    utterance: int
    text: str
    category: str
    span: tuple[int, int]
    start: float | None = None


# Built from all their fields in one C call, where a call makes one a question: a named
# tuple's own constructor is a Python function.
new_evidence: Callable[[tuple[int, str, float | None, str | None]], Evidence] = partial(
    tuple.__new__, Evidence
)
new_question: Callable[[tuple[int, str, str, tuple[int, int], float | None]], Question] = partial(
    tuple.__new__, Question
)


class Violation(NamedTuple):
    utterance: int
    phrase: str
    matched: str
    replacement: str
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True, slots=True)
class ItemResult:
    key: str
    title: str
    points: float
    max_points: float
    passed: bool
    evidence: tuple[Evidence, ...] = ()
    detail: str = ""
    # `detail` as codes and parameters, for the services to word in the reader's language.
    detail_parts: tuple[Message, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "points": self.points,
            "max_points": self.max_points,
            "passed": self.passed,
            "detail": self.detail,
            "detail_parts": [m.to_dict() for m in self.detail_parts],
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class ManagerChoice:
    """Whose speech is scored. `weak`: inferred without any greeting cue (who asks more,
    who speaks first), so the choice may be wrong."""

    speaker: str
    inferred: bool
    reason: str
    weak: bool = False
    reason_parts: tuple[Message, ...] = ()


class Caveat(NamedTuple):
    """Why a score may mislead (`code` for programs, `message` for people), in `warnings`."""

    code: str
    message: str
    # What the message names (speaker, reason, language, share), for wording it elsewhere.
    params: dict[str, Any] = {}  # noqa: RUF012 - never mutated; a NamedTuple field default


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """A scored call. `to_dict()` is the JSON contract of `callqa score --json`."""

    total: float
    grade: str
    checklist_key: str
    checklist_version: str
    manager: ManagerChoice
    items: tuple[ItemResult, ...]
    questions: tuple[Question, ...]
    question_counts: dict[str, int]
    violations: tuple[Violation, ...]
    metrics: dict[str, Any]
    warnings: tuple[Caveat, ...]
    transcript: Transcript = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "grade": self.grade,
            "checklist": {"key": self.checklist_key, "version": self.checklist_version},
            "format": self.transcript.format,
            "manager": {
                "speaker": self.manager.speaker,
                "inferred": self.manager.inferred,
                "reason": self.manager.reason,
                "reason_parts": [m.to_dict() for m in self.manager.reason_parts],
            },
            "items": [i.to_dict() for i in self.items],
            "questions": [
                {
                    "utterance": q.utterance,
                    "text": q.text,
                    "category": q.category,
                    "span": list(q.span),
                    "start": q.start,
                }
                for q in self.questions
            ],
            "question_counts": dict(self.question_counts),
            "violations": [
                {
                    "utterance": v.utterance,
                    "phrase": v.phrase,
                    "matched": v.matched,
                    "replacement": v.replacement,
                    "start": v.start,
                    "end": v.end,
                }
                for v in self.violations
            ],
            "metrics": dict(self.metrics),
            "warnings": [w._asdict() for w in self.warnings],
        }
