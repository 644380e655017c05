"""Warnings that go with a score: why it may mislead, so a low score is not taken at face value.

A transcript in another language than the checklist's scores near zero on every question
item; input without speakers scores the client's words too. Each says so in `warnings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from string import ascii_letters
from typing import Any

from app.engine.result import Caveat, ManagerChoice
from app.engine.speakers import ALL_SPEAKERS
from app.engine.speech import Turn

_SAMPLE_CHARS = 2000  # enough letters to tell a language; a long call is sampled evenly
_MIN_LETTERS = 20  # fewer letters ("Да.", "Ок") tell nothing
_MIN_SHARE = 0.5  # below this share of the language's own letters, the text is another one
_NOT_LATIN_LETTERS = bytes(c for c in range(128) if chr(c) not in ascii_letters)


def caveats(turns: Sequence[Turn], manager: ManagerChoice, lang: dict[str, Any]) -> list[Caveat]:
    """The warnings of one scored call, in a fixed order."""
    found: list[Caveat] = []
    if manager.speaker == ALL_SPEAKERS:
        found.append(
            Caveat(
                "single_speaker",
                "all speech is scored as the manager's (manager_speaker '*'): the client's "
                "questions and phrases count too, and talk balance means nothing",
                {"all": True},
            )
        )
    elif manager.inferred and len({t.utterance.speaker for t in turns} - {None}) == 1:
        found.append(
            Caveat(
                "single_speaker",
                f"{manager.speaker!r} is the only speaker: the transcript may hold both sides "
                "of the call under one label",
                {"speaker": manager.speaker},
            )
        )
    elif manager.weak:
        found.append(
            Caveat(
                "manager_inferred_weakly",
                f"the manager {manager.speaker!r} was inferred without a greeting, company or "
                f"offer of help ({manager.reason}); pass manager_speaker if it is wrong",
                {
                    "speaker": manager.speaker,
                    "reason": [m.to_dict() for m in manager.reason_parts],
                },
            )
        )
    share = _own_letter_share(turns, lang.get("letters", ""))
    if share is not None and share < _MIN_SHARE:
        language = lang.get("language", "?")
        found.append(
            Caveat(
                "language_mismatch",
                f"the transcript is not in the checklist's language ({language}): only "
                f"{share:.0%} of its letters are of it, so the low score says nothing of the "
                "manager",
                {"language": language, "share": share},
            )
        )
    return found


def _own_letter_share(turns: Sequence[Turn], letters: str) -> float | None:
    """The share of a sample's letters that are not Latin, for a language whose alphabet
    (`letters` in its file) is not Latin either: speech in another language most likely comes
    in Latin letters. None when the file names no such alphabet or the sample has too few
    letters. Counted in C (an ASCII encoding and a byte deletion): some microseconds a call."""
    if not letters or letters.isascii() or not turns:
        return None
    step = max(1, len(turns) // 20)
    sample = " ".join(t.text for t in turns[::step])[:_SAMPLE_CHARS]
    ascii_part = sample.encode("ascii", "ignore")
    own = len(sample) - len(ascii_part)  # the alphabet's letters, and a few marks ("«", "—")
    latin = len(ascii_part.translate(None, _NOT_LATIN_LETTERS))
    if own + latin < _MIN_LETTERS:
        return None
    return own / (own + latin)
