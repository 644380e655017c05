"""Finding the manager's questions and sorting them into the checklist's categories.

With punctuation, a question is a sentence ending in "?". Speech-to-text output without
punctuation has no such mark, so there a question is a clause opened by an interrogative
cue (a question word, "есть ли", "не подскажете", "вам удобно"), unless the cue follows a
verb such as "уточню" that makes it an indirect question ("уточню, есть ли скидка").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from app.engine.checklist import OTHER, Category
from app.engine.patterns import Matcher, compile_pattern
from app.engine.result import Question
from app.engine.speech import Turn
from app.engine.text import Tokens, lemma

_PUNCTUATION = re.compile(r"[.!?…]")
_QUESTION_SENTENCE = re.compile(r"[^.!?…]*[.!…]*\?[.!?…]*")
_WORD = re.compile(r"[^\W_]")
_MERGE_WINDOW = 4  # cues this close belong to one question: "скажите, в каком районе"

_WEIGHTS = {"words": 2.0, "weak": 1.0, "phrases": 3.0}
_MIN_SCORE = 2.0  # weak words alone do not make a category


@dataclass(frozen=True, slots=True)
class QuestionFinder:
    """Question detection and classification compiled for one checklist."""

    categories: tuple[str, ...]
    classifier: Matcher
    interrogatives: frozenset[str]
    clause_initial: frozenset[str]
    clause_openers: frozenset[str]
    particle: str
    prepositions: frozenset[str]
    tags: frozenset[str]
    starters: Matcher
    indirect_after: Matcher
    not_questions: Matcher

    @classmethod
    def build(cls, categories: dict[str, Category], lang: dict[str, Any]) -> QuestionFinder:
        q = lang.get("questions", {})
        patterns = []
        for key, cat in categories.items():
            for field, weight in _WEIGHTS.items():
                gap = 3 if field == "phrases" else 0
                for text in getattr(cat, field):
                    patterns.append(compile_pattern(text, gap=gap, value=(key, weight)))

        def lemmas(words: list[str]) -> frozenset[str]:
            return frozenset(lemma(w) for w in words)

        def matcher(name: str, gap: int = 0) -> Matcher:
            return Matcher(compile_pattern(p, gap=gap) for p in q.get(name, []))

        return cls(
            categories=tuple(categories),
            classifier=Matcher(patterns),
            interrogatives=lemmas(q.get("interrogatives", [])),
            clause_initial=lemmas(q.get("clause_initial", [])),
            clause_openers=frozenset(q.get("clause_openers", [])),
            particle=q.get("particle", "ли"),
            prepositions=frozenset(q.get("prepositions", [])),
            tags=lemmas(q.get("tags", [])) | {"алло"},
            starters=matcher("starters"),
            indirect_after=matcher("indirect_after"),
            not_questions=matcher("not_questions"),
        )

    def classify(self, tokens: Tokens, first: int = 0, last: int | None = None) -> str:
        """The best-scoring category of the question in words first..last, or `other`."""
        scores: dict[str, float] = {}
        end = len(tokens) if last is None else last + 1
        for m in self.classifier.find(tokens, first, end):
            key, weight = cast(tuple[str, float], m.pattern.value)
            scores[key] = scores.get(key, 0.0) + weight
        best = max(self.categories, key=lambda k: scores.get(k, 0.0), default=None)
        if best is None or scores.get(best, 0.0) < _MIN_SCORE:
            return OTHER
        return best

    def find(self, turns: Sequence[Turn], punctuated: bool) -> list[Question]:
        """Every question in the given (manager's) turns, in order."""
        found: list[Question] = []
        for turn in turns:
            u = turn.utterance
            if punctuated or _PUNCTUATION.search(u.text):
                spans = self._by_punctuation(turn)
            else:
                spans = self._by_cues(turn)
            for first, last, text in spans:
                category = self.classify(turn.tokens, first, last)
                found.append(Question(u.index, text, category, u.start))
        return found

    def _by_punctuation(self, turn: Turn) -> list[tuple[int, int, str]]:
        tokens = turn.tokens
        spans: list[tuple[int, int]] = []
        first = 0
        for end, mark in tokens.stops:
            asks = "?" in mark and end > first
            if asks and not all(w in self.tags for w in tokens.lemmas[first:end]):
                spans.append((first, end - 1))
            first = max(first, end)
        if not spans:
            return []
        # The sentences as written, punctuation kept; one per question when they line up.
        written = [
            m.group().strip()
            for m in _QUESTION_SENTENCE.finditer(turn.text)
            if _WORD.search(m.group())
        ]
        words = [turn.span(a, b) + "?" for a, b in spans] if len(written) != len(spans) else None
        return [
            (a, b, words[n] if words else written[n].rstrip("?!.… ") + "?")
            for n, (a, b) in enumerate(spans)
        ]

    def _by_cues(self, turn: Turn) -> list[tuple[int, int, str]]:
        tokens = turn.tokens
        starts = self._cue_starts(tokens)
        spans = []
        for n, first in enumerate(starts):
            last = (starts[n + 1] - 1) if n + 1 < len(starts) else len(tokens) - 1
            spans.append((first, last, turn.span(first, last)))
        return spans

    def _cue_starts(self, tokens: Tokens) -> list[int]:
        blocked: set[int] = set()
        for m in self.not_questions.find(tokens):
            blocked.update(range(m.first, m.last + 1))
        indirect_end = {m.last for m in self.indirect_after.find(tokens)}
        starter_at = {m.first for m in self.starters.find(tokens)}
        starts: list[int] = []
        last_cue = -_MERGE_WINDOW
        forms, lemmas = tokens.forms, tokens.lemmas
        for i, form in enumerate(forms):
            if i in blocked:
                continue
            cue: int | None = None
            if i in starter_at:
                cue = i
            elif form == self.particle and i > 0:
                cue = i - 1
            elif lemmas[i] in self.interrogatives or (
                lemmas[i] in self.clause_initial and (i == 0 or forms[i - 1] in self.clause_openers)
            ):
                cue = i
            if cue is None:
                continue
            # "не знаю, есть ли" / "уточню, какой этаж": an indirect question, not asked.
            if any(j in indirect_end for j in range(max(0, cue - 3), cue)):
                continue
            # Open the question at a preposition and openers: "а в каком районе".
            if cue > 0 and forms[cue - 1] in self.prepositions:
                cue -= 1
            while cue > 0 and forms[cue - 1] in self.clause_openers:
                cue -= 1
            if cue - last_cue < _MERGE_WINDOW:
                continue
            last_cue = cue
            # Spoken Russian often puts the topic before the question word: "этаж какой
            # нужен", "дети у вас есть". Near the start of the turn the question opens at
            # the start; later, it takes up to two words back from the clause before.
            if not starts and cue < _MERGE_WINDOW:
                cue = 0
            elif starts:
                cue = max(cue - 2, starts[-1] + 2)
            starts.append(cue)
        return starts
