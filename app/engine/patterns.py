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


class Matcher:
    """Finds every occurrence of many patterns in a token list in one pass."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        self._by_lemma: dict[str, list[Pattern]] = defaultdict(list)
        self._by_form: dict[str, list[Pattern]] = defaultdict(list)
        self.patterns = tuple(patterns)
        for p in self.patterns:
            head = p.words[0]
            for key in head.lemmas:
                self._by_lemma[key].append(p)
            for key in head.forms:
                self._by_form[key].append(p)

    def find(self, tokens: Tokens) -> list[Match]:
        """All matches, in token order; for one start the longest pattern comes first."""
        found: list[Match] = []
        by_lemma, by_form = self._by_lemma, self._by_form
        forms = tokens.forms
        for i, lem in enumerate(tokens.lemmas):
            heads = by_lemma.get(lem)
            more = by_form.get(forms[i])
            if not heads and not more:
                continue
            candidates = (heads or []) + (more or [])
            hits = [m for p in candidates if (m := _match_at(p, tokens, i)) is not None]
            hits.sort(key=lambda m: (m.skipped.__len__() - len(m.pattern.words), m.last))
            found.extend(hits)
        return found


def _match_at(p: Pattern, tokens: Tokens, i: int) -> Match | None:
    pos = i
    skipped: list[int] = []
    budget = p.gap
    lemmas, forms = tokens.lemmas, tokens.forms
    n = len(forms)
    for word in p.words[1:]:
        pos += 1
        while pos < n and not word.accepts(lemmas[pos], forms[pos]):
            if budget == 0:
                return None
            skipped.append(pos)
            budget -= 1
            pos += 1
        if pos >= n:
            return None
    return Match(p, i, pos, tuple(skipped))
