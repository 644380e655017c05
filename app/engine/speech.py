"""A transcript prepared once for every analysis: the words of each utterance.

Words are split and lemmatised on first use: the client's turns are mostly only counted,
and scoring a long call must stay near a millisecond.
"""

from __future__ import annotations

from app.engine.model import Utterance
from app.engine.text import Tokens, first_form, tokenize


class Turn:
    """An utterance with its words; `position` is its place in the utterance list."""

    __slots__ = ("_tokens", "position", "utterance")

    def __init__(self, position: int, utterance: Utterance) -> None:
        self.position = position
        self.utterance = utterance
        self._tokens: Tokens | None = None

    @property
    def tokens(self) -> Tokens:
        if self._tokens is None:
            self._tokens = tokenize(self.utterance.text)
        return self._tokens

    @property
    def text(self) -> str:
        return self.utterance.text

    @property
    def word_count(self) -> int:
        """Words as a listener counts them (whitespace-separated), cheap for every turn."""
        if self._tokens is not None:
            return self._tokens.spoken
        return len(self.utterance.text.split())

    def opens_with(self, words: frozenset[str]) -> bool:
        """Whether the first word is one of `words`; a turn not yet split stays unsplit."""
        if self._tokens is not None:
            return self._tokens.opens_with(words)
        return first_form(self.utterance.text) in words

    def span(self, first: int, last: int) -> str:
        """The words as spoken from word `first` to word `last`, inclusive."""
        return self.tokens.words(first, last)


def prepare(utterances: tuple[Utterance, ...]) -> list[Turn]:
    """Wrap every utterance; words are split when first needed."""
    return [Turn(i, u) for i, u in enumerate(utterances)]
