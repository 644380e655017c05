"""Tokenising and lemmatising speech.

Matching works on lemmas so that "говорил", "говорила" and "говорить" are one word. Lemmas
come from pymorphy3 and are kept per word form: a call repeats a few hundred distinct forms,
so after warm-up a word costs one dict lookup. Tokens are kept as parallel lists of forms and
lemmas, not objects: scoring a 1,500-word call must take about a millisecond.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# A word: letters (with inner hyphens, as in "какой-то") or a run of digits.
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+")
# The same, plus runs of sentence-ending punctuation, which split sentences.
_TOKEN_OR_STOP = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+|[.!?…]+")
_STOPS = frozenset(".!?…")
_CACHE_LIMIT = 300_000  # distinct forms kept; names and typos keep arriving in a service

_lemmas: dict[str, str] = {}
_known: dict[str, bool] = {}


def fold(text: str) -> str:
    """Lowercase and fold ё into е, the way speech-to-text output varies."""
    return text.lower().replace("ё", "е")


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def _is_russian(form: str) -> bool:
    return not form.isdigit() and "а" <= form[0] <= "я"


def lemma(form: str) -> str:
    """The normal form of a folded word; digits and non-Cyrillic words stay as they are."""
    got = _lemmas.get(form)
    if got is None:
        got = fold(_morph().parse(form)[0].normal_form) if _is_russian(form) else form
        if len(_lemmas) >= _CACHE_LIMIT:
            _lemmas.clear()
        _lemmas[form] = got
    return got


def is_known(form: str) -> bool:
    """Whether the dictionary knows the form; unknown forms are where ASR errors hide."""
    got = _known.get(form)
    if got is None:
        got = bool(_morph().word_is_known(form)) if _is_russian(form) else True
        if len(_known) >= _CACHE_LIMIT:
            _known.clear()
        _known[form] = got
    return got


_names: dict[str, bool] = {}


def is_given_name(form: str) -> bool:
    """Whether the dictionary takes the form for a person's first name ("ольга", "игорь")."""
    got = _names.get(form)
    if got is None:
        got = _is_russian(form) and any("Name" in p.tag for p in _morph().parse(form)[:1])
        if len(_names) >= _CACHE_LIMIT:
            _names.clear()
        _names[form] = got
    return got


class Tokens:
    """The words of one text: folded forms and lemmas, with offsets computed on demand."""

    __slots__ = ("_spans", "forms", "lemmas", "stops", "text")

    def __init__(
        self,
        text: str,
        forms: list[str],
        lemmas: list[str],
        stops: list[tuple[int, str]] | None = None,
    ) -> None:
        self.text = text
        self.forms = forms
        self.lemmas = lemmas
        # Sentence ends: (number of words before the mark, the mark), e.g. (4, "?").
        self.stops = stops or []
        self._spans: list[tuple[int, int]] | None = None

    def __len__(self) -> int:
        return len(self.forms)

    def spans(self) -> list[tuple[int, int]]:
        """Character offsets of each word in `text` (for evidence, so computed lazily)."""
        if self._spans is None:
            self._spans = [m.span() for m in _TOKEN.finditer(fold(self.text))]
        return self._spans

    def in_question(self, i: int) -> bool:
        """Whether word `i` stands in a sentence that ends with a question mark."""
        return next(("?" in mark for end, mark in self.stops if end > i), False)

    def unknown(self) -> list[int]:
        """Positions of words the dictionary does not know: where ASR merges and typos hide.

        Short words and hyphenated compounds ("кухня-гостиная") are left out.
        """
        known = _known.get
        return [
            i
            for i, f in enumerate(self.forms)
            if len(f) > 3 and known(f) is not True and "-" not in f and not is_known(f)
        ]

    def words(self, first: int, last: int) -> str:
        """The words as spoken from word `first` to word `last`, inclusive."""
        spans = self.spans()
        return self.text[spans[first][0] : spans[last][1]]


def tokenize(text: str) -> Tokens:
    """Split text into words with their lemmas, noting where sentences end."""
    forms: list[str] = []
    stops: list[tuple[int, str]] = []
    for raw in fold(text).split():
        if raw.isalpha():  # most words: no regex needed
            forms.append(raw)
            continue
        for piece in _TOKEN_OR_STOP.findall(raw):
            if piece[0] in _STOPS:
                stops.append((len(forms), piece))
            else:
                forms.append(piece)
    get = _lemmas.get
    return Tokens(text, forms, [get(f) or lemma(f) for f in forms], stops)
