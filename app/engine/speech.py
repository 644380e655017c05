"""A transcript prepared once for every analysis: the words of each utterance."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.model import Utterance
from app.engine.text import Tokens, tokenize


@dataclass(frozen=True, slots=True)
class Turn:
    """An utterance with its words; `position` is its place in the utterance list."""

    position: int
    utterance: Utterance
    tokens: Tokens

    @property
    def text(self) -> str:
        return self.utterance.text

    def span(self, first: int, last: int) -> str:
        """The words as spoken from word `first` to word `last`, inclusive."""
        return self.tokens.words(first, last)


def prepare(utterances: tuple[Utterance, ...]) -> list[Turn]:
    """Tokenise every utterance once."""
    return [Turn(i, u, tokenize(u.text)) for i, u in enumerate(utterances)]
