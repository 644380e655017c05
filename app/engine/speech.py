"""A transcript prepared once for every analysis: tokens per utterance, the manager's turns."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.model import Utterance
from app.engine.text import Token, tokenize


@dataclass(frozen=True, slots=True)
class Turn:
    """An utterance with its tokens; `position` is its place in the utterance list."""

    position: int
    utterance: Utterance
    tokens: tuple[Token, ...]

    @property
    def text(self) -> str:
        return self.utterance.text

    def span(self, first: int, last: int) -> str:
        """The words as spoken from token `first` to token `last`, inclusive."""
        return self.utterance.text[self.tokens[first].start : self.tokens[last].end]


def prepare(utterances: tuple[Utterance, ...]) -> list[Turn]:
    """Tokenise every utterance once."""
    return [Turn(i, u, tuple(tokenize(u.text))) for i, u in enumerate(utterances)]
