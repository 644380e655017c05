"""The language file (`checklists/lang_<code>.yaml`): its schema, so a misspelt key is an error.

The words the engine needs beyond a checklist (who is who, what makes a question in speech,
numbers and money, reported speech) live in the language file, not in code. The engine reads
the validated file as a plain mapping (`Language.model_dump(by_alias=True)`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.engine.patterns import compile_pattern
from app.engine.resources import BUILTIN_DIR

Words = Annotated[list[str], Field(default_factory=list)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _patterns(value: list[str]) -> list[str]:
    for text in value:
        compile_pattern(text)  # ValueError on an empty pattern
    return value


class Roles(_Strict):
    """Speaker-label words (lowercased, without digits) naming the manager or the client;
    `labels` are further role names a transcript may use as a speaker label."""

    manager: Words
    client: Words
    labels: Words


class ManagerCues(_Strict):
    introduction: Words
    company: Words
    service: Words

    _v = field_validator("introduction", "company", "service")(_patterns)


class ReportedSpeech(_Strict):
    verbs: Words
    conjunctions: Words
    speaker_self: Words  # forms before a verb of saying that make the words the speaker's own


class Questions(_Strict):
    interrogatives: Words
    clause_initial: Words
    clause_openers: Words
    particle: str = "ли"
    prepositions: Words
    starters: Words
    indirect_after: Words
    not_questions: Words
    rhetorical_questions: Words
    tags: Words
    answers: Words
    discourse: Words
    not_echoes: Words
    requests: Words
    yes_no_predicates: Words
    needs_noun: Words
    address: Words
    rhetorical_particles: Words
    self_words: Words = Field(default_factory=list, alias="self")
    call_reasons: Words
    also_conjunctions: Words
    relatives: Words
    copula: Words
    have: Words
    joining: Words
    second_openers: Words
    correlatives: dict[str, str] = Field(default_factory=dict)
    confirmations: Words = Field(default_factory=list)
    anaphora: Words = Field(default_factory=list)

    _v = field_validator("starters", "indirect_after", "not_questions", "rhetorical_questions")(
        _patterns
    )


class Numbers(_Strict):
    units: dict[str, float] = Field(default_factory=dict)
    scales: dict[str, float] = Field(default_factory=dict)
    approximate: Words
    currency: Words
    price_words: Words
    money_context: Words
    range_to: Words


class Masking(_Strict):
    """Words before a number that say what it is (lemmas): a passport's series and number, or
    a phone number said in an unusual length."""

    passport: Words
    phone: Words
    email_at: Words  # "@" said aloud: "собака"
    email_dot: Words  # "." said aloud: "точка"


class Language(_Strict):
    """A validated language file."""

    language: str
    letters: str = ""
    negations: Words
    reported_speech: ReportedSpeech
    roles: Roles
    manager_cues: ManagerCues
    questions: Questions
    numbers: Numbers
    masking: Masking | None = None  # a language without it masks by digit patterns alone


@lru_cache(maxsize=1)
def speaker_roles(directory: Path = BUILTIN_DIR) -> frozenset[str]:
    """Every role name of the built-in language files, casefolded: a label that is one is a
    speaker even where it occurs once ("Менеджер:", "Agent:")."""
    roles: set[str] = set()
    for path in sorted(directory.glob("lang_*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found = Language.model_validate(data).roles
        roles.update(w.casefold() for w in (*found.manager, *found.client, *found.labels))
    return frozenset(roles)
