"""Codes and parameters of the texts the engine hands to people (an item's `detail`, the
manager's `reason`): the services word them from the message catalogs (app/locale) in the
reader's language. The English templates here only fill the JSON's default `detail` and
`reason`, which programs already read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

ENGLISH = {
    # item details
    "questions_asked": "{asked} of {target} questions",
    "forbidden_said": "{count} forbidden phrase(s)",
    "forbidden_none": "none said",
    "monologue": "longest monologue {words} words (max {max_words})",
    "talk_share": "manager talk share {share:.0%} (max {max_share:.0%})",
    "price_named": "an exact price was named",
    "price_not_named": "no exact price named",
    "phrase_said": "said",
    "phrase_not_said": "not said",
    "greeting_done": "introduced self and company",
    "greeting_missing": "missing: {missing}",
    "booked": "booked with a day or time",
    "not_booked": "no viewing or meeting booked with a day or time",
    # the manager's reason
    "all_speakers": "all speech is taken as the manager's",
    "given": "given by the caller",
    "only_speaker": "the only speaker in the transcript",
    "manager_role": "the speaker label {label!r} is a manager role",
    "client_labelled": "the other speaker is labelled {label!r}",
    "introduces_self": "introduces self",
    "names_company": "names the company",
    "offers_help": "offers help",
    "asks_questions": "asks {asked} of {total} questions",
    "speaks_first": "speaks first",
    "first_speaker": "no cue; the first speaker is taken",
}


class Message(NamedTuple):
    """A text as a code and its parameters (numbers, names, codes: never words to translate)."""

    code: str
    params: dict[str, Any]

    def english(self) -> str:
        params = self.params
        if "missing" in params:  # a list of part codes
            params = {**params, "missing": ", ".join(params["missing"])}
        return ENGLISH[self.code].format(**params)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params}


def message(code: str, **params: Any) -> Message:
    """A message of a known code."""
    assert code in ENGLISH, code
    return Message(code, params)


def english(parts: Sequence[Message]) -> str:
    """The default English wording of messages said together."""
    return "; ".join(m.english() for m in parts)
