"""Word patterns as checklist files write them, and a fast matcher over tokens.

A pattern is words separated by spaces. Each word matches a token by lemma ("говорил"
matches "говорила"), or by its exact form when written with a leading `=` ("=перезвоните"
matches the request, not "перезвоню", which is what a trainer wants to hear). `a|b` offers
alternatives at one position; a leading `=` makes them all exact ("=перезвонят|перезвонит").
Between the words a match may skip up to `gap` tokens ("вы меня неправильно поняли" for "вы
неправильно поняли").

Patterns are indexed by one word each (their longest, the rarest in speech), so a turn is
scanned once, whatever the number of patterns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from itertools import compress
from typing import NamedTuple

from app.engine.reasons import InvalidValue, reason
from app.engine.text import Tokens, fold, lemma


@dataclass(frozen=True, slots=True)
class Word:
    """One position of a pattern: the lemmas or exact forms it accepts."""

    lemmas: frozenset[str]
    forms: frozenset[str]


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled pattern and the value it stands for (a phrase entry, a category …)."""

    text: str
    words: tuple[Word, ...]
    gap: int
    value: object = None


class Match(NamedTuple):
    """Tokens [first, last] matched `pattern`; `skipped` are the inserted tokens.

    A tuple, not a dataclass: a call makes a few hundred and a tuple is built fastest.
    """

    pattern: Pattern
    first: int
    last: int
    skipped: tuple[int, ...]


# A Match from its four fields in one C call: `Match(...)` runs the NamedTuple's `__new__`, a
# Python function, for each of the few hundred matches of a call.
_match: Callable[[tuple[Pattern, int, int, tuple[int, ...]]], Match] = partial(tuple.__new__, Match)


def compile_pattern(text: str, *, gap: int = 0, value: object = None) -> Pattern:
    """Compile one pattern string; raises ValueError on an empty pattern."""
    words: list[Word] = []
    for raw in text.split():
        lemmas: set[str] = set()
        forms: set[str] = set()
        exact = raw.startswith("=")  # "=a|b": both exact forms
        for alt in raw.split("|"):
            alt = fold(alt.strip(",.?!"))
            if alt.startswith("="):
                alt = alt[1:]
            if not alt:
                continue
            if exact:
                forms.add(alt)
            else:
                lemmas.add(lemma(alt))
        if lemmas or forms:
            words.append(Word(frozenset(lemmas), frozenset(forms)))
    if not words:
        raise InvalidValue(reason("empty_pattern", pattern=text))
    return Pattern(text=text, words=tuple(words), gap=gap, value=value)


def _anchor(p: Pattern) -> int:
    """The word a pattern is indexed by: its longest, so frequent short words ("вы", "не",
    "это") do not make every occurrence a candidate; on a tie, the later word."""
    lengths = [min((len(x) for x in (*w.lemmas, *w.forms)), default=0) for w in p.words]
    return max(range(len(lengths)), key=lambda k: (lengths[k], k))


_Words = tuple[Word, ...]
# A pattern, its words after and before the anchor, and for a pattern without a gap the word
# that must stand right next to the anchor (`step` 1 after it, -1 before it; 0: no such test).
_Entry = tuple[Pattern, _Words, _Words, int, Word | None]


def _entry(p: Pattern, k: int) -> _Entry:
    after, before = p.words[k + 1 :], tuple(reversed(p.words[:k]))
    if p.gap or not (after or before):
        return (p, after, before, 0, None)
    return (p, after, before, 1, after[0]) if after else (p, after, before, -1, before[0])


class Matcher:
    """Finds every occurrence of many patterns in a token list in one pass."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        self._by_lemma: dict[str, list[_Entry]] = defaultdict(list)
        self._by_form: dict[str, list[_Entry]] = defaultdict(list)
        self.patterns = tuple(patterns)
        for p in self.patterns:
            k = _anchor(p)
            entry = _entry(p, k)
            for key in p.words[k].lemmas:
                self._by_lemma[key].append(entry)
            for key in p.words[k].forms:
                self._by_form[key].append(entry)
        self._lemma_keys = frozenset(self._by_lemma)
        self._form_keys = frozenset(self._by_form)

    def find(
        self, tokens: Tokens, first: int = 0, last: int | None = None, *, ordered: bool = True
    ) -> list[Match]:
        """All matches anchored at words `first`..`last` (by default anywhere), ordered by
        their first word; at one start the longest comes first. A caller that wants only
        matches inside a stretch of words passes it: no anchor outside is looked at. A
        caller that only tallies the matches passes `ordered=False` and skips the sort."""
        lemmas, forms = tokens.lemmas, tokens.forms
        if first > 0 or last is not None:
            end = len(forms) if last is None else last + 1
            lemmas, forms = lemmas[first:end], forms[first:end]
        found: list[Match] = []
        # Whether the words hold any anchor is decided at C speed; most turns hold none.
        if not self._lemma_keys.isdisjoint(lemmas):
            _scan(lemmas, first, self._by_lemma, tokens, found)
        if self._form_keys and not self._form_keys.isdisjoint(forms):
            _scan(forms, first, self._by_form, tokens, found)
        if ordered and len(found) > 1:
            found.sort(key=_order)
        return found


def _scan(
    words: list[str],
    offset: int,
    index: dict[str, list[_Entry]],
    tokens: Tokens,
    found: list[Match],
) -> None:
    """Add the matches of the patterns anchored at each of `words` (tokens from `offset` on)
    that is a key of `index`.

    One C pass (`map`) looks up every word and `compress` skips the misses, which costs less
    than locating each anchor key with list.count and list.index. A pattern without a gap
    whose neighbour word is not next to the anchor (most candidates of common anchors: "как"
    of "так как") is passed over here, without a call."""
    anchored = list(map(index.get, words))
    n = len(tokens.forms)  # not len(tokens): a Python call
    lemmas, forms = tokens.lemmas, tokens.forms
    for k in compress(range(len(anchored)), anchored):
        at = offset + k
        for p, after, before, step, near in anchored[k]:  # type: ignore[union-attr]
            if near is not None:
                j = at + step
                if not 0 <= j < n or (lemmas[j] not in near.lemmas and forms[j] not in near.forms):
                    continue
            if after or before:
                m = _match_around(p, after, before, tokens, at, n)
                if m is not None:
                    found.append(m)
            else:
                found.append(_match((p, at, at, ())))


def _order(m: Match) -> tuple[int, int, int]:
    """By first word; at one start the longest pattern, then the fewest skipped words."""
    return (m.first, len(m.skipped) - len(m.pattern.words), m.last)


def positions(words: list[str], keys: frozenset[str]) -> list[int]:
    """Where any of `keys` stands in `words`, ascending; one C pass, whatever the keys."""
    return list(compress(range(len(words)), map(keys.__contains__, words)))


def _match_around(
    p: Pattern, after: _Words, before: _Words, tokens: Tokens, i: int, n: int
) -> Match | None:
    """Match pattern `p` anchored at token `i` of n: its words `after` the anchor onwards,
    then the words `before` it (nearest first) backwards."""
    lemmas, forms = tokens.lemmas, tokens.forms
    skipped: list[int] = []
    budget = p.gap
    pos = i
    for word in after:
        pos += 1
        while pos < n and lemmas[pos] not in word.lemmas and forms[pos] not in word.forms:
            if budget == 0:
                return None
            skipped.append(pos)
            budget -= 1
            pos += 1
        if pos >= n:
            return None
    last = pos
    pos = i
    for word in before:
        pos -= 1
        while pos >= 0 and lemmas[pos] not in word.lemmas and forms[pos] not in word.forms:
            if budget == 0:
                return None
            skipped.append(pos)
            budget -= 1
            pos -= 1
        if pos < 0:
            return None
    return _match((p, pos, last, tuple(sorted(skipped)) if skipped else ()))
