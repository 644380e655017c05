"""The transcript model every reader produces and every scorer consumes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Utterance:
    """One turn of speech.

    `index` is the position of the unit in the input as given (DESIGN.md contract): for
    text the n-th non-empty line (0-based), for WebVTT/SRT the n-th cue, for JSON the n-th
    element of the utterance list. Two utterances may share an index (an SRT cue with two
    dialogue dashes holds two speakers).
    """

    index: int
    speaker: str | None
    text: str
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True, slots=True)
class Transcript:
    """A parsed call: its utterances in order and the reader that produced them."""

    utterances: tuple[Utterance, ...]
    format: str

    @property
    def speakers(self) -> list[str]:
        """Distinct speaker labels in order of first appearance."""
        seen: dict[str, None] = {}
        for u in self.utterances:
            if u.speaker is not None:
                seen.setdefault(u.speaker, None)
        return list(seen)
