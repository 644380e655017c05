"""Finding the manager's questions and sorting them into the checklist's categories.

With punctuation, a question is a sentence ending in "?". Speech-to-text output without
punctuation has no such mark, so there a question is a clause opened by an interrogative
cue (a question word, "есть ли", "не подскажете", "вам удобно"), unless the cue follows a
verb such as "уточню" that makes it an indirect question ("уточню, есть ли скидка").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from app.engine.checklist import OTHER, Category
from app.engine.patterns import Matcher, compile_pattern, occurrences, positions
from app.engine.result import Question
from app.engine.speech import Turn
from app.engine.text import Tokens, ends_sentence, fold, lemma, persons_of

_MERGE_WINDOW = 4  # cues this close belong to one question: "скажите, в каком районе"
_SHORT_TURN = 12  # words: a turn this short is one clause for the yes/no rule
_TAIL_WORDS = 8  # else the rule looks at the turn's last words

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
    cue_words: frozenset[str]  # lemmas that may open a question: interrogatives, clause_initial
    answers: frozenset[str]  # a client's reply opening with one of these answers a yes/no question
    address: frozenset[str]  # lemmas that address the client
    self_words: frozenset[str]  # lemmas with which the manager speaks of himself
    # The language file's starters, indirect_after and not_questions in one index; each
    # pattern's value names its list.
    cue_phrases: Matcher

    @classmethod
    def build(
        cls,
        categories: dict[str, Category],
        lang: dict[str, Any],
        other_questions: Sequence[str] = (),
    ) -> QuestionFinder:
        q = lang.get("questions", {})
        patterns = []
        for key, cat in categories.items():
            for field, weight in _WEIGHTS.items():
                gap = 3 if field == "phrases" else 0
                for text in getattr(cat, field):
                    patterns.append(compile_pattern(text, gap=gap, value=(key, weight)))
        weight = _WEIGHTS["phrases"]
        patterns += [compile_pattern(t, gap=3, value=(OTHER, weight)) for t in other_questions]

        def lemmas(words: list[str]) -> frozenset[str]:
            return frozenset(lemma(w) for w in words)

        interrogatives = lemmas(q.get("interrogatives", []))
        clause_initial = lemmas(q.get("clause_initial", []))
        cue_phrases = [
            compile_pattern(text, value=name)
            for name in ("starters", "indirect_after", "not_questions")
            for text in q.get(name, [])
        ]
        return cls(
            categories=tuple(categories),
            classifier=Matcher(patterns),
            interrogatives=interrogatives,
            clause_initial=clause_initial,
            clause_openers=frozenset(q.get("clause_openers", [])),
            particle=q.get("particle", "ли"),
            prepositions=frozenset(q.get("prepositions", [])),
            tags=lemmas(q.get("tags", [])) | {"алло"},
            cue_words=interrogatives | clause_initial,
            answers=frozenset(fold(w) for w in q.get("answers", [])),
            address=lemmas(q.get("address", [])),
            self_words=lemmas(q.get("self", [])),
            cue_phrases=Matcher(cue_phrases),
        )

    def classify(self, tokens: Tokens, spans: Sequence[tuple[int, int]]) -> list[str]:
        """The best-scoring category of each question (words first..last), or `other`.

        The turn is matched once; a match counts for the question that holds all its words.
        """
        if not spans:
            return []
        scores: list[dict[str, float]] = [{} for _ in spans]
        # Only a match anchored inside the questions (in order) counts; the rest is not scanned.
        for m in self.classifier.find(tokens, spans[0][0], spans[-1][1], ordered=False):
            for n, (first, last) in enumerate(spans):
                if first <= m.first and m.last <= last:
                    key, weight = cast(tuple[str, float], m.pattern.value)
                    scores[n][key] = scores[n].get(key, 0.0) + weight
                    break
        return [self._best(s) if s else OTHER for s in scores]

    def _best(self, scores: dict[str, float]) -> str:
        """The highest score of at least _MIN_SCORE; a tie goes to the category listed first,
        and to `other` when the checklist's other_questions score as high."""
        best, top = OTHER, 0.0
        for key in self.categories:
            if scores.get(key, 0.0) > top:
                best, top = key, scores[key]
        return best if top >= _MIN_SCORE and top > scores.get(OTHER, 0.0) else OTHER

    def find(
        self, turns: Sequence[Turn], punctuated: bool, call: Sequence[Turn] = ()
    ) -> list[Question]:
        """Every question in the given (manager's) turns, in order. `call` is every turn of
        the call in order: without punctuation, the client's reply tells a yes/no question."""
        found: list[Question] = []
        for turn in turns:
            u = turn.utterance
            if punctuated or ends_sentence(u.text):
                spans = self._by_punctuation(turn)
            else:
                spans = self._by_cues(turn) or self._unmarked(turn, _reply(turn, call))
            if not spans:
                continue
            categories = self.classify(turn.tokens, [(a, b) for a, b, _ in spans])
            for (_, _, text), category in zip(spans, categories, strict=True):
                found.append(Question(u.index, text, category, u.start))
        return found

    def _by_punctuation(self, turn: Turn) -> list[tuple[int, int, str]]:
        if "?" not in turn.text:
            return []  # no question mark, no question: most turns of a call
        tokens = turn.tokens
        spans: list[tuple[int, int]] = []
        first = 0
        for end, mark in tokens.stops:
            asks = "?" in mark and end > first
            if asks and not self.tags.issuperset(tokens.lemmas[first:end]):
                spans.append((first, end - 1))
            if end > first:
                first = end
        # The words as written, from the first to the last, commas kept.
        return [(a, b, turn.span(a, b) + "?") for a, b in spans]

    def _by_cues(self, turn: Turn) -> list[tuple[int, int, str]]:
        tokens = turn.tokens
        starts = self._cue_starts(tokens)
        spans = []
        for n, first in enumerate(starts):
            last = (starts[n + 1] - 1) if n + 1 < len(starts) else len(tokens) - 1
            spans.append((first, last, turn.span(first, last)))
        return spans

    def _unmarked(self, turn: Turn, reply: Turn | None) -> list[tuple[int, int, str]]:
        """A yes/no question without any cue, in a turn without punctuation (see lang file)."""
        tokens = turn.tokens
        n = len(tokens)
        if n == 0:
            return []
        first = 0 if n <= _SHORT_TURN else n - _TAIL_WORDS
        forms, lemmas = tokens.forms[first:], tokens.lemmas[first:]
        persons = persons_of(forms)
        if "1per" in persons or not self.self_words.isdisjoint(lemmas):
            return []
        answered = reply is not None and reply.opens_with(self.answers)
        addressed = "2per" in persons or not self.address.isdisjoint(lemmas)
        if answered or ("или" in forms and (addressed or reply is not None)):
            return [(first, n - 1, turn.span(first, n - 1))]
        return []

    def _cue_starts(self, tokens: Tokens) -> list[int]:
        blocked: set[int] = set()
        indirect_end: set[int] = set()
        starter_at: set[int] = set()
        for m in self.cue_phrases.find(tokens, ordered=False):  # only sets are filled
            if m.pattern.value == "not_questions":
                blocked.update(range(m.first, m.last + 1))
            elif m.pattern.value == "indirect_after":
                indirect_end.add(m.last)
            else:
                starter_at.add(m.first)
        starts: list[int] = []
        last_cue = -_MERGE_WINDOW
        forms, lemmas = tokens.forms, tokens.lemmas
        # Only words that can be a cue are visited, in order.
        candidates = {
            *starter_at,
            *occurrences(forms, self.particle),
            *positions(lemmas, self.cue_words),
        }
        for i in sorted(candidates):
            form = forms[i]
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
            if indirect_end and not indirect_end.isdisjoint(range(max(0, cue - 3), cue)):
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


def _reply(turn: Turn, call: Sequence[Turn]) -> Turn | None:
    """The next turn of the call when another speaker says it."""
    at = turn.position + 1
    if at < len(call) and call[at].utterance.speaker != turn.utterance.speaker:
        return call[at]
    return None
