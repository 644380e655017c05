"""Turning raw input into text or parsed JSON, with errors a user can act on.

Uploads come from telephony platforms, Windows desktops and scripts alike, so bytes may be
UTF-8 (with or without BOM), UTF-16/32 with a BOM, or cp1251 (Russian Windows). Binary files
(audio, images, archives) must be refused early with a reason, not parsed into garbage.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

from app.engine.errors import TranscriptError
from app.engine.reasons import reason

# Longest BOM first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Control characters other than tab, LF, VT, FF, CR (and DEL, C1 controls).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# What a Russian or English call transcript is made of, for judging a cp1251 decode.
_TEXTUAL = re.compile(r"[\t\n\r\x20-\x7e\u0401\u0410-\u044f\u0451«»—–№…‘’“”„\xa0]")
_CYRILLIC_WORD = re.compile(r"[\u0401\u0410-\u044f\u0451]+")
_MIXED_SCRIPT = re.compile(
    r"[A-Za-z][\u0401\u0410-\u044f\u0451]|[\u0401\u0410-\u044f\u0451][A-Za-z]"
)
_SAMPLE = 8192
_CONTROL_SAMPLE = 1024
_MAX_CONTROL_SHARE = 0.05
_MIN_TEXTUAL_SHARE = 0.95
# A JSON array starts with a value; "[00:01:10] Менеджер: ..." or "[Менеджер]" is text.
_JSON_ARRAY_START = re.compile(
    r'\[\s*(?:[\[{"\]]|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\s*[,\]]|true|false|null)'
)


def decode_bytes(data: bytes) -> str:
    """Decode uploaded bytes: BOM, then strict UTF-8, then cp1251 if it reads as Russian text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return check_text(data[len(bom) :].decode(encoding))
            except UnicodeDecodeError as exc:
                raise TranscriptError(
                    reason("bom_invalid", encoding=encoding.upper(), offset=exc.start + len(bom))
                ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise TranscriptError(reason("binary_nul_bytes", offset=nul))
    try:
        return check_text(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        text = ""
    if text and _mostly_textual(text):
        return check_text(text)
    raise TranscriptError(reason("not_utf8_or_cp1251", offset=utf8_error.start))


def _mostly_textual(text: str) -> bool:
    """A cp1251 decode that reads as Russian: textual characters, and no "Cafй"-style words.

    Latin-1 or other single-byte text also decodes as cp1251, but then Cyrillic letters land
    inside Latin words; real Russian text almost never glues the two scripts together.
    """
    sample = text[:_SAMPLE]
    textual = len(_TEXTUAL.findall(sample))
    if textual < _MIN_TEXTUAL_SHARE * len(sample):
        return False
    cyrillic_words = len(_CYRILLIC_WORD.findall(sample))
    return len(_MIXED_SCRIPT.findall(sample)) <= 0.02 * max(cyrillic_words, 1)


def check_text(text: str) -> str:
    """Drop a leading BOM and refuse text that is really binary (NULs, mostly control chars)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    nul = text.find("\x00")
    if nul >= 0:
        raise TranscriptError(reason("binary_nul_char", position=nul))
    sample = text[:_CONTROL_SAMPLE]  # binary noise shows at once; keeps this check ~10 us
    if _CONTROL.search(sample) is not None:
        controls = len(_CONTROL.findall(sample))
        if controls > _MAX_CONTROL_SHARE * len(sample):
            raise TranscriptError(reason("binary_controls", controls=controls, length=len(sample)))
    return text


def looks_like_json(text: str) -> bool:
    """True if the text is meant as JSON: it starts with "{", or "[" and a JSON value."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return True
    return _JSON_ARRAY_START.match(stripped) is not None


def parse_json(text: str) -> Any:
    """Parse JSON, or NDJSON (one object a line, as Yandex SpeechKit v3 streams results)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and text.lstrip().startswith("{"):
            ndjson = _parse_ndjson(text)
            if ndjson is not None:
                return ndjson
        raise TranscriptError(
            reason("json_invalid", error=exc.msg, line=exc.lineno, column=exc.colno)
        ) from None
    except RecursionError:
        raise TranscriptError(reason("json_too_deep")) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise TranscriptError(reason("json_unreadable", error=str(exc)[:120])) from None


def _parse_ndjson(text: str) -> list[Any] | None:
    items: list[Any] = []
    for line in text.splitlines():
        if line.strip():
            try:
                items.append(json.loads(line))
            except (ValueError, RecursionError):
                return None
    return items
