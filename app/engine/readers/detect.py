"""Format detection: JSON by key shape, text by its first lines.

Detection never guesses between two plausible readings silently: subtitle cue timings that
appear after ordinary text (cues pasted into a text file) are an error that says so, since
reading them as plain text would turn timing lines into speech.
"""

from __future__ import annotations

import re
from typing import Any

from app.engine.errors import TranscriptError
from app.engine.readers.decode import looks_like_json, parse_json
from app.engine.readers.subtitles import TIMING_LINE
from app.engine.reasons import reason

_SRT_COMMA = re.compile(r"\d,\d")
_ASSEMBLYAI_KEYS = frozenset(
    {"speaker_labels", "audio_duration", "audio_url", "language_code", "acoustic_model"}
)
_AWS_KEYS = ("items", "audio_segments", "transcripts", "speaker_labels", "channel_labels")
_YANDEX_V3_KEYS = frozenset(
    {"final", "finalRefinement", "partial", "eouUpdate", "audioCursors", "statusCode"}
)
_SHAPES = (
    "callqa {'utterances': [{'speaker', 'text'}]}, Whisper 'segments', Amazon Transcribe "
    "'results.items', Deepgram 'results.channels', AssemblyAI 'utterances' with "
    "'speaker_labels', Yandex 'response.chunks', Google 'results[].alternatives'"
)


def detect_text_format(text: str) -> str:
    """ "vtt", "srt" or "text" from the first lines of a string that is not JSON."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise TranscriptError(reason("empty"))
    if stripped.startswith("WEBVTT"):
        return "vtt"
    for line in stripped.split("\n", 2)[:2]:
        timing = TIMING_LINE.fullmatch(line.strip())
        if timing is not None:
            return "srt" if _SRT_COMMA.search(timing[1]) else "vtt"
    if "-->" in text:
        for number, line in enumerate(text.splitlines(), start=1):
            if "-->" in line and TIMING_LINE.fullmatch(line.strip()):
                raise TranscriptError(reason("cue_in_text", line=number, timing=line.strip()[:60]))
    return "text"


def detect_json_format(data: Any) -> str:
    """The reader for parsed JSON, by its key shape (key paths: shared/formats/SOURCES.md)."""
    if isinstance(data, dict):
        found = _detect_object(data)
    elif isinstance(data, list):
        found = _detect_list(data)
    else:
        raise TranscriptError(reason("unknown_shape", type=type(data).__name__, shapes=_SHAPES))
    if found is None:
        keys = ", ".join(sorted(map(str, data))[:10]) if isinstance(data, dict) else ""
        if isinstance(data, list):
            raise TranscriptError(reason("unknown_shape", type="list", shapes=_SHAPES))
        if not keys:
            raise TranscriptError(reason("unknown_shape_no_keys", shapes=_SHAPES))
        raise TranscriptError(reason("unknown_shape_keys", keys=keys, shapes=_SHAPES))
    return found


def _detect_object(obj: dict[str, Any]) -> str | None:
    results = obj.get("results")
    if isinstance(results, dict):
        if any(key in results for key in _AWS_KEYS):
            return "aws"
        if "utterances" in results or "channels" in results:
            return "deepgram"
    if isinstance(results, list) and _has_key(results, "alternatives"):
        return "google"
    response = obj.get("response")
    if isinstance(response, dict) and "chunks" in response:
        return "yandex"
    if isinstance(obj.get("chunks"), list):
        return "yandex"
    result = obj.get("result")
    if isinstance(result, dict) and (_YANDEX_V3_KEYS & result.keys() or "channelTag" in result):
        return "yandex"
    if isinstance(obj.get("segments"), list):
        return "whisper"
    utterances = obj.get("utterances")
    if isinstance(utterances, list):
        if _ASSEMBLYAI_KEYS & obj.keys() or _assemblyai_turns(utterances):
            return "assemblyai"
        return "callqa"
    if _ASSEMBLYAI_KEYS & obj.keys() and ("words" in obj or "text" in obj):
        return "assemblyai"
    return None


def _detect_list(items: list[Any]) -> str | None:
    if not items:
        raise TranscriptError(reason("empty_json_list"))
    sample = items[:5]
    if not all(isinstance(item, dict) for item in sample):
        return None
    if any(isinstance(item.get("result"), dict) for item in sample):
        return "yandex"  # SpeechKit v3 NDJSON, one message a line
    if _has_key(sample, "alternatives"):
        return "google"
    if _has_key(sample, "text"):
        return "callqa"
    return None


def _has_key(items: list[Any], key: str) -> bool:
    return any(isinstance(item, dict) and key in item for item in items[:5])


def _assemblyai_turns(utterances: list[Any]) -> bool:
    """AssemblyAI turns: integer millisecond times and letter speakers ("A", "B")."""
    sample = [u for u in utterances[:5] if isinstance(u, dict)]
    return bool(sample) and all(
        isinstance(u.get("start"), int)
        and isinstance(u.get("speaker"), str)
        and u["speaker"].isalpha()
        and u["speaker"].isupper()
        and len(u["speaker"]) <= 2
        for u in sample
    )


def detect_any(data: str | dict[str, Any] | list[Any]) -> str:
    """Detect the format of text (JSON text is parsed first) or of parsed JSON."""
    if isinstance(data, str):
        if looks_like_json(data):
            return detect_json_format(parse_json(data))
        return detect_text_format(data)
    return detect_json_format(data)
