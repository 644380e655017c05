"""Who is the manager: named by the caller, named by a role label, or inferred from speech."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.errors import NoManagerError
from app.engine.messages import Message, english, message
from app.engine.patterns import Matcher, compile_pattern
from app.engine.reasons import reason
from app.engine.result import ManagerChoice
from app.engine.speech import Turn
from app.engine.text import fold, is_given_name, lemma

_LABEL_WORD = re.compile(r"[^\W\d_]+")
# `manager_speaker` that takes all speech for the manager's: input without speaker labels.
ALL_SPEAKERS = "*"

GIVEN = "given by the caller"
"""The reason of a manager the caller named (a stored score keeps it for rescoring)."""


def _label_words(label: str) -> set[str]:
    return set(_LABEL_WORD.findall(fold(label)))


def choose_manager(
    turns: Sequence[Turn], lang: dict[str, Any], manager_speaker: str | None = None
) -> ManagerChoice:
    """Pick the manager's speaker label and say why; raises NoManagerError.

    `manager_speaker` "*" (`ALL_SPEAKERS`) takes every turn for the manager's: the caller has
    relabelled them all "*" (see `score`)."""
    if manager_speaker == ALL_SPEAKERS:
        return _choice(ALL_SPEAKERS, False, [message("all_speakers")])
    speakers = list(dict.fromkeys(t.utterance.speaker for t in turns if t.utterance.speaker))
    if manager_speaker is not None:
        wanted = fold(manager_speaker.strip())
        for label in speakers:
            if fold(label) == wanted:
                return _choice(label, False, [message("given")])
        raise NoManagerError(
            reason(
                "speaker_not_in_transcript",
                speaker=manager_speaker,
                speakers=", ".join(speakers) or reason("none"),
            ),
            field="manager_speaker",
        )
    if not speakers:
        raise NoManagerError(reason("no_speaker_labels"))
    if len(speakers) == 1:
        return _choice(speakers[0], True, [message("only_speaker")])

    roles = lang.get("roles", {})
    manager_roles, client_roles = set(roles.get("manager", [])), set(roles.get("client", []))
    by_role = [s for s in speakers if _label_words(s) & manager_roles]
    if len(by_role) == 1:
        return _choice(by_role[0], False, [message("manager_role", label=by_role[0])])
    clients = [s for s in speakers if _label_words(s) & client_roles]
    if len(clients) == 1 and len(speakers) == 2:
        other = next(s for s in speakers if s != clients[0])
        return _choice(other, False, [message("client_labelled", label=clients[0])])
    return _infer(turns, speakers, lang)


# Each kind of manager cue: its list in the language file and its weight.
_CUE_KINDS = {
    "introduces self": ("introduction", 3.0),
    "names the company": ("company", 2.0),
    "offers help": ("service", 2.0),
}


_CUE_CODES = {
    "introduces self": "introduces_self",
    "names the company": "names_company",
    "offers help": "offers_help",
}
_NAMED_WITH = frozenset({"names the company", "offers help"})

# Without any greeting cue, a lead this large (asks every question and speaks first) is clear.
_CLEAR_MARGIN = 2.0


@dataclass(frozen=True, slots=True)
class _Cues:
    matcher: Matcher  # the language file's manager cues; each pattern's value is its kind
    asked_words: frozenset[str]  # lemmas that make an unpunctuated turn a question


# Compiled once per language file, not per call (the file is kept so that its id stays unique).
_COMPILED: dict[int, tuple[dict[str, Any], _Cues]] = {}
_MAX_COMPILED = 64


def _cues(lang: dict[str, Any]) -> _Cues:
    """The language file's manager cues, compiled on the first call that needs them."""
    got = _COMPILED.get(id(lang))
    if got is None:
        cues = lang.get("manager_cues", {})
        q = lang.get("questions", {})
        matcher = Matcher(
            compile_pattern(p, gap=1, value=kind)
            for kind, (name, _) in _CUE_KINDS.items()
            for p in cues.get(name, [])
        )
        asked = (*q.get("interrogatives", []), *q.get("clause_initial", []))
        if len(_COMPILED) >= _MAX_COMPILED:  # checklists loaded one-off must not pile up
            _COMPILED.clear()
        got = _COMPILED[id(lang)] = (lang, _Cues(matcher, frozenset(lemma(w) for w in asked)))
    return got[1]


def _infer(turns: Sequence[Turn], speakers: list[str], lang: dict[str, Any]) -> ManagerChoice:
    compiled = _cues(lang)
    matcher, asked_words = compiled.matcher, compiled.asked_words
    score: dict[str, float] = dict.fromkeys(speakers, 0.0)
    evidence: dict[str, list[str]] = {s: [] for s in speakers}
    seen: Counter[str] = Counter()
    questions: Counter[str] = Counter()
    opens_with_company = False
    # Without punctuation (speech-to-text), a turn with a question word asks.
    unpunctuated = not any("?" in t.text for t in turns)
    for turn in turns:
        who = turn.utterance.speaker
        if who is None:
            continue
        seen[who] += 1
        if unpunctuated:
            questions[who] += not asked_words.isdisjoint(turn.tokens.lemmas)
        else:
            questions[who] += turn.text.count("?")
        if seen[who] > 3:
            continue
        # A caller asking "это отдел продаж «Юг»?" names the company too: not a cue. An offer
        # of help is a question by nature ("Чем могу помочь?").
        matches = [
            m
            for m in matcher.find(turn.tokens)
            if m.pattern.value == "offers help" or not turn.tokens.in_question(m.first)
        ]
        kinds_said = {str(m.pattern.value) for m in matches}
        # "клиника здоровье регистратура марина", "автомир восток максим слушаю": a given
        # name said with the company or an offer of help introduces the speaker.
        if not kinds_said.isdisjoint(_NAMED_WITH) and any(map(is_given_name, turn.tokens.forms)):
            kinds_said.add("introduces self")
        if sum(seen.values()) == 1:  # "Отдел продаж «Юг», Эльвира, здравствуйте."
            opens_with_company = "names the company" in kinds_said and (
                "introduces self" in kinds_said or any(map(is_given_name, turn.tokens.forms))
            )
        for kind in _CUE_KINDS:  # in a fixed order: the reason reads the same every run
            if kind in kinds_said and kind not in evidence[who]:
                score[who] += _CUE_KINDS[kind][1]
                evidence[who].append(kind)
    asked = sum(questions.values())
    if asked:
        for s in speakers:
            score[s] += 2.0 * questions[s] / asked
    first = next(t.utterance.speaker for t in turns if t.utterance.speaker)
    score[first] += 0.5
    # Whoever opens the call with the company's name and a name of his own answers for it.
    if opens_with_company:
        score[first] += 2.0
    best = max(speakers, key=lambda s: (score[s], -speakers.index(s)))
    runner_up = max(score[s] for s in speakers if s != best)
    reasons = [message(_CUE_CODES[kind]) for kind in evidence[best]]
    if asked:
        reasons.append(message("asks_questions", asked=questions[best], total=asked))
    if best == first:
        reasons.append(message("speaks_first"))
    return _choice(
        best,
        True,
        reasons or [message("first_speaker")],
        weak=not evidence[best] and score[best] - runner_up < _CLEAR_MARGIN,
    )


def _choice(
    speaker: str, inferred: bool, parts: list[Message], weak: bool = False
) -> ManagerChoice:
    return ManagerChoice(speaker, inferred, english(parts), weak, tuple(parts))
