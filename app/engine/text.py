"""Tokenising and lemmatising speech.

Matching works on lemmas so that "говорил", "говорила" and "говорить" are one word. Lemmas
come from pymorphy3 and are cached per word form: a call repeats a few hundred distinct
forms, so after warm-up a token costs one dict lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# A word: letters (with inner hyphens, as in "какой-то") or a run of digits (with inner
# spaces/dots/commas handled by the number reader, not here).
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of an utterance: its form as spoken (lowercased), lemma and offsets."""

    form: str
    lemma: str
    start: int
    end: int


def fold(text: str) -> str:
    """Lowercase and fold ё into е, the way speech-to-text output varies."""
    return text.lower().replace("ё", "е")


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def lemma(form: str) -> str:
    """The normal form of a folded word; digits and non-Cyrillic words stay as they are."""
    if form.isdigit() or not ("а" <= form[0] <= "я"):
        return form
    return fold(_morph().parse(form)[0].normal_form)


@lru_cache(maxsize=200_000)
def is_known(form: str) -> bool:
    """Whether the dictionary knows the form; unknown forms are where ASR errors hide."""
    if form.isdigit() or not ("а" <= form[0] <= "я"):
        return True
    return bool(_morph().word_is_known(form))


def tokenize(text: str) -> list[Token]:
    """Split text into tokens with lemmas and character offsets into `text`."""
    folded = fold(text)
    return [Token(m.group(), lemma(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(folded)]


def lemmas_of(phrase: str) -> tuple[str, ...]:
    """The lemma sequence of a phrase written in a checklist file."""
    return tuple(t.lemma for t in tokenize(phrase))
