"""Transcript readers: any supported input in, a `Transcript` out, or a `TranscriptError`.

`read_transcript` is the one entry point: it decodes bytes, parses JSON text, detects the
format when asked to ("auto"), runs the reader and turns any failure into a TranscriptError
whose reason a user can act on. Index rules (DESIGN.md contract) live in each reader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.engine.errors import TranscriptError
from app.engine.model import Transcript, Utterance
from app.engine.readers.decode import check_text, decode_bytes, looks_like_json, parse_json
from app.engine.readers.detect import detect_any, detect_json_format, detect_text_format
from app.engine.readers.json_cloud import read_aws, read_google, read_yandex
from app.engine.readers.json_formats import (
    read_assemblyai,
    read_callqa,
    read_deepgram,
    read_whisper,
)
from app.engine.readers.subtitles import read_srt, read_vtt
from app.engine.readers.text import read_text
from app.engine.reasons import reason

__all__ = ["FORMATS", "detect_format", "read_transcript"]

FORMATS: tuple[str, ...] = (
    "text",
    "vtt",
    "srt",
    "callqa",
    "whisper",
    "aws",
    "deepgram",
    "assemblyai",
    "yandex",
    "google",
)

_TEXT_READERS: dict[str, Callable[[str], list[Utterance]]] = {
    "text": read_text,
    "vtt": read_vtt,
    "srt": read_srt,
}
_JSON_READERS: dict[str, Callable[[Any], list[Utterance]]] = {
    "callqa": read_callqa,
    "whisper": read_whisper,
    "aws": read_aws,
    "deepgram": read_deepgram,
    "assemblyai": read_assemblyai,
    "yandex": read_yandex,
    "google": read_google,
}
_NAMES = {"vtt": "WebVTT", "srt": "SRT"}


def detect_format(data: str | dict[str, Any] | list[Any]) -> str:
    """The name (one of FORMATS) of the reader for `data`; TranscriptError if none fits."""
    return detect_any(data)


def read_transcript(
    data: str | bytes | dict[str, Any] | list[Any], format: str = "auto"
) -> Transcript:
    """Read a transcript in any supported format ("auto" detects it)."""
    if format != "auto" and format not in FORMATS:
        raise TranscriptError(
            reason("unknown_format", format=format, known=", ".join(FORMATS)), field="format"
        )
    payload: Any
    if isinstance(data, (bytes, bytearray, memoryview)):
        payload = decode_bytes(bytes(data))
    elif isinstance(data, str):
        payload = check_text(data)
    elif isinstance(data, (dict, list)):
        payload = data
        if not data:
            raise TranscriptError(reason("empty_json"))
    else:
        raise TranscriptError(reason("wrong_input_type", type=type(data).__name__))
    if isinstance(payload, str):
        if not payload.strip():
            raise TranscriptError(reason("empty"))
        if format not in _TEXT_READERS and looks_like_json(payload):
            payload = parse_json(payload)

    if format == "auto":
        fmt = (
            detect_text_format(payload) if isinstance(payload, str) else detect_json_format(payload)
        )
    else:
        fmt = format
    utterances = _run(fmt, payload)
    if not any(u.text for u in utterances):
        if fmt == "text":
            raise TranscriptError(reason("no_utterances_text"))
        raise TranscriptError(reason("no_utterances", format=_NAMES.get(fmt, fmt + " JSON")))
    return Transcript(tuple(utterances), fmt)


def _run(fmt: str, payload: Any) -> list[Utterance]:
    """Run one reader; wrong input kinds and unexpected failures become TranscriptError."""
    if fmt in _TEXT_READERS and not isinstance(payload, str):
        raise TranscriptError(reason("needs_text", format=fmt))
    if fmt in _JSON_READERS and isinstance(payload, str):
        raise TranscriptError(reason("needs_json", format=fmt))
    try:
        if isinstance(payload, str):
            return _TEXT_READERS[fmt](payload)
        return _JSON_READERS[fmt](payload)
    except TranscriptError as exc:
        if fmt in _TEXT_READERS or exc.reason.startswith(fmt):
            raise  # text readers name their format ("SRT cue 3 ...") themselves
        inner = exc.why or exc.reason  # a reader's own reason, else its English text
        raise TranscriptError(
            reason("in_format", format=fmt, reason=inner), field=exc.field
        ) from None
    except RecursionError:
        raise TranscriptError(reason("nested_too_deeply", format=fmt)) from None
    except Exception as exc:  # a reader or library bug must not escape as a 500
        error = f"{type(exc).__name__}: {str(exc)[:200]}"
        raise TranscriptError(reason("reader_failed", format=fmt, error=error)) from exc
