"""Amazon Transcribe, Yandex SpeechKit (v2 and v3) and Google Speech-to-Text.

These tools give words more often than turns, so turns are built as runs of one speaker (or
channel); index = position in that built list. Key paths: shared/formats/SOURCES.md.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from app.engine.errors import TranscriptError
from app.engine.model import Utterance
from app.engine.readers.json_common import (
    Word,
    as_dict,
    as_list,
    opt_list,
    opt_text,
    seconds,
    speaker_of,
    speaker_runs,
)
from app.engine.reasons import reason

# --- Amazon Transcribe ------------------------------------------------------------------


def read_aws(data: object) -> list[Utterance]:
    """`audio_segments[]` when present, else speaker/channel runs of `items[]`, else text."""
    results = as_dict(as_dict(data, "aws JSON").get("results"), "results")
    if not {"audio_segments", "items", "transcripts", "channel_labels"} & results.keys():
        raise TranscriptError(reason("aws_needs"))
    segments = opt_list(results, "audio_segments", "results")
    if segments:
        out: list[Utterance] = []
        for i, item in enumerate(segments):
            where = f"results.audio_segments[{i}]"
            seg = as_dict(item, where)
            text = opt_text(seg, "transcript", where)
            speaker = speaker_of(seg.get("speaker_label"), f"{where}.speaker_label")
            if speaker is None:
                speaker = speaker_of(seg.get("channel_label"), f"{where}.channel_label")
            if text:
                start = seconds(seg.get("start_time"), f"{where}.start_time")
                end = seconds(seg.get("end_time"), f"{where}.end_time")
                out.append(Utterance(i, speaker, text, start, end))
        return out

    if results.get("channel_labels") is not None:
        labels = as_dict(results["channel_labels"], "results.channel_labels")
        words: list[Word] = []
        for c, item in enumerate(opt_list(labels, "channels", "results.channel_labels")):
            where = f"results.channel_labels.channels[{c}]"
            channel = as_dict(item, where)
            label = speaker_of(channel.get("channel_label"), f"{where}.channel_label")
            words += _aws_words(
                opt_list(channel, "items", where), f"{where}.items", label or f"ch_{c}"
            )
        words.sort(key=lambda w: w.start if w.start is not None else 0.0)
        return speaker_runs(words)

    words = _aws_words(opt_list(results, "items", "results"), "results.items", None)
    if not any(w.speaker for w in words) and results.get("speaker_labels") is not None:
        _speakers_from_segments(words, as_dict(results["speaker_labels"], "results.speaker_labels"))
    if any(w.speaker for w in words):
        return speaker_runs(words)
    transcripts = opt_list(results, "transcripts", "results")
    if transcripts:
        text = opt_text(as_dict(transcripts[0], "results.transcripts[0]"), "transcript", "")
        if text:
            start = words[0].start if words else None
            return [Utterance(0, None, text, start, words[-1].end if words else None)]
    return speaker_runs(words)


def _aws_words(items: list[Any], where: str, channel: str | None) -> list[Word]:
    """Words of `items[]`, punctuation glued to the word before it."""
    words: list[Word] = []
    for i, entry in enumerate(items):
        item = as_dict(entry, f"{where}[{i}]")
        alternatives = opt_list(item, "alternatives", f"{where}[{i}]")
        if not alternatives:
            continue
        content = opt_text(as_dict(alternatives[0], f"{where}[{i}]"), "content", f"{where}[{i}]")
        if item.get("type") == "punctuation":
            if words:
                words[-1].text += content
            continue
        speaker = channel or speaker_of(item.get("speaker_label"), f"{where}[{i}].speaker_label")
        start = seconds(item.get("start_time"), f"{where}[{i}].start_time")
        end = seconds(item.get("end_time"), f"{where}[{i}].end_time")
        words.append(Word(speaker, content, start, end))
    return words


def _speakers_from_segments(words: list[Word], labels: dict[str, Any]) -> None:
    """Older output: speakers only in `speaker_labels.segments[]`, matched to words by time."""
    spans: list[tuple[float, float, str]] = []
    for i, item in enumerate(opt_list(labels, "segments", "results.speaker_labels")):
        where = f"results.speaker_labels.segments[{i}]"
        seg = as_dict(item, where)
        speaker = speaker_of(seg.get("speaker_label"), f"{where}.speaker_label")
        start = seconds(seg.get("start_time"), f"{where}.start_time")
        end = seconds(seg.get("end_time"), f"{where}.end_time")
        if speaker is not None and start is not None:
            spans.append((start, end if end is not None else start, speaker))
    spans.sort()
    starts = [s[0] for s in spans]
    previous: str | None = None
    for word in words:
        if word.start is not None:
            k = bisect_right(starts, word.start + 1e-6) - 1
            if k >= 0 and word.start <= spans[k][1] + 1e-6:
                previous = spans[k][2]
        word.speaker = previous


# --- Yandex SpeechKit -------------------------------------------------------------------


def read_yandex(data: object) -> list[Utterance]:
    """v2 `response.chunks[]` (or unwrapped `chunks[]`); v3 NDJSON messages with `result`."""
    if isinstance(data, list):
        return _yandex_v3(data)
    obj = as_dict(data, "yandex JSON")
    if isinstance(obj.get("result"), dict):
        return _yandex_v3([obj])
    if isinstance(obj.get("response"), dict) and "chunks" in obj["response"]:
        chunks, prefix = as_list(obj["response"]["chunks"], "response.chunks"), "response.chunks"
    elif "chunks" in obj:
        chunks, prefix = as_list(obj["chunks"], "chunks"), "chunks"
    else:
        raise TranscriptError(reason("yandex_needs"))
    out: list[Utterance] = []
    for i, item in enumerate(chunks):
        where = f"{prefix}[{i}]"
        chunk = as_dict(item, where)
        alternatives = opt_list(chunk, "alternatives", where)
        if not alternatives:
            continue
        alt = as_dict(alternatives[0], f"{where}.alternatives[0]")
        text = opt_text(alt, "text", f"{where}.alternatives[0]")
        if not text:
            continue
        words = opt_list(alt, "words", f"{where}.alternatives[0]")
        start = end = None
        if words:
            w_where = f"{where}.alternatives[0].words"
            start = seconds(as_dict(words[0], f"{w_where}[0]").get("startTime"), f"{w_where}[0]")
            last = as_dict(words[-1], f"{w_where}[{len(words) - 1}]")
            end = seconds(last.get("endTime"), f"{w_where}[{len(words) - 1}]")
        tag = speaker_of(chunk.get("channelTag"), f"{where}.channelTag")
        out.append(Utterance(i, None if tag is None else f"channel_{tag}", text, start, end))
    return out


def _yandex_v3(messages: list[Any]) -> list[Utterance]:
    """One utterance per `final`, replaced by its `finalRefinement` (normalized text)."""
    built: list[tuple[str | None, str, float | None, float | None]] = []
    position: dict[tuple[str | None, str], int] = {}
    for i, item in enumerate(messages):
        message = as_dict(item, f"[{i}]")
        where = f"[{i}].result" if "result" in message else f"[{i}]"
        result = as_dict(message.get("result", message), where)
        tag = speaker_of(result.get("channelTag"), f"{where}.channelTag")
        if isinstance(result.get("finalRefinement"), dict):
            refinement = result["finalRefinement"]
            final_index = refinement.get("finalIndex")
            holder = as_dict(refinement.get("normalizedText"), f"{where}.finalRefinement")
            where += ".finalRefinement.normalizedText"
        elif isinstance(result.get("final"), dict):
            holder = result["final"]
            tag = tag or speaker_of(holder.get("channelTag"), f"{where}.final.channelTag")
            cursors = result.get("audioCursors")
            final_index = cursors.get("finalIndex") if isinstance(cursors, dict) else None
            where += ".final"
        else:
            continue  # partial results, end-of-utterance and status messages
        alternatives = opt_list(holder, "alternatives", where)
        if not alternatives:
            continue
        alt = as_dict(alternatives[0], f"{where}.alternatives[0]")
        text = opt_text(alt, "text", f"{where}.alternatives[0]")
        start = seconds(alt.get("startTimeMs"), f"{where}.startTimeMs", per_second=1000)
        end = seconds(alt.get("endTimeMs"), f"{where}.endTimeMs", per_second=1000)
        speaker = None if tag is None else f"channel_{tag}"
        key = (tag, str(final_index)) if final_index is not None else None
        if key is not None and key in position:
            _, _, old_start, old_end = built[position[key]]
            start = old_start if start is None else start
            built[position[key]] = (speaker, text, start, old_end if end is None else end)
        else:
            if key is not None:
                position[key] = len(built)
            built.append((speaker, text, start, end))
    return [Utterance(i, s, t, a, b) for i, (s, t, a, b) in enumerate(built) if t]


# --- Google Speech-to-Text --------------------------------------------------------------


def read_google(data: object) -> list[Utterance]:
    """`results[].alternatives[0]`; with diarization, speaker runs of the last result's words."""
    if isinstance(data, list):
        results, prefix = data, "results"
    else:
        results = as_list(as_dict(data, "google JSON").get("results"), "results")
        prefix = "results"
    alts: list[tuple[dict[str, Any], str, dict[str, Any]]] = []
    for i, item in enumerate(results):
        result = as_dict(item, f"{prefix}[{i}]")
        alternatives = opt_list(result, "alternatives", f"{prefix}[{i}]")
        alt = as_dict(alternatives[0], f"{prefix}[{i}].alternatives[0]") if alternatives else {}
        alts.append((result, f"{prefix}[{i}].alternatives[0]", alt))

    for _, where, alt in reversed(alts):
        words = [
            _google_word(w, f"{where}.words[{j}]")
            for j, w in enumerate(opt_list(alt, "words", where))
        ]
        if any(w.speaker is not None for w in words):
            return speaker_runs(words)

    channels = {str(r.get("channelTag")) for r, _, _ in alts if r.get("channelTag") is not None}
    out: list[Utterance] = []
    for i, (result, where, alt) in enumerate(alts):
        text = opt_text(alt, "transcript", where)
        if not text:
            continue
        words = [
            _google_word(w, f"{where}.words[{j}]")
            for j, w in enumerate(opt_list(alt, "words", where))
        ]
        start = words[0].start if words else None
        end = words[-1].end if words else None
        if end is None:
            end_value = result.get("resultEndTime", result.get("resultEndOffset"))
            end = seconds(end_value, f"{prefix}[{i}].resultEndTime")
        speaker = f"ch_{result.get('channelTag')}" if len(channels) > 1 else None
        out.append(Utterance(i, speaker, text, start, end))
    return out


def _google_word(item: object, where: str) -> Word:
    word = as_dict(item, where)
    speaker: str | None = None
    tag = word.get("speakerTag")
    if isinstance(tag, str) and tag.strip().isdigit():
        tag = int(tag)
    if isinstance(tag, int) and not isinstance(tag, bool) and tag >= 1:
        speaker = str(tag)
    elif word.get("speakerLabel") is not None:
        speaker = speaker_of(word.get("speakerLabel"), f"{where}.speakerLabel")
    start = seconds(word.get("startTime", word.get("startOffset")), f"{where}.startTime")
    end = seconds(word.get("endTime", word.get("endOffset")), f"{where}.endTime")
    return Word(speaker, opt_text(word, "word", where), start, end)
