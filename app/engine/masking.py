"""Masking personal data in what is stored of a call: phone numbers, e-mails, card numbers
and passport numbers, written in digits or said as number words.

Speech-to-text writes "+7 (916) 123-45-67" as well as "восемь девятьсот шестнадцать сто
двадцать три сорок пять шестьдесят семь", so a number is read as a run of digit groups and
number words (the language file's `numbers`) joined by spaces, hyphens, brackets or commas,
spoken groups composed the way they are said ("девятьсот шестнадцать" is 916). A run is then:

* a card number: 13-19 digits that pass the Luhn check (`stdnum.luhn`); a failing run is
  some other number and stays;
* a passport's series or number: 4-10 digits after a `masking.passport` word;
* a phone number: 11 digits opening with 7 or 8, 10 opening with 9, 11-13 after "+", or 5-12
  after a `masking.phone` word.

An amount of money is never masked: a run followed by the currency or a scale word ("рублей",
"тысяч", "₽") or after a price word ("стоит", "итого") stays, so prices and the price item read
the same. A mask keeps the text's length (each letter and digit becomes `*`), so question
spans and evidence offsets stay valid and what kind of datum was there stays visible.

Masking runs after scoring (`Masker.mask_result`): the score is that of the unmasked call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import compress
from typing import Any, NamedTuple

from stdnum import luhn

from app.engine.checklist import Checklist
from app.engine.model import Transcript, Utterance
from app.engine.result import Evidence, ScoreResult
from app.engine.text import fold, has_digit, inflections, lemma

MASK = "*"
_WORD = re.compile(r"\w+")  # \w, not [^\W_]: several times faster, and speech has no "_"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_JOINS = re.compile(r"[\s()\-‐–—+,]*")  # what may stand between the groups of one number
_MASKED = re.compile(r"[^\W_]")
_FIGURE = re.compile(r"\d*(?:[.,:]\d+)+")  # "1.25", "00:01:02.5": a time or a confidence
_CURRENCY_SIGNS = ("₽", "$", "€")
_CONTEXT_WORDS = 6  # a passport or phone word this many words before the number


class Found(NamedTuple):
    """Characters [start, end) of the text hold a datum of `kind`."""

    start: int
    end: int
    kind: str  # "phone", "email", "card", "passport"


@dataclass(frozen=True, slots=True)
class Masker:
    """Masking compiled for one language file."""

    units: dict[str, int]  # number words in every form: "восемь", "восьми" -> 8
    money: frozenset[str]  # lemmas after an amount: the currency and the scales
    price_words: frozenset[str]
    passport: frozenset[str]
    phone: frozenset[str]
    email_at: frozenset[str]  # "@" said aloud, folded: "собака"
    spoken_email: re.Pattern[str] | None  # "ivan собака mail точка ru"

    @classmethod
    def build(cls, lang: dict[str, Any]) -> Masker:
        numbers, words = lang.get("numbers", {}), lang.get("masking") or {}

        def lemmas(values: Sequence[str]) -> frozenset[str]:
            return frozenset(lemma(fold(w)) for w in values)

        units = {
            form: int(v)
            for k, v in numbers.get("units", {}).items()
            if float(v).is_integer()  # "полтора" is no digit
            for form in inflections(k)
        }
        return cls(
            units=units,
            money=lemmas([*numbers.get("currency", []), *numbers.get("scales", {})]),
            price_words=lemmas(numbers.get("price_words", [])),
            passport=lemmas(words.get("passport", [])),
            phone=lemmas(words.get("phone", [])),
            email_at=frozenset(fold(w) for w in words.get("email_at", [])),
            spoken_email=_spoken_email(words.get("email_at", []), words.get("email_dot", [])),
        )

    def find(self, text: str) -> list[Found]:
        """Every datum to mask in the text, in order."""
        if _FIGURE.fullmatch(text):
            return []  # a time or a confidence, as JSON transcripts write them
        found = []
        if "@" in text:
            found = [Found(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
        folded = fold(text)
        if len(folded) != len(text):  # lowercasing changed lengths ("İ"): keep the offsets
            folded = "".join(c if len(fold(c)) != 1 else fold(c) for c in text)
        said = _WORD.findall(folded)
        if self.spoken_email is not None and not self.email_at.isdisjoint(said):
            found += [Found(m.start(), m.end(), "email") for m in self.spoken_email.finditer(text)]
        digit = has_digit(text)
        if not digit and self.units.keys().isdisjoint(said):
            return found  # most utterances: no digit, no number word
        values: list[int | str | None] = list(map(self.units.get, said))
        if digit:
            for k in compress(range(len(said)), map(str.isdigit, said)):
                values[k] = said[k]
        words: list[tuple[int, int, str]] = []  # offsets, found only for a long enough run
        for first, end in _runs(values):
            if len(_digits(values[first:end])) < 4:
                continue  # most runs: "две комнаты", "в 11 часов"
            if not words:
                words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(folded)]
            for a, b in _joined(text, words, first, end):
                inside = _inside(found, words[a][0])
                kind = None if inside else self._kind(text, words, values, a, b)
                if kind:
                    found.append(Found(words[a][0], words[b - 1][1], kind))
        found.sort()
        return found

    def mask(self, text: str) -> str:
        """The text with every datum's letters and digits replaced by `*`, same length."""
        found = self.find(text)
        if not found:
            return text
        parts, at = [], 0
        for start, end, _ in found:
            start = max(start, at)  # a number inside an e-mail is masked with it
            if end > start:
                parts += [text[at:start], _MASKED.sub(MASK, text[start:end])]
                at = end
        parts.append(text[at:])
        return "".join(parts)

    def mask_value(self, value: Any) -> Any:
        """A transcript as sent, masked: the text line by line (a line is an utterance), or
        every string of its JSON; word-level records (Deepgram's and WhisperX's `words`,
        Amazon's `items`) hold a number one word per record, so their words are also read
        across the records, as one text."""
        if isinstance(value, str):
            return "\n".join(map(self.mask, value.split("\n")))
        if isinstance(value, list):
            masked = [self.mask_value(v) for v in value]
            if len(masked) > 1 and all(isinstance(v, dict) for v in masked):
                self._mask_across(masked)
            return masked
        if isinstance(value, dict):
            return {k: self.mask_value(v) for k, v in value.items()}
        return value

    def _mask_across(self, records: list[dict[str, Any]]) -> None:
        """Mask, in place, the one-word strings at one place of every record that a datum
        read across the records covers."""
        leaves = [dict(_leaves(r)) for r in records]
        for path in {p for record in leaves for p in record}:
            said = [record.get(path) for record in leaves]
            if any(w is not None and (not w or " " in w) for w in said) or all(
                w is None or _FIGURE.fullmatch(w) for w in said
            ):
                continue  # not words: sentences, empty strings, times or confidences
            starts, at = [], 0
            for w in said:
                starts.append(at)
                at += len(w) + 1 if w is not None else 0
            found = self.find(" ".join(w for w in said if w is not None))
            for record, w, start in zip(records, said, starts, strict=True):
                if w is not None and any(f.start < start + len(w) and start < f.end for f in found):
                    _put(record, path, _MASKED.sub(MASK, w))

    def mask_result(self, result: ScoreResult) -> ScoreResult:
        """The result with its transcript, questions, evidence, violations and the texts of
        its metrics masked; every figure stays. A quoted excerpt is masked as it stands in its
        utterance, so a number read out after "телефон" is masked in the quote too."""
        utterances = result.transcript.utterances
        masked = tuple(
            u if (text := self.mask(u.text)) is u.text else replace(u, text=text)
            for u in utterances
        )
        by_index: dict[int, list[tuple[Utterance, Utterance]]] = {}
        for u, m in zip(utterances, masked, strict=True):
            by_index.setdefault(u.index, []).append((u, m))

        def quote(index: int | None, text: str) -> str:
            for u, m in by_index.get(index, []) if index is not None else ():
                at = u.text.find(text)
                if at >= 0:
                    return m.text[at : at + len(text)]
            return self.mask(text)

        def evidence(e: Evidence) -> Evidence:
            note = self.mask(e.note) if e.note is not None else None
            return e._replace(text=quote(e.utterance, e.text), note=note)

        return replace(
            result,
            manager=replace(result.manager, reason=self.mask(result.manager.reason)),
            items=tuple(
                replace(i, evidence=tuple(map(evidence, i.evidence)), detail=self.mask(i.detail))
                for i in result.items
            ),
            questions=tuple(q._replace(text=quote(q.utterance, q.text)) for q in result.questions),
            violations=tuple(
                v._replace(matched=quote(v.utterance, v.matched)) for v in result.violations
            ),
            metrics={k: self.mask_value(v) for k, v in result.metrics.items()},
            transcript=Transcript(masked, result.transcript.format),
        )

    def _kind(
        self,
        text: str,
        words: list[tuple[int, int, str]],
        values: list[int | str | None],
        first: int,
        end: int,
    ) -> str | None:
        """What the run of words first..end-1 is, or None: a run of digits that is money or
        no datum stays."""
        digits = _digits(values[first:end])
        n = len(digits)
        if n < 4 or self._is_money(text, words, first, end):
            return None
        if 13 <= n <= 19 and luhn.is_valid(digits):
            return "card"
        before = {lemma(w) for _, _, w in words[max(0, first - _CONTEXT_WORDS) : first]}
        if 4 <= n <= 10 and not self.passport.isdisjoint(before):
            return "passport"
        plus = text[: words[first][0]].rstrip(" (").endswith("+")
        if (
            (n == 11 and digits[0] in "78")
            or (n == 10 and digits[0] == "9")
            or (plus and 11 <= n <= 13)
            or (5 <= n <= 12 and not self.phone.isdisjoint(before))
        ):
            return "phone"
        return None

    def _is_money(self, text: str, words: list[tuple[int, int, str]], first: int, end: int) -> bool:
        """Whether the number is an amount: the currency or a scale after it, a price word
        just before it."""
        after = text[words[end - 1][1] :].lstrip()
        if after.startswith(_CURRENCY_SIGNS):
            return True
        if end < len(words) and lemma(words[end][2]) in self.money:
            return True
        return any(lemma(w) in self.price_words for _, _, w in words[max(0, first - 2) : first])


def _digits(values: Sequence[int | str | None]) -> str:
    """The digits of a run: written groups as they are, number words composed the way they are
    said ("девятьсот шестнадцать" 916, "сорок пять" 45, "ноль" 0 on its own)."""
    out: list[str] = []
    group = 0
    places = ""  # the places the spoken group has filled: h(undreds), t(ens), o(nes)

    def flush() -> None:
        nonlocal group, places
        if places:
            out.append(str(group))
        group, places = 0, ""

    for v in values:
        if isinstance(v, str) or not v:  # digits as written, or "ноль": a group of their own
            flush()
            out.append(str(v))
            continue
        if v >= 100:
            place = "h"
        elif v >= 20:
            place = "t"
        elif v >= 10:
            place = "to"  # a teen fills the tens and the ones
        else:
            place = "o"
        if any(p in places for p in place) or (place == "h" and places):
            flush()
        group += v
        places += place
    flush()
    return "".join(out)


def _spoken_email(at: Sequence[str], dot: Sequence[str]) -> re.Pattern[str] | None:
    """An e-mail as speech-to-text writes it: a name, the word for "@", a domain and at least
    one word for "." with what follows it ("ivan собака mail точка ru")."""
    if not at or not dot:
        return None
    said_at = "|".join(map(re.escape, at))
    said_dot = "|".join(map(re.escape, dot))
    return re.compile(
        rf"[^\W_][\w.-]*\s+(?:{said_at})\s+[^\W_][\w-]*(?:\s+(?:{said_dot})\s+[^\W_]{{2,}})+",
        re.IGNORECASE,
    )


def _runs(values: list[int | str | None]) -> list[tuple[int, int]]:
    """[first, end) of each run of consecutive words that are numbers."""
    runs: list[tuple[int, int]] = []
    first = None
    for k, v in enumerate([*values, None]):
        if v is None:
            if first is not None:
                runs.append((first, k))
            first = None
        elif first is None:
            first = k
    return runs


def _joined(
    text: str, words: list[tuple[int, int, str]], first: int, end: int
) -> list[tuple[int, int]]:
    """The run first..end-1 cut where other than spaces, hyphens, brackets or commas stand
    between two numbers ("в 12. 45 минут" is two)."""
    parts, start = [], first
    for k in range(first + 1, end):
        if not _JOINS.fullmatch(text, words[k - 1][1], words[k][0]):
            parts.append((start, k))
            start = k
    parts.append((start, end))
    return parts


_Path = tuple[str | int, ...]


def _leaves(value: Any, path: _Path = (), depth: int = 3) -> list[tuple[_Path, str]]:
    """The strings of a JSON value a few levels deep, each with its path."""
    if isinstance(value, str):
        return [(path, value)]
    if depth == 0:
        return []
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    return [leaf for k, v in items for leaf in _leaves(v, (*path, k), depth - 1)]


def _put(value: Any, path: _Path, text: str) -> None:
    for key in path[:-1]:
        value = value[key]
    value[path[-1]] = text


def _inside(found: list[Found], at: int) -> bool:
    return any(f.start <= at < f.end for f in found)


_MASKERS: dict[tuple[str, str], Masker] = {}
_MAX_MASKERS = 64


def masker(checklist: Checklist) -> Masker:
    """The masker for a checklist's language, compiled once per checklist version."""
    key = (checklist.key, checklist.version)
    got = _MASKERS.get(key)
    if got is None:
        if len(_MASKERS) >= _MAX_MASKERS:
            _MASKERS.clear()
        got = _MASKERS[key] = Masker.build(checklist.lang)
    return got
