"""Typed access to parsed JSON for the JSON readers, with errors that name the JSON path.

Every reader walks untrusted JSON; these helpers turn a wrong type into a TranscriptError like
"utterances[3].text: expected a string" instead of a KeyError deep inside a reader.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.engine.errors import TranscriptError
from app.engine.model import Utterance
from app.engine.reasons import Reason, reason


def fail(where: str, what: Reason) -> TranscriptError:
    """The error for a value at a JSON path ("results.items[3].start_time: ...")."""
    return TranscriptError(reason("at_path", where=where, what=what))


def kind(value: object) -> Reason | str:
    """A JSON type name for error messages."""
    if value is None:
        return reason("kind_null")
    if isinstance(value, bool):
        return reason("kind_boolean")
    if isinstance(value, (int, float)):
        return reason("kind_number")
    if isinstance(value, str):
        return reason("kind_string")
    if isinstance(value, list):
        return reason("kind_list")
    if isinstance(value, dict):
        return reason("kind_object")
    return type(value).__name__


def expected(what: str, value: object) -> Reason:
    """ "expected a list, got a string" (`what`: a kind_ code)."""
    if value is None:
        return reason("expected_missing", expected=reason(what))
    return reason("expected_got", expected=reason(what), got=kind(value))


def as_dict(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(where, expected("kind_object", value))
    return value


def as_list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise fail(where, expected("kind_list", value))
    return value


def opt_list(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    """A list field that may be absent or null (then empty)."""
    value = obj.get(key)
    return [] if value is None else as_list(value, f"{where}.{key}" if where else key)


def opt_text(obj: dict[str, Any], key: str, where: str) -> str:
    """A text field that may be absent or null (then ""), stripped."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise fail(f"{where}.{key}" if where else key, expected("kind_string", value))
    return value.strip()


def speaker_of(value: object, where: str) -> str | None:
    """A speaker label from a string or an integer (Deepgram, Google number their speakers)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise fail(where, expected("kind_speaker", value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    raise fail(where, expected("kind_string", value))


def seconds(value: object, where: str, *, per_second: int = 1) -> float | None:
    """Seconds from a number, "1.300s"/"1.3" strings, or a protobuf {seconds, nanos} object.

    `per_second` converts units: 1000 for milliseconds (AssemblyAI, Yandex v3).
    """
    if value is None:
        return None
    result: float
    if isinstance(value, bool):
        raise fail(where, expected("kind_time", value))
    if isinstance(value, (int, float)):
        try:
            result = value / per_second
        except OverflowError:
            raise fail(where, reason("time_out_of_range")) from None
    elif isinstance(value, str):
        raw = value.strip()
        raw = raw[:-1] if raw.endswith("s") else raw
        try:
            result = float(raw) / per_second
        except ValueError:
            raise fail(where, reason("bad_time", value=value[:40])) from None
    elif isinstance(value, dict):
        secs = seconds(value.get("seconds", 0), f"{where}.seconds") or 0.0
        nanos = seconds(value.get("nanos", 0), f"{where}.nanos") or 0.0
        result = secs + nanos / 1e9
    else:
        raise fail(where, expected("kind_time", value))
    if not math.isfinite(result):
        raise fail(where, reason("bad_time", value=value))
    return result


@dataclass(slots=True)
class Word:
    """One recognised word (or punctuation mark) on its way into a speaker run."""

    speaker: str | None
    text: str
    start: float | None
    end: float | None
    glued: bool = False  # punctuation: joined to the previous word without a space


def speaker_runs(words: Iterable[Word]) -> list[Utterance]:
    """Join words into one utterance per run of the same speaker; index = run position."""
    runs: list[tuple[str | None, list[str], float | None, float | None]] = []
    for word in words:
        if not word.text:
            continue
        if runs and (word.glued or runs[-1][0] == word.speaker):
            speaker, texts, start, end = runs[-1]
            if word.glued and texts:
                texts[-1] += word.text
            else:
                texts.append(word.text)
            runs[-1] = (
                speaker,
                texts,
                start if start is not None else word.start,
                word.end if word.end is not None else end,
            )
        else:
            runs.append((word.speaker, [word.text], word.start, word.end))
    return [
        Utterance(i, speaker, " ".join(texts), start, end)
        for i, (speaker, texts, start, end) in enumerate(runs)
    ]
