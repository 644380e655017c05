"""Domain errors of the scoring engine.

They carry no HTTP status: the API and the CLI map them (the API through its one
exception family, the CLI to exit code 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.engine.reasons import Reason


class EngineError(Exception):
    """Base of every error the engine raises on bad input.

    Given a `Reason`, it keeps its `code` and `params` (the services word them in the
    reader's language) and `reason` is the English wording; given a text, `code` is None."""

    def __init__(self, reason: str | Reason, *, field: str | None = None) -> None:
        self.code: str | None = None
        self.params: dict[str, Any] = {}
        self.why: Reason | None = None
        if isinstance(reason, Reason):
            self.why, self.code, self.params = reason, reason.code, reason.params
            reason = reason.english()
        super().__init__(reason)
        self.reason = reason
        self.field = field


class TranscriptError(EngineError):
    """The transcript is empty, binary, of an unknown format, or malformed for its format."""


class NoManagerError(EngineError):
    """No speaker in the transcript could be taken for the manager."""


@dataclass(frozen=True, slots=True)
class SchemaMessage:
    """A schema error pydantic worded (in English): its `type` and plain `ctx` let the service
    layer word it in the reader's language."""

    message: str
    type: str
    ctx: dict[str, str | int | float]

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a checklist document: its line (None in JSON), where, and why."""

    line: int | None
    where: tuple[int | str, ...]
    reason: str
    pointer: str = ""
    why: Reason | None = None  # the reason's code and parameters, for wording it
    schema: SchemaMessage | None = None  # or pydantic's own error, for wording it

    def __str__(self) -> str:
        place = f"line {self.line}: " if self.line is not None else ""
        if self.where:
            place += ".".join(str(p) for p in self.where) + ": "
        return place + self.reason


class ChecklistError(EngineError):
    """A checklist document or key is invalid or unknown; `problems` lists each mistake."""

    def __init__(
        self,
        reason: str | Reason,
        *,
        field: str | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        super().__init__(reason, field=field)
        self.problems = problems or []
