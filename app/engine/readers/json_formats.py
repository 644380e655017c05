"""callqa's own JSON, Whisper/WhisperX, Deepgram and AssemblyAI.

Index = position in the utterance list as built: the n-th element of `utterances`/`segments`
when the tool gives turns, else the n-th speaker run built from its words. Elements whose text
is empty are skipped but keep their position, so indices still point into the input.
Key paths are the ones in shared/formats/SOURCES.md.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from app.engine.errors import TranscriptError
from app.engine.model import Utterance
from app.engine.readers.json_common import (
    Word,
    as_dict,
    as_list,
    expected,
    fail,
    opt_list,
    opt_text,
    seconds,
    speaker_of,
    speaker_runs,
)
from app.engine.reasons import reason


def _whole_text(obj: dict[str, Any], key: str, where: str) -> list[Utterance]:
    """Fallback when a tool gives neither turns nor words: the full text, speaker unknown."""
    text = opt_text(obj, key, where)
    return [Utterance(0, None, text)] if text else []


# --- callqa -----------------------------------------------------------------------------


def read_callqa(data: object) -> list[Utterance]:
    """`{"utterances": [{speaker|role, text, start?, end?}]}` or a bare list of those."""
    if isinstance(data, dict):
        if "utterances" not in data:
            keys = ", ".join(sorted(map(str, data))[:8]) or reason("none")
            raise TranscriptError(reason("callqa_needs", keys=keys))
        items, prefix = as_list(data["utterances"], "utterances"), "utterances"
    else:
        items, prefix = as_list(data, "callqa JSON"), ""
    out: list[Utterance] = []
    for i, item in enumerate(items):
        where = f"{prefix}[{i}]"
        obj = as_dict(item, where)
        if "text" not in obj:
            raise fail(f"{where}.text", reason("missing"))
        text = obj["text"]
        if not isinstance(text, str):
            raise fail(f"{where}.text", expected("kind_string", text))
        key = "speaker" if obj.get("speaker") is not None else "role"
        speaker = speaker_of(obj.get(key), f"{where}.{key}")
        start = _number(obj, "start", where)
        end = _number(obj, "end", where)
        if start is not None and end is not None and end < start:
            raise fail(where, reason("end_before_start", end=end, start=start))
        if text.strip():
            out.append(Utterance(i, speaker, text.strip(), start, end))
    return out


def _number(obj: dict[str, Any], key: str, where: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(f"{where}.{key}", expected("kind_seconds", value))
    return seconds(value, f"{where}.{key}")


# --- Whisper / whisper-timestamped / WhisperX -------------------------------------------


def read_whisper(data: object) -> list[Utterance]:
    """`segments[]` with start/end seconds and text; speaker from WhisperX diarization."""
    obj = {"segments": data} if isinstance(data, list) else as_dict(data, "whisper JSON")
    if obj.get("segments") is None:
        if isinstance(obj.get("text"), str):
            return _whole_text(obj, "text", "")
        raise TranscriptError(reason("whisper_needs"))
    out: list[Utterance] = []
    for i, item in enumerate(as_list(obj["segments"], "segments")):
        where = f"segments[{i}]"
        seg = as_dict(item, where)
        text = opt_text(seg, "text", where)
        speaker = speaker_of(seg.get("speaker"), f"{where}.speaker")
        if speaker is None:
            speaker = _majority_speaker(opt_list(seg, "words", where), f"{where}.words")
        if text:
            start = seconds(seg.get("start"), f"{where}.start")
            end = seconds(seg.get("end"), f"{where}.end")
            out.append(Utterance(i, speaker, text, start, end))
    return out


def _majority_speaker(words: list[Any], where: str) -> str | None:
    """The speaker most words of a segment carry (ties: the first one heard)."""
    counts: Counter[str] = Counter()
    for j, word in enumerate(words):
        if isinstance(word, dict):
            speaker = speaker_of(word.get("speaker"), f"{where}[{j}].speaker")
            if speaker is not None:
                counts[speaker] += 1
    return counts.most_common(1)[0][0] if counts else None


# --- Deepgram ---------------------------------------------------------------------------


def read_deepgram(data: object) -> list[Utterance]:
    """`results.utterances[]`, else speaker runs of `results.channels[c].alternatives[0].words`."""
    results = as_dict(as_dict(data, "deepgram JSON").get("results"), "results")
    if "utterances" not in results and "channels" not in results:
        raise TranscriptError(reason("deepgram_needs"))
    channels = opt_list(results, "channels", "results")
    multichannel = len(channels) > 1
    utterances = opt_list(results, "utterances", "results")
    if utterances:
        out: list[Utterance] = []
        for i, item in enumerate(utterances):
            where = f"results.utterances[{i}]"
            utt = as_dict(item, where)
            text = opt_text(utt, "transcript", where)
            speaker = speaker_of(utt.get("speaker"), f"{where}.speaker")
            if speaker is None and multichannel and utt.get("channel") is not None:
                speaker = f"ch_{speaker_of(utt.get('channel'), f'{where}.channel')}"
            if text:
                start = seconds(utt.get("start"), f"{where}.start")
                end = seconds(utt.get("end"), f"{where}.end")
                out.append(Utterance(i, speaker, text, start, end))
        return out
    words: list[Word] = []
    for c, channel in enumerate(channels):
        where = f"results.channels[{c}].alternatives"
        alternatives = opt_list(as_dict(channel, f"results.channels[{c}]"), "alternatives", "")
        if not alternatives:
            continue
        alt = as_dict(alternatives[0], f"{where}[0]")
        channel_words = opt_list(alt, "words", f"{where}[0]")
        if not channel_words and not multichannel:
            return _whole_text(alt, "transcript", f"{where}[0]")
        for j, item in enumerate(channel_words):
            w_where = f"{where}[0].words[{j}]"
            word = as_dict(item, w_where)
            text = opt_text(word, "punctuated_word", w_where) or opt_text(word, "word", w_where)
            speaker = (
                f"ch_{c}" if multichannel else speaker_of(word.get("speaker"), f"{w_where}.speaker")
            )
            start = seconds(word.get("start"), f"{w_where}.start")
            words.append(Word(speaker, text, start, seconds(word.get("end"), f"{w_where}.end")))
    if multichannel:
        words.sort(key=lambda w: w.start if w.start is not None else 0.0)
    return speaker_runs(words)


# --- AssemblyAI -------------------------------------------------------------------------


def read_assemblyai(data: object) -> list[Utterance]:
    """`utterances[]` (times in integer milliseconds), else speaker runs of `words[]`, else text."""
    obj = as_dict(data, "assemblyai JSON")
    if not {"utterances", "words", "text"} & obj.keys():
        raise TranscriptError(reason("assemblyai_needs"))
    utterances = opt_list(obj, "utterances", "")
    if utterances:
        out: list[Utterance] = []
        for i, item in enumerate(utterances):
            where = f"utterances[{i}]"
            utt = as_dict(item, where)
            text = opt_text(utt, "text", where)
            if text:
                speaker = speaker_of(utt.get("speaker"), f"{where}.speaker")
                start = seconds(utt.get("start"), f"{where}.start", per_second=1000)
                end = seconds(utt.get("end"), f"{where}.end", per_second=1000)
                out.append(Utterance(i, speaker, text, start, end))
        return out
    words = opt_list(obj, "words", "")
    if words:
        built: list[Word] = []
        for j, item in enumerate(words):
            where = f"words[{j}]"
            word = as_dict(item, where)
            built.append(
                Word(
                    speaker_of(word.get("speaker"), f"{where}.speaker"),
                    opt_text(word, "text", where),
                    seconds(word.get("start"), f"{where}.start", per_second=1000),
                    seconds(word.get("end"), f"{where}.end", per_second=1000),
                )
            )
        return speaker_runs(built)
    return _whole_text(obj, "text", "")
