"""Plain-text transcripts: one turn a line, with speaker labels and optional timestamps.

The speaker rule (shared with subtitle cue text): a line starts with a *label* and a colon.
A label is 1-3 words, at most 40 characters, starts with a letter and holds only letters,
digits, "_", "-", "." and "'" (no sentence punctuation), and the colon is not followed by a
digit or "/" (so "в 10:30" and "http://" are not labels). A candidate label counts as a speaker
if it is a known role ("Менеджер", "Клиент", "М", "К", "Оператор", "Agent", "SPEAKER_00",
"Speaker 1", "Спикер 2" ...) or if the same label (ignoring case) starts at least two lines;
so "Итак: ..." written once stays text. Labels keep their spelling, trimmed; all spellings
that differ only in case take the first one seen.

A line without a speaker continues the previous speaker (its own utterance and index); while no
speaker has been seen it has speaker None. A line with a label and no text sets the speaker for
the lines that follow and yields no utterance, but still takes its index. Index = n-th non-empty
line, 0-based (DESIGN.md contract).

Timestamps may lead a line: "[00:01:10]", "(1:10)", "[00:01:10 - 00:01:15]" (start and end),
or bare "00:01:10.500"; a bare "mm:ss" counts only when a speaker label follows, so that
"10:30 подойдёт" stays text. "Менеджер [00:01:10]: ..." is read too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from app.engine.language import speaker_roles
from app.engine.model import Utterance

_TIME = r"\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?"
_RANGE_SEP = r"\s*(?:-->|-|–|—)\s*"
_LABEL = r"[^\W\d_][\w.'’-]*(?:[ \t]+[\w.'’-]+){0,2}"

_LINE = re.compile(
    rf"""
    (?:
        [\[(]\s*(?P<bt1>{_TIME})(?:{_RANGE_SEP}(?P<bt2>{_TIME}))?\s*[\])]\s*
      | (?P<t1>{_TIME})(?:{_RANGE_SEP}(?P<t2>{_TIME}))?(?:\s+|$|(?=[^\W\d_]))
    )?
    (?:
        (?P<label>{_LABEL})
        (?:\s*[\[(]\s*(?P<lt1>{_TIME})(?:{_RANGE_SEP}(?P<lt2>{_TIME}))?\s*[\])])?
        \s*:(?![/\d])
    )?
    \s*(?P<text>.*)
    """,
    re.VERBOSE | re.DOTALL,
)

# The usual line, "Менеджер: текст": a one-word label right before the colon, no times. Where
# it matches, `_LINE` reads the line the same way (its first try), so its groups are skipped.
_PLAIN_LINE = re.compile(r"([^\W\d_][\w.'’-]*):(?![/\d])\s*(.*)", re.DOTALL)

_CUE_LABEL = re.compile(rf"({_LABEL})\s*:(?![/\d])\s*(.*)", re.DOTALL)

_NUMBERED_ROLE = re.compile(
    r"(?:speaker|спикер|говорящий|участник|spk|channel|канал|голос)[ _]?\d{1,3}",
    re.IGNORECASE,
)
_MAX_LABEL_CHARS = 40


def parse_time(value: str) -> float:
    """Seconds of "h:mm:ss[.fff]", "mm:ss" or "m:ss,fff"."""
    value = value.replace(",", ".")
    seconds = 0.0
    for part in value.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def is_known_role(label: str) -> bool:
    """True for role names that are speakers even if they occur once."""
    key = label.casefold()
    return key in speaker_roles() or _NUMBERED_ROLE.fullmatch(key) is not None


def split_label(line: str) -> tuple[str | None, str]:
    """A candidate speaker label and the rest of a cue line, without judging the label."""
    line = line.strip()
    m = _CUE_LABEL.match(line)
    if m is None or len(m[1]) > _MAX_LABEL_CHARS:
        return None, line
    return " ".join(m[1].split()), m[2].strip()


def accepted_labels(labels: Iterable[str | None]) -> dict[str, str]:
    """Map labels that count as speakers (see module doc) to the first spelling of their case."""
    # Counted in C, in order of first appearance; a label is never empty, so filter(None)
    # drops exactly the lines without one.
    counts = Counter(filter(None, labels))
    by_key: dict[str, tuple[str, int]] = {}
    for label, n in counts.items():
        key = label.casefold()
        first, total = by_key.get(key, (label, 0))
        by_key[key] = (first, total + n)
    return {
        label: by_key[label.casefold()][0]
        for label in counts
        if by_key[label.casefold()][1] >= 2 or is_known_role(label)
    }


def read_text(text: str) -> list[Utterance]:
    """Read a plain-text call (module doc has the rules)."""
    # Pass 1: split every non-empty line into label, text, text-if-label-is-not-a-speaker, times.
    rows: list[tuple[str | None, str, str, float | None, float | None]] = []
    pending: tuple[str | None, str | None] = (None, None)  # from a line holding only a time
    line_match, plain_match = _LINE.match, _PLAIN_LINE.match
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip()
        if not line:
            continue
        plain = plain_match(line) if pending[0] is None else None
        if plain is not None and len(plain[1]) <= _MAX_LABEL_CHARS:
            rows.append((plain[1], plain[2], line, None, None))
            continue
        m = line_match(line)
        assert m is not None  # every part of the pattern is optional
        bt1, bt2, t1, t2, label, lt1, lt2, body = m.groups()
        if bt1 is not None:
            t1, t2 = bt1, bt2
        elif t1 is not None and label is None and t1.count(":") < 2:
            t1 = t2 = None  # a bare "10:30" without a label is text
            body = line
        if t1 is None and lt1 is not None:
            t1, t2 = lt1, lt2
        if label is None and not body:
            rows.append((None, "", "", None, None))  # a line with only a timestamp
            pending = (t1, t2)
            continue
        if t1 is None and pending[0] is not None:
            t1, t2 = pending
        pending = (None, None)
        fallback = body
        if label is not None:
            fallback = line[m.start("label") :]
            if "  " in label or "\t" in label:
                label = " ".join(label.split())
            if len(label) > _MAX_LABEL_CHARS:
                label, body = None, fallback
        if t1 is None:
            rows.append((label, body, fallback, None, None))
        else:
            end = parse_time(t2) if t2 is not None else None
            rows.append((label, body, fallback, parse_time(t1), end))

    # Pass 2: keep only labels that count as speakers; unlabelled lines continue a speaker.
    speakers = accepted_labels([row[0] for row in rows])
    utterances: list[Utterance] = []
    current: str | None = None
    for index, (label, body, fallback, start, end) in enumerate(rows):
        if label is not None:
            speaker = speakers.get(label)
            if speaker is None:
                body = fallback
            else:
                current = speaker
        if body:
            utterances.append(Utterance(index, current, body, start, end))
    return utterances
