"""Log output: one JSON object per line, or readable lines when stderr is a terminal.

Everything logs through the standard library (`logging.getLogger(__name__)`, uvicorn's own
loggers); structlog's formatter renders the records, adding the level, the logger, a UTC
timestamp, the fields passed in `extra=` and the request's context (its request id). The
configuration is a `logging.config.dictConfig` dict, so uvicorn applies it in every worker.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
import structlog.tracebacks


def _drop_copies(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """ExtraAdder picks up copies of `event`: the record's formatted `message`, and uvicorn's
    `color_message` (the same text with terminal colour codes)."""
    event.pop("message", None)
    event.pop("color_message", None)
    return event


_PRE_CHAIN: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    _drop_copies,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def make_formatter(human: bool) -> logging.Formatter:
    """The formatter of every handler (named by dotted path in the dictConfig, which stays
    plain data that uvicorn can hand to its worker processes)."""
    # Tracebacks without the frames' local variables: those hold transcripts and secrets.
    renderer: Any = (
        structlog.dev.ConsoleRenderer(
            exception_formatter=structlog.dev.RichTracebackFormatter(show_locals=False)
        )
        if human
        else structlog.processors.JSONRenderer()
    )
    tracebacks = structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
    tail: list[Any] = [] if human else [structlog.processors.ExceptionRenderer(tracebacks)]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_PRE_CHAIN,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail, renderer],
    )


def logging_config(level: str, human: bool | None = None) -> dict[str, Any]:
    """The dictConfig for `level`; `human` defaults to whether stderr is a terminal."""
    human = sys.stderr.isatty() if human is None else human
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"callqa": {"()": "app.logs.make_formatter", "human": human}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "callqa",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            # Uvicorn's loggers keep no handlers of their own: they reach the root's.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},  # app.requests replaces it
            "pgserver": {"level": "WARNING"},  # its INFO is a debugging trace
        },
    }
