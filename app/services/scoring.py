"""Scoring through the engine, with its domain errors mapped onto the service error family.

The engine knows nothing of HTTP; this is the one place that decides which engine error is a
400, a 404 or a 422, so the single-call, batch and dry-run paths answer alike.
"""

from __future__ import annotations

import gc
from typing import Any

from sqlalchemy.orm import Session

from app.engine import (
    Checklist,
    EngineError,
    NoManagerError,
    TranscriptError,
    list_checklists,
    score,
)
from app.i18n import _
from app.metrics import SCORING_SECONDS
from app.services.checklists import ChecklistFinder
from app.services.errors import CallqaError, InvalidInput, PayloadTooLarge, UnparseableTranscript
from app.services.jsonsafe import json_problem, text_problem
from app.services.schemas import ScoreIn
from app.services.wording import engine_reason
from app.tenancy import LOCAL, Tenant

# Transcripts arrive as speech-to-text JSON; their nesting is shallow in every real format.
_TRANSCRIPT_MAX_DEPTH = 64

# A short call that touches every part of the engine: greeting, a question, a forbidden phrase.
_WARM_UP_CALL = (
    "Менеджер: Добрый день, агентство недвижимости «Дом», меня зовут Анна. "
    "Какой район вы рассматриваете?\n"
    "Клиент: Центр, до десяти миллионов.\n"
    "Менеджер: Я не знаю, перезвоните позже. Давайте встретимся в субботу в 11:00?"
)


def _engine_error(exc: EngineError) -> CallqaError:
    if isinstance(exc, NoManagerError):
        return InvalidInput.at("/manager_speaker", engine_reason(exc))
    if isinstance(exc, TranscriptError) and exc.field in ("format", "manager_speaker"):
        return InvalidInput.at(f"/{exc.field}", engine_reason(exc))
    return UnparseableTranscript.at("/transcript", engine_reason(exc))


def _storage_problem(transcript: Any) -> str | None:
    """Why an accepted transcript still could not be stored (NUL, surrogates, NaN, depth)."""
    if isinstance(transcript, str):
        return text_problem(transcript)
    problem = json_problem(transcript, max_depth=_TRANSCRIPT_MAX_DEPTH)
    return f"{problem[0] or 'the value'} {problem[1]}" if problem else None


def word_count(transcript: Any) -> int:
    """Words in a transcript as sent: of the text, or of every string of a JSON transcript
    (labels and timestamps included: this bounds work, it is not a talk metric)."""
    if isinstance(transcript, str):
        return len(transcript.split())
    count, stack = 0, [transcript]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            count += len(value.split())
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return count


def score_request(request: ScoreIn, checklist: Checklist, max_words: int | None = None) -> Any:
    """Score a transcript; raise the family member that says why it cannot be scored.

    A transcript of more than `max_words` words (CALLQA_MAX_WORDS) is refused before the
    engine spends time and memory on it."""
    if max_words is not None and (words := word_count(request.transcript)) > max_words:
        raise PayloadTooLarge.at(
            "/transcript",
            _(
                "the transcript has %(words)s words, more than the %(limit)s allowed "
                "(CALLQA_MAX_WORDS)",
                words=words,
                limit=max_words,
            ),
        )
    try:
        with SCORING_SECONDS.time():
            result = score(
                request.transcript,
                checklist,
                format=request.format,
                manager_speaker=request.manager_speaker,
            )
    except EngineError as exc:
        raise _engine_error(exc) from exc
    problem = _storage_problem(request.transcript)
    if problem:
        raise UnparseableTranscript.at("/transcript", problem)
    return result


# Objects allocated and not yet freed before the youngest generation is collected (Python's
# default 700). Scoring frees nearly all it allocates, but scores live until they are stored:
# at 700 the collector ran ~300 times per 1,000 scored calls and promoted them, and each full
# collection walked the whole heap (~9% of the CPU of rescoring).
_GC_YOUNG = 50_000


def keep_collector_off_scoring() -> None:
    """Keep the cyclic garbage collector off the scoring path of a process that scores (an API
    worker, a job worker), once it is warmed up: the start-up objects (modules, checklists,
    word lists: ~150,000, none of them garbage) are frozen out of its scans, and the youngest
    generation is collected less often. Memory stays bounded: reference counting frees what
    scoring drops; the collector only finds cycles."""
    gc.freeze()
    gc.set_threshold(_GC_YOUNG, *gc.get_threshold()[1:])


def warm_up() -> None:
    """Load the dictionaries and compile every built-in checklist before the first request,
    which would otherwise wait a second for them."""
    for checklist in list_checklists():
        score(_WARM_UP_CALL, checklist)


def dry_run(
    session: Session, request: ScoreIn, max_words: int | None = None, tenant: Tenant = LOCAL
) -> dict[str, Any]:
    """The `callqa score --json` object for a transcript, nothing stored; the checklist is
    found in the tenant's organisation."""
    checklist = ChecklistFinder(session, tenant).for_request(request)
    result: dict[str, Any] = score_request(request, checklist, max_words).to_dict()
    return result
