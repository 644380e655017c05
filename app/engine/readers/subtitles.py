"""WebVTT and SRT: one utterance per cue, index = cue position in the file (0-based).

Speakers come from WebVTT voice spans (`<v Name>`, `<v.class Name>`), else from a speaker
label at the start of the cue text ("Менеджер: ...", same rule as plain text). An SRT cue with
dialogue dashes holds several speakers and gives several utterances with the same index. A
cue with no speaker marks gets speaker None: subtitles mark every change, so guessing a
continuation would be wrong as often as right.

webvtt-py and pysrt both skip or silently "repair" malformed cues (pysrt reads "00:0x:01,000"
as one second), so timing lines are checked here first and a bad one is named in the error.
"""

from __future__ import annotations

import html
import re

import pysrt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from app.engine.errors import TranscriptError
from app.engine.model import Utterance
from app.engine.readers.text import accepted_labels, split_label
from app.engine.reasons import reason

_VTT_TIME = r"(?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3}"
_SRT_TIME = r"\d+:\d{1,2}:\d{1,2}[,.]\d{1,3}"
# A cue timing line of either format (used by detection and the mixed-input check).
TIMING_LINE = re.compile(
    rf"\s*({_VTT_TIME}|{_SRT_TIME})\s*-->\s*({_VTT_TIME}|{_SRT_TIME})(?:\s.*)?"
)
_VTT_STAMP = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2})\.(\d{1,3})")
_SRT_STAMP = re.compile(r"(\d+):(\d{1,2}):(\d{1,2})[,.](\d{1,3})")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>")
_TAG = re.compile(r"<[^<>]*>|\{\\[^{}]*\}")  # HTML-ish cue tags and SSA "{\an8}" overrides
_DASH = re.compile(r"[-–—](?=\s|[^\W\d_])\s*")


def clean_cue_text(text: str) -> str:
    """Cue text as plain words: tags stripped, entities decoded, lines joined with a space."""
    text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return " ".join(text.split())


def _labelled(
    parts: list[tuple[int, str | None, str, float | None, float | None]],
) -> list[Utterance]:
    """Utterances from (index, voice, text, start, end); unvoiced text may carry a label."""
    split = [(p, split_label(p[2]) if p[1] is None else (None, p[2])) for p in parts]
    speakers = accepted_labels(label for _, (label, _) in split)
    out: list[Utterance] = []
    for (index, voice, text, start, end), (label, rest) in split:
        speaker = voice
        if label is not None and label in speakers:
            speaker, text = speakers[label], rest
        if text:
            out.append(Utterance(index, speaker, text, start, end))
    return out


# --- WebVTT -----------------------------------------------------------------------------


def read_vtt(text: str) -> list[Utterance]:
    """Read WebVTT with webvtt-py; a missing "WEBVTT" header is tolerated when cues follow."""
    text = text.lstrip("\ufeff").lstrip()
    if not text.startswith("WEBVTT"):
        if not any(TIMING_LINE.fullmatch(line.strip()) for line in text.split("\n", 3)[:3]):
            raise TranscriptError(reason("vtt_no_header"))
        text = "WEBVTT\n\n" + text
    try:
        captions = webvtt.from_string(text).captions
    except (MalformedFileError, MalformedCaptionError) as exc:
        _check_vtt_cues(text)
        raise TranscriptError(reason("vtt_unreadable", error=str(exc))) from None
    if len(captions) != text.count("-->"):
        _check_vtt_cues(text)  # raises naming a cue that the library dropped, if there is one
    parts: list[tuple[int, str | None, str, float | None, float | None]] = []
    for index, caption in enumerate(captions):
        start = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        for voice, raw in _voice_segments(caption.raw_text):
            parts.append((index, voice, clean_cue_text(raw), start, end))
    return _labelled(parts)


def _voice_segments(raw: str) -> list[tuple[str | None, str]]:
    """Split cue text at voice spans; text before the first span has no voice."""
    if "<v" not in raw:
        return [(None, raw)]
    pieces = _VOICE.split(raw)
    segments: list[tuple[str | None, str]] = []
    if clean_cue_text(pieces[0]):
        segments.append((None, pieces[0]))
    for i in range(1, len(pieces), 2):
        voice = " ".join(html.unescape(pieces[i] or "").split()) or None
        if segments and segments[-1][0] == voice:
            segments[-1] = (voice, segments[-1][1] + " " + pieces[i + 1])
        else:
            segments.append((voice, pieces[i + 1]))
    return segments


def _check_vtt_cues(text: str) -> None:
    """Raise for the first cue that webvtt-py would drop (bad timing line), if any."""
    cue = 0
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = block.strip("\n").split("\n")
        arrows = [i for i, line in enumerate(lines) if "-->" in line]
        if not arrows or lines[0].startswith("NOTE"):
            continue
        cue += 1
        if arrows[0] > 1:
            raise TranscriptError(reason("vtt_timing_position", cue=cue))
        left, _, right = lines[arrows[0]].partition("-->")
        for stamp in (left.strip(), (right.split() or [""])[0]):
            m = _VTT_STAMP.fullmatch(stamp)
            if m is None or int(m[2]) > 59 or int(m[3]) > 59:
                raise TranscriptError(reason("vtt_bad_timestamp", cue=cue, stamp=stamp))


# --- SRT --------------------------------------------------------------------------------


def read_srt(text: str) -> list[Utterance]:
    """Read SRT with pysrt, after checking each block so that garbage is not read silently."""
    lines = text.lstrip("\ufeff").splitlines()
    parts: list[tuple[int, str | None, str, float | None, float | None]] = []
    cue = -1
    block: list[str] = []
    first_line = 0
    for number, line in enumerate([*lines, ""], start=1):
        if line.strip():
            if not block:
                first_line = number
            block.append(line)
            continue
        if not block:
            continue
        arrow = next((i for i, b in enumerate(block[:2]) if "-->" in b), None)
        if arrow is None:
            if any("-->" in b for b in block):
                raise TranscriptError(reason("srt_timing_position", line=first_line))
            if cue < 0:
                raise TranscriptError(
                    reason("srt_not_srt", line=first_line, text=block[0].strip()[:40])
                )
            # Text after a blank line inside a cue: it belongs to that cue.
            index, _, body, start, end = parts[-1]
            parts[-1] = (index, None, body + "\n" + "\n".join(block), start, end)
        else:
            cue += 1
            parts.append(_srt_cue(cue, block[max(arrow - 1, 0) :], first_line + arrow))
        block = []
    return _labelled([p for raw in parts for p in _dialogue_parts(raw)])


def _srt_cue(
    cue: int, block: list[str], timing_line: int
) -> tuple[int, str | None, str, float | None, float | None]:
    timing = block[1] if "-->" not in block[0] else block[0]
    left, _, right = timing.partition("-->")
    for stamp in (left.strip(), (right.split() or [""])[0]):
        m = _SRT_STAMP.fullmatch(stamp)
        if m is None or int(m[2]) > 59 or int(m[3]) > 59:
            raise TranscriptError(
                reason("srt_bad_timestamp", cue=cue + 1, line=timing_line, stamp=stamp)
            )
    try:
        item = pysrt.SubRipItem.from_lines(block)
    except pysrt.Error as exc:
        raise TranscriptError(
            reason("srt_unreadable", cue=cue + 1, line=timing_line, error=repr(exc))
        ) from None
    return (cue, None, str(item.text), item.start.ordinal / 1000, item.end.ordinal / 1000)


def _dialogue_parts(
    part: tuple[int, str | None, str, float | None, float | None],
) -> list[tuple[int, str | None, str, float | None, float | None]]:
    """Split a cue at dialogue dashes ("- Да?\\n- Нет."): one part per speaker, same index."""
    index, _, raw, start, end = part
    lines = [line for line in (_TAG.sub("", x).strip() for x in raw.split("\n")) if line]
    if not lines:
        return []
    groups: list[list[str]] = []
    for line in lines:
        dash = _DASH.match(line)
        if dash is not None or not groups:
            groups.append([line[dash.end() :] if dash is not None else line])
        else:
            groups[-1].append(line)
    if len(groups) == 1 and _DASH.match(lines[0]) is None:
        return [(index, None, clean_cue_text(raw), start, end)]
    return [(index, None, clean_cue_text(" ".join(g)), start, end) for g in groups]
