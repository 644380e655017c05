"""Domain errors of the scoring engine.

They carry no HTTP status: the API and the CLI map them (the API through its one
exception family, the CLI to exit code 2).
"""


class EngineError(Exception):
    """Base of every error the engine raises on bad input."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class TranscriptError(EngineError):
    """The transcript is empty, binary, of an unknown format, or malformed for its format."""


class NoManagerError(EngineError):
    """No speaker in the transcript could be taken for the manager."""


class ChecklistError(EngineError):
    """A checklist file or key is invalid or unknown; `problems` lists each mistake."""

    def __init__(
        self, reason: str, *, field: str | None = None, problems: list[str] | None = None
    ) -> None:
        super().__init__(reason, field=field)
        self.problems = problems or []
