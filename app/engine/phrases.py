"""Forbidden phrases in the manager's speech, each paired with its approved replacement.

Exact matching runs on lemmas and forms through one pattern index. Speech-to-text merges
and typos ("незнаю", "перезвоните пожже") leave words the dictionary does not know; only
around such words are short windows compared with rapidfuzz, so the fuzzy step costs
nothing on clean speech. A negation inside or just before a match cancels it: "вы не
должны платить" is not "вы должны"; so does a clause that reports words instead of saying
them ("я же не говорю, что вы обязаны", "юрист сказал, что вы должны"), and a phrase's own
`unless` patterns in the sentence ("водитель вам позвонит, когда подъедет").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from app.engine.checklist import ForbiddenPhrase
from app.engine.patterns import Matcher, compile_pattern
from app.engine.result import Violation
from app.engine.speech import Turn
from app.engine.text import Tokens, fold, lemma, person

_GAP = 1  # one inserted word: "вы меня неправильно поняли"
_FUZZY_CUTOFF = 86.0
_MIN_FUZZY_LEN = 6
_MAX_WINDOW = 4
_QUOTING = frozenset(
    ':«"“„'
)  # marks that open reported words  # the speaker of a verb of saying: his own words, not reported
_REPEAT_GAP = 2  # words between two hits of one phrase that still make one request


def _surface(pattern: str) -> str:
    """A pattern as one spoken string without spaces: its first alternatives, no '='."""
    return "".join(fold(w.split("|")[0].lstrip("=")) for w in pattern.split())


@dataclass(frozen=True, slots=True)
class PhraseFinder:
    """Forbidden-phrase matching compiled for one phrase list."""

    phrases: tuple[ForbiddenPhrase, ...]
    matcher: Matcher
    negations: frozenset[str]
    reporting: frozenset[str]  # lemmas of verbs of saying and thinking: "говорить", "думать"
    conjunctions: frozenset[str]  # forms that open reported words: "что", "будто"
    speaker_self: frozenset[str]  # "я", "мы" before a verb of saying: the words are his own
    unless: tuple[Matcher | None, ...]  # per phrase: what makes a hit information
    # Spoken forms of the patterns without spaces, grouped by their first two letters:
    # speech-to-text typos rarely hit the first letters, and the grouping keeps each
    # comparison to a handful of keys.
    fuzzy_keys: dict[str, tuple[list[str], list[int]]]

    @classmethod
    def build(cls, phrases: Sequence[ForbiddenPhrase], lang: dict[str, Any]) -> PhraseFinder:
        """The finder of a phrase list, with the language file's negations and reported
        speech (`reported_speech`: `verbs`, `conjunctions`)."""
        reported = lang.get("reported_speech", {})
        patterns, keys, owners = [], [], []
        for n, entry in enumerate(phrases):
            for text in entry.patterns:
                patterns.append(compile_pattern(text, gap=_GAP, value=n))
                key = _surface(text)
                if len(key) >= _MIN_FUZZY_LEN:
                    keys.append(key)
                    owners.append(n)
        grouped: dict[str, tuple[list[str], list[int]]] = {}
        for key, owner in zip(keys, owners, strict=True):
            group = grouped.setdefault(key[:2], ([], []))
            group[0].append(key)
            group[1].append(owner)
        return cls(
            phrases=tuple(phrases),
            matcher=Matcher(patterns),
            negations=frozenset(fold(w) for w in lang.get("negations", [])),
            reporting=frozenset(lemma(w) for w in reported.get("verbs", [])),
            conjunctions=frozenset(fold(w) for w in reported.get("conjunctions", [])),
            speaker_self=frozenset(fold(w) for w in reported.get("speaker_self", [])),
            unless=tuple(
                Matcher(compile_pattern(p, gap=_GAP) for p in e.unless) if e.unless else None
                for e in phrases
            ),
            fuzzy_keys=grouped,
        )

    def find(self, turns: Sequence[Turn]) -> list[Violation]:
        """Every hit in the given (manager's) turns, one per occurrence."""
        found: list[Violation] = []
        for turn in turns:
            taken: list[tuple[int, int]] = []
            hits: list[tuple[int, int, int]] = []
            for m in self.matcher.find(turn.tokens):
                if self._negated(turn, m.first, m.skipped, m.pattern.words[0].lemmas):
                    continue
                if self._reported(turn, m.first) or self._excused(turn, m.first, m.pattern.value):
                    continue
                if not _overlaps(taken, m.first, m.last):
                    taken.append((m.first, m.last))
                    hits.append((m.first, m.last, int(m.pattern.value)))  # type: ignore[call-overload]
            hits += self._fuzzy(turn, taken)
            if not hits:
                continue
            for first, last, n in _merge_repeats(sorted(hits), turn.tokens.stops):
                entry = self.phrases[n]
                u = turn.utterance
                found.append(
                    Violation(
                        u.index,
                        entry.phrase,
                        turn.span(first, last),
                        entry.replacement,
                        u.start,
                        u.end,
                    )
                )
        return found

    def _negated(
        self, turn: Turn, first: int, skipped: Sequence[int], head: frozenset[str]
    ) -> bool:
        forms = turn.tokens.forms
        if head & self.negations:
            return False
        if first > 0 and forms[first - 1] in self.negations:
            return True
        return any(forms[i] in self.negations for i in skipped)

    def _reported(self, turn: Turn, first: int) -> bool:
        """Whether the match follows "что"/"будто", a colon or an opening quote after a verb
        of saying or thinking that is negated or not the manager's own ("я же не говорю, что
        вы обязаны", "я вам никогда не скажу «я не знаю»", "клиенты говорят: «вы не правы»");
        "я вам говорю, что вы должны", "я сказала, что вы должны" are said."""
        tokens = turn.tokens
        forms, lemmas = tokens.forms, tokens.lemmas
        opener = None
        for k in range(first, max(0, first - 2), -1):
            if k < first and forms[k] in self.conjunctions:
                opener = k
                break
            if k > 0 and _QUOTING.intersection(_between(tokens, k - 1, k)):
                opener = k
                break
        if opener is None:
            return False
        for v in range(opener - 1, max(-1, opener - 4), -1):
            if lemmas[v] not in self.reporting:
                continue
            before = range(max(0, v - 2), v)
            if any(forms[k] in self.negations for k in before):
                return True
            own = person(forms[v]) == "1per" or any(forms[k] in self.speaker_self for k in before)
            return not own
        return False

    def _excused(self, turn: Turn, first: int, owner: object) -> bool:
        """Whether the sentence of the match holds one of its phrase's `unless` patterns."""
        matcher = self.unless[int(owner)]  # type: ignore[call-overload]
        if matcher is None:
            return False
        tokens = turn.tokens
        start, end = 0, len(tokens)
        for stop, _ in tokens.stops:
            if stop <= first:
                start = stop
            else:
                end = stop
                break
        return bool(matcher.find(tokens, start, end - 1, ordered=False))

    def _fuzzy(self, turn: Turn, taken: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
        forms = turn.tokens.forms
        hits: list[tuple[int, int, int]] = []
        if not self.fuzzy_keys:
            return hits
        for i in turn.tokens.unknown():
            if _overlaps(taken, i, i):
                continue
            best: tuple[float, int, int, int] | None = None
            for first in range(max(0, i - _MAX_WINDOW + 1), i + 1):
                group = self.fuzzy_keys.get(forms[first][:2])
                if group is None and len(forms[first]) > 1:
                    continue  # no key starts with this window's first two letters
                for last in range(i, min(len(forms), first + _MAX_WINDOW)):
                    if _overlaps(taken, first, last):
                        continue
                    joined = "".join(forms[first : last + 1])
                    group = self.fuzzy_keys.get(joined[:2])
                    if group is None or len(joined) < _MIN_FUZZY_LEN:
                        continue
                    got = process.extractOne(
                        joined, group[0], scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF
                    )
                    if got and (best is None or got[1] > best[0]):
                        best = (got[1], first, last, group[1][got[2]])
            if best is None:
                continue
            _, first, last, n = best
            if first > 0 and forms[first - 1] in self.negations:
                continue
            taken.append((first, last))
            hits.append((first, last, n))
        return hits


def _between(tokens: Tokens, a: int, b: int) -> str:
    """The text between word `a` and word `b`: spaces and marks (":", "«")."""
    spans = tokens.spans()
    return tokens.text[spans[a][1] : spans[b][0]]


def _overlaps(taken: list[tuple[int, int]], first: int, last: int) -> bool:
    return any(a <= last and first <= b for a, b in taken)


def _merge_repeats(
    hits: list[tuple[int, int, int]], stops: list[tuple[int, str]]
) -> list[tuple[int, int, int]]:
    """One request said twice in one breath is one hit ("Подождите, пожалуйста, минутку");
    in two sentences it is two ("Я не знаю. Правда, не знаю.")."""
    merged: list[tuple[int, int, int]] = []
    for first, last, n in hits:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and prev[2] == n
            and first - prev[1] <= _REPEAT_GAP + 1
            and not any(prev[1] < end <= first for end, _ in stops)
        ):
            merged[-1] = (merged[-1][0], last, n)
        else:
            merged.append((first, last, n))
    return merged
