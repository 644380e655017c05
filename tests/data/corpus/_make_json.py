"""Build the labelled corpus from the annotated sources in ``_src/``.

Run from the repository root::

    .venv/bin/python tests/data/corpus/_make_json.py

Every ``_src/*.src`` file is one call written by hand, with the trainer's marks inline:

    # file: 001_novice_sochi.txt          output file name (in tests/data/corpus/)
    # format: text                        text | asr | vtt | srt | srt_dash | callqa | whisperx |
    #                                     aws_items | aws_segments | deepgram | assemblyai |
    #                                     yandex | google
    # speakers: Менеджер, Клиент          the speaker labels used at the start of source lines
    # manager: Менеджер                   the manager's label as the parsed input shows it
    # items: greeting=true no_exact_price=false      (optional; only items the labeller is sure of)
    # kind: call                          (optional) call | complaint | snippet; by default from
    #                                     the file name (`_snip_` -> snippet, `complaint`)
    # punctuation: none                 (optional) no punctuation in a punctuated format (an
    #                                     ASR export without automatic punctuation)
    # note: free text
    Менеджер: Агентство «Бриз», Ольга, здравствуйте! Как вас зовут?{o}
    Клиент: Игорь. Я не знаю, что выбрать.

Marks, written right after the question mark or the phrase, removed from the output:
``{e}`` expertise, ``{p}`` personal, ``{m}`` motivation, ``{o}`` other question;
``{v:<canonical phrase>}`` a forbidden phrase said by the manager. In punctuated formats a
question the transcriber wrote without ``?`` (as a statement) carries its category with a dash,
``{e-}`` ``{p-}`` ``{m-}`` ``{o-}`` (counted like the plain mark), and a ``?`` that asks nothing of
the client (a rhetorical question the manager answers himself) carries ``{x}`` (not counted).

One non-empty source line is one utterance (one text line, one cue, one JSON element); for
``srt_dash`` the parts of a line separated by `` || `` become the dash lines of one cue. In
``text``/``asr`` a line without a known speaker prefix is written as is and continues the
previous speaker. The script writes the output files and ``labels.yaml`` (utterance indices are
computed here, so they cannot drift from the files; ``question_marks`` lists every counted
question as its utterance index and category, one entry per mark) and checks the marks: only
in the manager's lines, canonical phrases only, and, where the output keeps punctuation, exactly
one question mark per question mark. It also warns where a rough pattern list of the forbidden
phrases disagrees with the marks, so that every warning is a decision the labeller has looked at.

The test and the bench read only the generated files and ``labels.yaml``.
"""

from __future__ import annotations

import json
import random
import re
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "_src"

CANONICAL = [
    "я не знаю",
    "это не ко мне",
    "перезвоните позже",
    "вам перезвонят",
    "вы должны",
    "не волнуйтесь",
    "подождите",
    "вы неправильно поняли",
    "как я уже говорил",
    "ничем не могу помочь",
    "это не наша вина",
    "вы не правы",
    "не могу ничего обещать",
]

# A rough cross-check only (the labels are the marks, not these patterns).
ROUGH = {
    "я не знаю": r"\bне\s?знаю\b",
    "это не ко мне": r"это не ко мне|не моя работа|не в моей компетенции",
    "перезвоните позже": r"перезвоните\s+(?:мне\s+)?(?:позже|попозже|пожже|позжe|завтра)",
    "вам перезвонят": r"\bвам\s+(?:обязательно\s+)?перезвон(?:ят|ит)\b"
    r"|с\s+вами\s+свяж(?:утся|ется)",
    "вы должны": r"\bвы\s+(?:должны|обязаны|обязанны)\b",
    "не волнуйтесь": r"не\s+волнуйтесь|успокойтесь|не\s+переживайте",
    "подождите": r"подождите|минуточку|секундочку|одну\s+секунду",
    "вы неправильно поняли": r"вы\s+(?:меня\s+)?(?:неправильно|не\s+правильно|не\s+так)\s+поняли",
    "как я уже говорил": r"как\s+я\s+уже\s+(?:говорил|говорила|сказал|сказала|гаварила)"
    r"|объясняю\s+ещ[её]\s+раз",
    "ничем не могу помочь": r"ничем\s+не\s+могу\s+помочь|это\s+невозможно"
    r"|ничего\s+не\s+могу\s+сделать",
    "это не наша вина": r"не\s+наша\s+вина|мы\s+не\s+виноваты",
    "вы не правы": r"\bвы\s+не\s+правы\b|\bвы\s+(?:сейчас\s+)?ошибаетесь\b",
    "не могу ничего обещать": r"не\s+могу\s+ничего\s+обещать|ничего\s+не\s+могу\s+обещать"
    r"|ничего\s+не\s+обещаю",
}

CATS = {"e": "expertise", "p": "personal", "m": "motivation", "o": "other"}
MARK = re.compile(r"\{([epmo]-?|x|v:[^}]+)\}")
TS = re.compile(r"^\[\d{1,2}:\d{2}(?::\d{2})?\]\s*")
PUNCTUATED = {
    "text",
    "vtt",
    "srt",
    "srt_dash",
    "callqa",
    "whisperx",
    "aws_items",
    "aws_segments",
    "deepgram",
    "assemblyai",
    "google",
}
ITEM_KEYS = {"greeting", "recording_disclosure", "no_exact_price", "viewing_booked"}


@dataclass
class Line:
    raw: str  # the source line with marks
    speaker: str | None  # resolved speaker (continuations inherit)
    prefixed: bool
    text: str = ""  # text after the prefix, marks removed
    out: str = ""  # the output line for text formats
    questions: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    parts: list[tuple[str | None, str]] = field(default_factory=list)  # (speaker, marked text)


@dataclass
class Call:
    src: Path
    meta: dict[str, str]
    lines: list[Line]

    @property
    def fmt(self) -> str:
        return self.meta["format"]


def strip_marks(s: str) -> str:
    return MARK.sub("", s)


def parse_src(path: Path) -> Call:
    meta: dict[str, str] = {}
    body: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("# ") and not body and ":" in raw:
            k, v = raw[2:].split(":", 1)
            meta[k.strip()] = v.strip()
        elif raw.strip():
            body.append(raw.rstrip())
    for k in ("file", "format", "speakers", "manager"):
        if k not in meta:
            raise SystemExit(f"{path.name}: header '{k}' missing")
    speakers = [s.strip() for s in meta["speakers"].split(",")]
    lines: list[Line] = []
    current: str | None = None
    for raw in body:
        stamp = TS.match(raw)
        rest = raw[stamp.end() :] if stamp else raw
        spk = None
        for s in sorted(speakers, key=len, reverse=True):
            if rest.startswith(s + ":"):
                spk = s
                rest = rest[len(s) + 1 :].lstrip()
                break
        ln = Line(raw=raw, speaker=spk or current, prefixed=spk is not None)
        if spk is None and meta["format"] not in ("text", "asr"):
            raise SystemExit(f"{path.name}: line without a speaker: {raw!r}")
        current = ln.speaker
        ln.parts = [(ln.speaker, rest)]
        if meta["format"] == "srt_dash" and " || " in rest:
            ln.parts = [(ln.speaker, rest.split(" || ")[0])]
            for part in rest.split(" || ")[1:]:
                ps = next((s for s in speakers if part.startswith(s + ":")), None)
                if ps is None:
                    raise SystemExit(f"{path.name}: dash part without a speaker: {part!r}")
                ln.parts.append((ps, part[len(ps) + 1 :].lstrip()))
        for m in MARK.finditer(rest):
            tag = m.group(1)
            if tag.startswith("v:"):
                ln.violations.append(tag[2:])
            elif tag != "x":
                ln.questions.append(CATS[tag[0]])
        ln.text = strip_marks(rest)
        ln.out = strip_marks(raw)
        lines.append(ln)
    return Call(path, meta, lines)


def check(call: Call) -> list[str]:
    """Hard errors; warnings are printed."""
    errors: list[str] = []
    name = call.meta["file"]
    mgr = call.meta["manager"]
    speakers = [s.strip() for s in call.meta["speakers"].split(",")]
    if mgr not in speakers:
        errors.append(f"{name}: manager {mgr!r} not among speakers")
    # `# punctuation: none` writes a punctuated JSON/subtitle format as an ASR engine without
    # automatic punctuation would (lowercase, no marks); checked like ASR text
    punctuated = call.fmt in PUNCTUATED and call.meta.get("punctuation") != "none"
    for i, ln in enumerate(call.lines):
        for spk, marked in ln.parts:
            is_mgr = spk == mgr
            text = strip_marks(marked)
            # marks that stand for a `?` in the text: plain categories and {x} (rhetorical)
            nq = sum(
                1
                for m in MARK.finditer(marked)
                if not m.group(1).startswith("v:") and not m.group(1).endswith("-")
            )
            vs = [m.group(1)[2:] for m in MARK.finditer(marked) if m.group(1).startswith("v:")]
            if MARK.search(marked) and not is_mgr:
                errors.append(f"{name}[{i}]: marks on a non-manager line: {ln.raw}")
            for v in vs:
                if v not in CANONICAL:
                    errors.append(f"{name}[{i}]: not a canonical phrase: {v!r}")
            if punctuated and is_mgr and text.count("?") != nq:
                errors.append(
                    f"{name}[{i}]: {text.count('?')} '?' but {nq} question marks: {ln.raw}"
                )
            if not punctuated and re.search(r"[?!.,;:«»]", text):
                errors.append(f"{name}[{i}]: punctuation in an ASR line: {text}")
            if is_mgr:
                low = text.lower().replace("ё", "е")
                for canon, pat in ROUGH.items():
                    n = len(re.findall(pat, low))
                    k = vs.count(canon)
                    if n != k:
                        print(f"  warn {name}[{i}] {canon!r}: pattern {n}, marks {k}: {text}")
    if call.fmt in {"aws_items", "aws_segments", "google"}:
        for a, b in zip(call.lines, call.lines[1:], strict=False):
            if a.speaker == b.speaker:
                errors.append(f"{name}: two lines of one speaker in a row (turn-based format)")
    return errors


# --------------------------------------------------------------------------- timing


def timed(call: Call) -> list[tuple[float, float, list[tuple[str, float, float]]]]:
    """(start, end, words with times) per line, deterministic."""
    rnd = random.Random(call.meta["file"])
    t = round(rnd.uniform(0.3, 1.2), 2)
    out = []
    for ln in call.lines:
        text = ln.text.replace(" || ", " ")
        words = text.split()
        ws = []
        start = t
        for w in words:
            d = round(0.18 + 0.045 * len(w) + rnd.uniform(0.0, 0.08), 3)
            ws.append((w, round(t, 3), round(t + d, 3)))
            t += d + rnd.choice([0.02, 0.04, 0.06, 0.1])
        end = ws[-1][2] if ws else t
        out.append((round(start, 3), round(end, 3), ws))
        t = end + rnd.uniform(0.35, 1.1)
    return out


def fmt_ts(sec: float, comma: bool = False, short: bool = False) -> str:
    ms = round(sec * 1000)
    h, ms = divmod(ms, 3600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    sep = "," if comma else "."
    if short and h == 0:
        return f"{m:02d}:{s:02d}{sep}{ms:03d}"
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def bare(w: str) -> str:
    return re.sub(r"^[«\"(—–-]+|[»\")?!.,;:…—–]+$", "", w)


# --------------------------------------------------------------------------- writers


def w_text(call: Call) -> str:
    return "\n".join(ln.out for ln in call.lines) + "\n"


def w_vtt(call: Call) -> str:
    fancy = call.meta.get("style") == "fancy"
    out = ["WEBVTT", ""]
    if fancy:
        out += ["NOTE", "Экспорт из колл-трекинга. Спикеры размечены вручную.", ""]
    for i, (ln, (s, e, _)) in enumerate(zip(call.lines, timed(call), strict=True)):
        if fancy:
            out.append(str(i + 1))
        out.append(f"{fmt_ts(s, short=fancy)} --> {fmt_ts(e, short=fancy)}")
        text = ln.text.replace("&", "&amp;")
        voice = f"v.loud {ln.speaker}" if fancy and "!" in ln.text and i % 2 else f"v {ln.speaker}"
        close = "</v>" if fancy and i % 3 == 0 else ""
        out.append(f"<{voice}>{text}{close}")
        out.append("")
    return "\n".join(out)


def w_srt(call: Call) -> str:
    out = []
    for i, (ln, (s, e, _)) in enumerate(zip(call.lines, timed(call), strict=True)):
        out.append(str(i + 1))
        out.append(f"{fmt_ts(s, comma=True)} --> {fmt_ts(e, comma=True)}")
        if call.fmt == "srt_dash" and " || " in ln.text:
            # each part carries its own prefix: "Менеджер: ... || Клиент: ..."
            out.extend(f"- {p.strip()}" for p in strip_marks(ln.raw).split(" || "))
        else:
            out.append(strip_marks(ln.raw))
        out.append("")
    return "\n".join(out)


def w_callqa(call: Call) -> str:
    utts = [
        {"speaker": ln.speaker, "text": ln.text, "start": s, "end": e}
        for ln, (s, e, _) in zip(call.lines, timed(call), strict=True)
    ]
    return json.dumps({"utterances": utts}, ensure_ascii=False, indent=1) + "\n"


def w_whisperx(call: Call) -> str:
    rnd = random.Random("wx" + call.meta["file"])
    segs, allw = [], []
    for ln, (s, e, ws) in zip(call.lines, timed(call), strict=True):
        words = [
            {
                "word": w,
                "start": a,
                "end": b,
                "score": round(rnd.uniform(0.42, 0.99), 3),
                "speaker": ln.speaker,
            }
            for w, a, b in ws
        ]
        segs.append(
            {"start": s, "end": e, "text": " " + ln.text, "words": words, "speaker": ln.speaker}
        )
        allw += words
    return (
        json.dumps(
            {"segments": segs, "word_segments": allw, "language": "ru"},
            ensure_ascii=False,
            indent=1,
        )
        + "\n"
    )


def _aws_items(call: Call, with_ids: bool) -> tuple[list[dict], list[list[int]]]:
    rnd = random.Random("aws" + call.meta["file"])
    items: list[dict] = []
    per_line: list[list[int]] = []
    for ln, (_s, _e, ws) in zip(call.lines, timed(call), strict=True):
        ids = []
        for w, a, b in ws:
            core = bare(w)
            tail = w[len(w.rstrip("?!.,;:…")) :]
            if core:
                it = {
                    "type": "pronunciation",
                    "alternatives": [{"confidence": f"{rnd.uniform(0.6, 1):.3f}", "content": core}],
                    "start_time": f"{a:.3f}".rstrip("0").rstrip("."),
                    "end_time": f"{b:.3f}".rstrip("0").rstrip("."),
                    "speaker_label": ln.speaker,
                }
                if with_ids:
                    it = {"id": len(items), **it}
                ids.append(len(items))
                items.append(it)
            for ch in tail[:1]:
                it = {
                    "type": "punctuation",
                    "alternatives": [{"confidence": "0.0", "content": ch}],
                    "speaker_label": ln.speaker,
                }
                if with_ids:
                    it = {"id": len(items), **it}
                ids.append(len(items))
                items.append(it)
        per_line.append(ids)
    return items, per_line


def aws_text(ln: Line) -> str:
    return " ".join(bare(w) + w[len(w.rstrip("?!.,;:…")) :][:1] for w in ln.text.split() if bare(w))


def w_aws_items(call: Call) -> str:
    items, per_line = _aws_items(call, with_ids=False)
    segments = []
    for ln, ids in zip(call.lines, per_line, strict=True):
        pron = [items[i] for i in ids if items[i]["type"] == "pronunciation"]
        segments.append(
            {
                "start_time": pron[0]["start_time"],
                "speaker_label": ln.speaker,
                "end_time": pron[-1]["end_time"],
                "items": [
                    {
                        "start_time": p["start_time"],
                        "speaker_label": ln.speaker,
                        "end_time": p["end_time"],
                    }
                    for p in pron
                ],
            }
        )
    doc = {
        "jobName": "call-" + Path(call.meta["file"]).stem,
        "accountId": "111122223333",
        "results": {
            "transcripts": [{"transcript": " ".join(aws_text(ln) for ln in call.lines)}],
            "speaker_labels": {"channel_label": "ch_0", "speakers": 2, "segments": segments},
            "items": items,
        },
        "status": "COMPLETED",
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def w_aws_segments(call: Call) -> str:
    items, per_line = _aws_items(call, with_ids=True)
    segs = []
    for n, (ln, ids) in enumerate(zip(call.lines, per_line, strict=True)):
        pron = [items[i] for i in ids if items[i]["type"] == "pronunciation"]
        segs.append(
            {
                "id": n,
                "transcript": aws_text(ln),
                "start_time": pron[0]["start_time"],
                "end_time": pron[-1]["end_time"],
                "speaker_label": ln.speaker,
                "items": ids,
            }
        )
    doc = {
        "jobName": "call-" + Path(call.meta["file"]).stem,
        "accountId": "111122223333",
        "status": "COMPLETED",
        "results": {
            "transcripts": [{"transcript": " ".join(aws_text(ln) for ln in call.lines)}],
            "items": items,
            "audio_segments": segs,
        },
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def w_deepgram(call: Call) -> str:
    rnd = random.Random("dg" + call.meta["file"])
    allw, utts = [], []
    for ln, (s, e, ws) in zip(call.lines, timed(call), strict=True):
        spk = int(ln.speaker or 0)
        words = [
            {
                "word": bare(w).lower(),
                "start": a,
                "end": b,
                "confidence": round(rnd.uniform(0.7, 1), 4),
                "speaker": spk,
                "speaker_confidence": round(rnd.uniform(0.3, 0.95), 4),
                "punctuated_word": w,
            }
            for w, a, b in ws
        ]
        allw += words
        utts.append(
            {
                "start": s,
                "end": e,
                "confidence": round(rnd.uniform(0.85, 0.99), 4),
                "channel": 0,
                "transcript": ln.text,
                "words": words,
                "speaker": spk,
                "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            }
        )
    duration = round(utts[-1]["end"] + 0.8, 3)
    doc = {
        "metadata": {
            "request_id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            "created": "2024-05-14T09:12:44.511Z",
            "duration": duration,
            "channels": 1,
            "models": ["1dbdfb4d-85b2-4659-9831-16b3c76229aa"],
        },
        "results": {
            "channels": [
                {
                    "alternatives": [
                        {
                            "transcript": " ".join(u["transcript"] for u in utts),
                            "confidence": 0.97,
                            "words": allw,
                        }
                    ],
                    "detected_language": "ru",
                }
            ],
            "utterances": utts,
        },
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def w_assemblyai(call: Call) -> str:
    rnd = random.Random("aai" + call.meta["file"])
    allw, utts = [], []
    for ln, (s, e, ws) in zip(call.lines, timed(call), strict=True):
        words = [
            {
                "text": w,
                "start": int(a * 1000),
                "end": int(b * 1000),
                "confidence": round(rnd.uniform(0.7, 1), 5),
                "speaker": ln.speaker,
            }
            for w, a, b in ws
        ]
        allw += words
        utts.append(
            {
                "speaker": ln.speaker,
                "text": ln.text,
                "confidence": round(rnd.uniform(0.85, 0.99), 5),
                "start": int(s * 1000),
                "end": int(e * 1000),
                "words": words,
            }
        )
    doc = {
        "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
        "status": "completed",
        "language_code": "ru",
        "speaker_labels": True,
        "audio_duration": int(utts[-1]["end"] / 1000) + 1,
        "text": " ".join(u["text"] for u in utts),
        "words": allw,
        "utterances": utts,
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def w_yandex(call: Call) -> str:
    chunks = []
    for ln, (_s, _e, ws) in zip(call.lines, timed(call), strict=True):
        tag = (ln.speaker or "").removeprefix("channel_")
        chunks.append(
            {
                "alternatives": [
                    {
                        "words": [
                            {
                                "startTime": f"{a:.3f}s",
                                "endTime": f"{b:.3f}s",
                                "word": w,
                                "confidence": 1,
                            }
                            for w, a, b in ws
                        ],
                        "text": ln.text,
                        "confidence": 1,
                    }
                ],
                "channelTag": tag,
            }
        )
    doc = {
        "done": True,
        "response": {
            "@type": "type.googleapis.com/yandex.cloud.ai.stt.v2.LongRunningRecognitionResponse",
            "chunks": chunks,
        },
        "id": "e03sup6d5h1q" + "********",
        "createdAt": "2024-04-02T08:15:40Z",
        "createdBy": "ajeq1n1m2r5v********",
        "modifiedAt": "2024-04-02T08:16:31Z",
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def w_google(call: Call) -> str:
    rnd = random.Random("g" + call.meta["file"])
    tm = timed(call)
    results = []
    # earlier results: recogniser chunks by pause, two utterances each, no speaker tags
    for k in range(0, len(call.lines), 2):
        pair = list(zip(call.lines[k : k + 2], tm[k : k + 2], strict=True))
        words = [
            {"startTime": f"{a:.1f}s", "endTime": f"{b:.1f}s", "word": w}
            for _ln, (_s, _e, ws) in pair
            for w, a, b in ws
        ]
        results.append(
            {
                "alternatives": [
                    {
                        "transcript": " ".join(ln.text for ln, _ in pair),
                        "confidence": round(rnd.uniform(0.82, 0.95), 7),
                        "words": words,
                    }
                ],
                "resultEndTime": f"{pair[-1][1][1]:.3f}s",
                "languageCode": "ru-ru",
            }
        )
    allw = [
        {
            "startTime": f"{a:.1f}s",
            "endTime": f"{b:.1f}s",
            "word": w,
            "speakerTag": int(ln.speaker or 0),
        }
        for ln, (_s, _e, ws) in zip(call.lines, tm, strict=True)
        for w, a, b in ws
    ]
    results.append(
        {
            "alternatives": [{"transcript": "", "confidence": 0, "words": allw}],
            "resultEndTime": f"{tm[-1][1]:.3f}s",
            "languageCode": "ru-ru",
        }
    )
    return (
        json.dumps(
            {"results": results, "totalBilledTime": f"{int(tm[-1][1]) + 1}s"},
            ensure_ascii=False,
            indent=1,
        )
        + "\n"
    )


WRITERS = {
    "text": w_text,
    "asr": w_text,
    "vtt": w_vtt,
    "srt": w_srt,
    "srt_dash": w_srt,
    "callqa": w_callqa,
    "whisperx": w_whisperx,
    "aws_items": w_aws_items,
    "aws_segments": w_aws_segments,
    "deepgram": w_deepgram,
    "assemblyai": w_assemblyai,
    "yandex": w_yandex,
    "google": w_google,
}

# the format family the bench reports by
FAMILY = {
    "text": "text",
    "asr": "asr_text",
    "vtt": "webvtt",
    "srt": "srt",
    "srt_dash": "srt",
    "callqa": "callqa_json",
    "whisperx": "whisperx",
    "aws_items": "aws_transcribe",
    "aws_segments": "aws_transcribe",
    "deepgram": "deepgram",
    "assemblyai": "assemblyai",
    "yandex": "yandex_v2",
    "google": "google_stt",
}


# --------------------------------------------------------------------------- labels


def yq(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def kind(call: Call) -> str:
    """call (a sales call, the core of the corpus) | complaint | snippet; `# kind:` overrides."""
    if call.meta.get("kind"):
        return call.meta["kind"]
    name = call.meta["file"]
    if "_snip_" in name:
        return "snippet"
    return "complaint" if "complaint" in name else "call"


def label_entry(call: Call) -> str:
    m = call.meta
    q = {c: 0 for c in CATS.values()}
    marks = [(i, c) for i, ln in enumerate(call.lines) for c in ln.questions]
    viols = [(i, v) for i, ln in enumerate(call.lines) for v in ln.violations]
    for _i, c in marks:
        q[c] += 1
    out = [
        f"- file: {m['file']}",
        f"  format: {FAMILY[call.fmt]}",
        f"  kind: {kind(call)}",
        f"  manager: {yq(m['manager'])}",
    ]
    out.append("  questions: {" + ", ".join(f"{k}: {v}" for k, v in q.items()) + "}")
    if marks:
        out.append("  question_marks:")
        out += [f"    - {{utterance: {i}, category: {c}}}" for i, c in marks]
    else:
        out.append("  question_marks: []")
    if viols:
        out.append("  violations:")
        out += [f"    - {{utterance: {i}, phrase: {yq(v)}}}" for i, v in viols]
    else:
        out.append("  violations: []")
    if m.get("items"):
        pairs = [kv.split("=") for kv in m["items"].split()]
        for k, v in pairs:
            if k not in ITEM_KEYS or v not in ("true", "false"):
                raise SystemExit(f"{m['file']}: bad item {k}={v}")
        out.append("  items: {" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}")
    if m.get("note"):
        out.append(f"  note: {yq(m['note'])}")
    return "\n".join(out)


def main() -> int:
    calls = [parse_src(p) for p in sorted(SRC.glob("*.src"))]
    errors: list[str] = []
    names = set()
    for c in calls:
        if c.meta["file"] in names:
            errors.append(f"duplicate file {c.meta['file']}")
        names.add(c.meta["file"])
        errors += check(c)
    if errors:
        print("\n".join(errors))
        return 1
    entries = []
    for c in calls:
        (HERE / c.meta["file"]).write_text(WRITERS[c.fmt](c), encoding="utf-8")
        entries.append(label_entry(c))
    header = (
        "# Labels of the callqa evaluation corpus; see README.md for the rules applied.\n"
        "# Generated by _make_json.py from the hand-marked sources in _src/ (edit those).\n"
    )
    (HERE / "labels.yaml").write_text(header + "\n".join(entries) + "\n", encoding="utf-8")
    tot = {c: 0 for c in CATS.values()}
    nv = 0
    for c in calls:
        for ln in c.lines:
            for q in ln.questions:
                tot[q] += 1
            nv += len(ln.violations)
    print(f"{len(calls)} calls written; questions {tot}; violations {nv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
