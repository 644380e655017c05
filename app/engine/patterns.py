"""Word patterns as checklist files write them, and a fast matcher over tokens.

A pattern is words separated by spaces. Each word matches a token by lemma ("говорил"
matches "говорила"), or by its exact form when written with a leading `=` ("=перезвоните"
matches the request, not "перезвоню", which is what a trainer wants to hear). `a|b` offers
alternatives at one position. Between the words a match may skip up to `gap` tokens
("вы меня неправильно поняли" for "вы неправильно поняли").

Patterns are indexed by their first word, so a call is scanned once, whatever the number
of patterns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from app.engine.text import Tokens, fold, lemma


@dataclass(frozen=True, slots=True)
class Word:
    """One position of a pattern: the lemmas or exact forms it accepts."""

    lemmas: frozenset[str]
    forms: frozenset[str]

    def accepts(self, lemma: str, form: str) -> bool:
        return lemma in self.lemmas or form in self.forms


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled pattern and the value it stands for (a phrase entry, a category …)."""

    text: str
    words: tuple[Word, ...]
    gap: int
    value: object = None


@dataclass(frozen=True, slots=True)
class Match:
    """Tokens [first, last] matched `pattern`; `skipped` are the inserted tokens."""

    pattern: Pattern
    first: int
    last: int
    skipped: tuple[int, ...]


def compile_pattern(text: str, *, gap: int = 0, value: object = None) -> Pattern:
    """Compile one pattern string; raises ValueError on an empty pattern."""
    words: list[Word] = []
    for raw in text.split():
        lemmas: set[str] = set()
        forms: set[str] = set()
        for alt in raw.split("|"):
            alt = fold(alt.strip(",.?!"))
            if not alt:
                continue
            if alt.startswith("="):
                forms.add(alt[1:])
            else:
                lemmas.add(lemma(alt))
        if lemmas or forms:
            words.append(Word(frozenset(lemmas), frozenset(forms)))
    if not words:
        raise ValueError(f"empty pattern: {text!r}")
    return Pattern(text=text, words=tuple(words), gap=gap, value=value)


def _anchor(p: Pattern) -> int:
    """The word a pattern is indexed by: its longest, so frequent short words ("вы", "не",
    "это") do not make every occurrence a candidate; on a tie, the later word."""
    lengths = [min((len(x) for x in (*w.lemmas, *w.forms)), default=0) for w in p.words]
    return max(range(len(lengths)), key=lambda k: (lengths[k], k))


class Matcher:
    """Finds every occurrence of many patterns in a token list in one pass."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        self._by_lemma: dict[str, list[tuple[Pattern, int]]] = defaultdict(list)
        self._by_form: dict[str, list[tuple[Pattern, int]]] = defaultdict(list)
        self.patterns = tuple(patterns)
        for p in self.patterns:
            k = _anchor(p)
            for key in p.words[k].lemmas:
                self._by_lemma[key].append((p, k))
            for key in p.words[k].forms:
                self._by_form[key].append((p, k))
        self._lemma_keys = frozenset(self._by_lemma)
        self._form_keys = frozenset(self._by_form)

    def find(self, tokens: Tokens, lo: int = 0, hi: int | None = None) -> list[Match]:
        """All matches within words lo..hi-1, ordered by their first word; at one start the
        longest comes first."""
        found: list[Match] = []
        forms = tokens.forms
        hi = len(forms) if hi is None else hi
        lemmas = tokens.lemmas if lo == 0 and hi == len(forms) else tokens.lemmas[lo:hi]
        if self._lemma_keys.isdisjoint(lemmas) and self._form_keys.isdisjoint(forms[lo:hi]):
            return found  # most turns: no anchor word at all, decided at C speed
        by_lemma, by_form = self._by_lemma, self._by_form
        for i, lem in enumerate(lemmas, lo):
            heads = by_lemma.get(lem)
            more = by_form.get(forms[i])
            if not heads and not more:
                continue
            candidates = heads + more if heads and more else heads or more or []
            for p, k in candidates:
                m = _match_around(p, k, tokens, i, lo, hi)
                if m is not None:
                    found.append(m)
        if len(found) > 1:
            found.sort(key=lambda m: (m.first, len(m.skipped) - len(m.pattern.words), m.last))
        return found


def _match_around(p: Pattern, k: int, tokens: Tokens, i: int, lo: int, n: int) -> Match | None:
    """Match pattern `p` with its word `k` at token `i` within lo..n-1: onwards, then back."""
    lemmas, forms = tokens.lemmas, tokens.forms
    skipped: list[int] = []
    budget = p.gap
    pos = i
    for word in p.words[k + 1 :]:
        pos += 1
        while pos < n and not word.accepts(lemmas[pos], forms[pos]):
            if budget == 0:
                return None
            skipped.append(pos)
            budget -= 1
            pos += 1
        if pos >= n:
            return None
    last = pos
    pos = i
    for word in reversed(p.words[:k]):
        pos -= 1
        while pos >= lo and not word.accepts(lemmas[pos], forms[pos]):
            if budget == 0:
                return None
            skipped.append(pos)
            budget -= 1
            pos -= 1
        if pos < lo:
            return None
    return Match(p, pos, last, tuple(sorted(skipped)))
