"""`score`: a transcript in, a ScoreResult with evidence for every point out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.engine.caveats import caveats
from app.engine.checklist import OTHER, Checklist, get_checklist
from app.engine.items import EVALUATORS, Analysis
from app.engine.model import Transcript
from app.engine.phrases import PhraseFinder
from app.engine.prices import PriceFinder
from app.engine.questions import QuestionFinder
from app.engine.readers import read_transcript
from app.engine.result import ScoreResult
from app.engine.speakers import ALL_SPEAKERS, choose_manager
from app.engine.speech import Turn, prepare

_PUNCTUATED_SHARE = 0.3  # below this share of punctuated turns, speech-to-text stripped it


@dataclass(frozen=True, slots=True)
class _Compiled:
    questions: QuestionFinder
    phrases: PhraseFinder
    prices: PriceFinder


_COMPILED: dict[tuple[str, str], _Compiled] = {}
_MAX_COMPILED = 64  # checklist versions pushed over time must not pile up in memory


def _compile(checklist: Checklist) -> _Compiled:
    key = (checklist.key, checklist.version)
    compiled = _COMPILED.get(key)
    if compiled is None:
        if len(_COMPILED) >= _MAX_COMPILED:
            _COMPILED.clear()
        lang = checklist.lang
        compiled = _COMPILED[key] = _Compiled(
            QuestionFinder.build(checklist.categories, lang, checklist.other_questions),
            PhraseFinder.build(checklist.forbidden_phrases, lang),
            PriceFinder.build(lang),
        )
    return compiled


def score(
    transcript: str | bytes | dict[str, Any] | list[Any] | Transcript,
    checklist: str | Checklist = "realty_phone",
    *,
    format: str = "auto",
    manager_speaker: str | None = None,
) -> ScoreResult:
    """Score one call against a checklist (a built-in key or a loaded Checklist).

    `manager_speaker` names the manager's label; "*" scores all speech as the manager's (input
    without speaker labels), with a `single_speaker` warning.

    Raises TranscriptError, NoManagerError or ChecklistError, each with a `.reason`.
    """
    if isinstance(checklist, str):
        checklist = get_checklist(checklist)
    if not isinstance(transcript, Transcript):
        transcript = read_transcript(transcript, format)
    compiled = _compile(checklist)
    utterances = transcript.utterances
    if manager_speaker is not None and manager_speaker.strip() == ALL_SPEAKERS:
        manager_speaker = ALL_SPEAKERS
        utterances = tuple(replace(u, speaker=ALL_SPEAKERS) for u in utterances)
    turns = prepare(utterances)
    manager = choose_manager(turns, checklist.lang, manager_speaker)
    mine = [t for t in turns if t.utterance.speaker == manager.speaker]
    punctuated = sum(1 for t in mine if _has_punctuation(t.text)) >= _PUNCTUATED_SHARE * len(mine)
    questions = compiled.questions.find(mine, punctuated, turns)
    counts = {key: 0 for key in (*checklist.categories, OTHER)}
    for q in questions:
        counts[q.category] += 1
    analysis = Analysis(
        turns=turns,
        manager_turns=mine,
        manager=manager.speaker,
        questions=questions,
        violations=compiled.phrases.find(mine),
        prices=compiled.prices.find(mine),
        metrics=_metrics(turns, manager.speaker, len(questions)),
    )
    items = tuple(EVALUATORS[item.kind](item, analysis) for item in checklist.items)
    total, grade = total_and_grade([i.points for i in items], checklist)
    return ScoreResult(
        total=total,
        grade=grade,
        checklist_key=checklist.key,
        checklist_version=checklist.version,
        manager=manager,
        items=items,
        questions=tuple(questions),
        question_counts=counts,
        violations=tuple(analysis.violations),
        metrics=analysis.metrics,
        warnings=tuple(caveats(turns, manager, checklist.lang)),
        transcript=transcript,
    )


def total_and_grade(points: Iterable[float], checklist: Checklist) -> tuple[float, str]:
    """The 0-100 total of the items' points and its grade, by the checklist's bands (also
    what corrections recompute)."""
    total = round(100.0 * sum(points) / checklist.max_points, 1)
    grades = checklist.grades
    return (
        total,
        "green" if total >= grades.green else "yellow" if total >= grades.yellow else "red",
    )


def _has_punctuation(text: str) -> bool:
    return "." in text or "?" in text or "!" in text


def _metrics(turns: Sequence[Turn], manager: str, questions: int) -> dict[str, Any]:
    """Talk share, words, the longest monologue and, where times are known, pace."""
    manager_words = client_words = manager_turns = 0
    longest = (0, 0, 0)  # words, first and last position of the manager's longest run
    run_words, run_first = 0, 0
    starts: list[float] = []
    ends: list[float] = []
    for turn in turns:
        u = turn.utterance
        n = turn.word_count
        if u.speaker == manager:
            manager_words += n
            manager_turns += 1
            if run_words == 0:
                run_first = turn.position
            run_words += n
            if run_words > longest[0]:
                longest = (run_words, run_first, turn.position)
        else:
            client_words += n
            run_words = 0
        if u.start is not None:
            starts.append(u.start)
            ends.append(u.end if u.end is not None else u.start)
    duration = (max(ends) - min(starts)) if starts else None
    total_words = manager_words + client_words
    count, first, last = longest
    head = turns[first].utterance if count else None
    return {
        "utterances": len(turns),
        "manager_utterances": manager_turns,
        "words": total_words,
        "manager_words": manager_words,
        "manager_talk_share": round(manager_words / total_words, 3) if total_words else 0.0,
        "longest_monologue_words": count,
        "longest_monologue_utterance": head.index if head else None,
        "longest_monologue_start": head.start if head else None,
        "longest_monologue_text": (
            " ".join(t.text for t in turns[first : last + 1])[:300] if head else None
        ),
        "duration_s": round(duration, 2) if duration else None,
        "questions_per_minute": round(questions / (duration / 60), 2) if duration else None,
    }
