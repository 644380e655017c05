"""Finding the manager's questions and sorting them into the checklist's categories.

With punctuation, a question is a sentence ending in "?". Speech-to-text output without
punctuation has no such mark, so there a question is a clause opened by an interrogative
cue (a question word, "есть ли", "не подскажете", "вам удобно"), unless the cue follows a
verb such as "уточню" that makes it an indirect question ("уточню, есть ли скидка").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import compress
from typing import Any

from app.engine.checklist import OTHER, Category
from app.engine.patterns import Matcher, Pattern, Word, compile_pattern
from app.engine.result import Question, new_question
from app.engine.speech import Turn
from app.engine.text import (
    Tokens,
    ends_sentence,
    fold,
    is_given_name,
    is_noun,
    is_verb,
    lemma,
    person,
    persons_of,
)

_MERGE_WINDOW = 4  # cues this close belong to one question: "скажите, в каком районе"
_SHORT_TURN = 12  # words: a turn this short is one clause for the yes/no rule
_TAIL_WORDS = 8  # else the rule looks at the turn's last words

_CLOSING = frozenset("?!.…")  # marks kept in a question's span
_STATEMENT_ENDS = frozenset({".", "...", "…"})  # a question written as a statement or cut off
_YES_NO_WORDS = 8  # a yes/no question written with a full stop is short
_CUE_REACH = 5  # a question word this near its start: "а на работу вам куда ездить"
_TOPIC_REPLY = 8  # words of a client's reply that takes up a question's topic
_TAKEN_UP_WORDS = 7  # without punctuation, a question answered so is this short
_ANSWER_HEAD = 3  # words of the manager's next turn that take up a glued question
_SELF_ANSWER_WORDS = 5  # the manager's own answer right after his question is short

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
    requests: frozenset[str]  # imperatives: a turn with one asks for something, not a question
    not_echoes: frozenset[str]  # particles and adverbs a client may repeat without answering
    discourse: frozenset[str]  # verbs that only hold attention at a clause start: "смотрите"
    predicates: frozenset[str]  # forms that end a yes/no question: "нужен", "есть", "обязательно"
    needs_noun: frozenset[str]  # question words asking about a noun: "какой (бюджет)", "сколько"
    negations: frozenset[str]
    address: frozenset[str]  # lemmas that address the client
    self_words: frozenset[str]  # lemmas with which the manager speaks of himself
    rhetorical: frozenset[str]  # particles after a question word: "кто же не хочет", "кто ж знал"
    # The language file's starters, indirect_after, not_questions and rhetorical_questions in
    # one index, each pattern's value naming its list; with them each cue word (value "cue")
    # and the particle (value "particle"), so that one scan of a turn finds every candidate.
    cue_phrases: Matcher
    rhetorical_questions: Matcher  # that list alone, for sentences with a question mark
    call_reasons: frozenset[str]  # lemmas of the opener's reason for the call: "заявка"
    also_conjunctions: frozenset[str]  # question words that also compare: "как", "когда"
    relatives: frozenset[str]  # question words that may open a clause about a noun
    copula: frozenset[str]  # forms of "быть" that are no predicate: "будет"
    have: frozenset[str]  # "у вас": the predicate of "какой бюджет у вас"
    joining: frozenset[str]  # "и", "или" join two questions in one sentence
    second_openers: frozenset[str]  # between the conjunction and the second question word
    correlatives: dict[str, str]  # a question word and the word that answers it at once
    numbers: frozenset[str]  # lemmas of spelled-out numbers: "пятьсот", "двадцать"
    confirmations: tuple[tuple[str, ...], ...]  # a detail read back: "(номер) этот", "тот же"
    confirmation_ends: frozenset[str]  # their last words: most turns end with none of them
    anaphora: frozenset[str]  # words that refer back to the question before: "им", "их"

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
            for name in ("starters", "indirect_after", "not_questions", "rhetorical_questions")
            for text in q.get(name, [])
        ]
        particle = q.get("particle", "ли")
        confirmations = tuple(
            tuple(fold(w).split()) for w in q.get("confirmations", []) if fold(w).split()
        )
        # Built as they are looked up: a cue word by its lemma, the particle by its form.
        cue_phrases += [
            Pattern(w, (Word(frozenset((w,)), frozenset()),), 0, "cue")
            for w in sorted(interrogatives | clause_initial)
        ]
        cue_phrases.append(
            Pattern(particle, (Word(frozenset(), frozenset((particle,))),), 0, "particle")
        )
        return cls(
            categories=tuple(categories),
            classifier=Matcher(patterns),
            interrogatives=interrogatives,
            clause_initial=clause_initial,
            clause_openers=frozenset(q.get("clause_openers", [])),
            particle=particle,
            prepositions=frozenset(q.get("prepositions", [])),
            tags=lemmas(q.get("tags", [])),
            cue_words=interrogatives | clause_initial,
            answers=frozenset(fold(w) for w in q.get("answers", [])),
            requests=lemmas(q.get("requests", [])),
            not_echoes=lemmas(q.get("not_echoes", [])),
            discourse=frozenset(fold(w) for w in q.get("discourse", [])),
            predicates=frozenset(fold(w) for w in q.get("yes_no_predicates", [])),
            needs_noun=lemmas(q.get("needs_noun", [])),
            negations=frozenset(fold(w) for w in lang.get("negations", [])),
            address=lemmas(q.get("address", [])),
            self_words=lemmas(q.get("self", [])),
            rhetorical=frozenset(fold(w) for w in q.get("rhetorical_particles", [])),
            cue_phrases=Matcher(cue_phrases),
            rhetorical_questions=Matcher(
                compile_pattern(text) for text in q.get("rhetorical_questions", [])
            ),
            call_reasons=lemmas(q.get("call_reasons", [])),
            also_conjunctions=lemmas(q.get("also_conjunctions", [])),
            relatives=lemmas(q.get("relatives", [])),
            copula=frozenset(fold(w) for w in q.get("copula", [])),
            have=frozenset(fold(w) for w in q.get("have", [])),
            joining=frozenset(fold(w) for w in q.get("joining", [])),
            second_openers=frozenset(fold(w) for w in q.get("second_openers", [])),
            correlatives={lemma(k): fold(v) for k, v in q.get("correlatives", {}).items()},
            numbers=frozenset(lemma(w) for w in lang.get("numbers", {}).get("units", {})),
            confirmations=confirmations,
            confirmation_ends=frozenset(words[-1] for words in confirmations),
            anaphora=frozenset(fold(w) for w in q.get("anaphora", [])),
        )

    def classify(self, tokens: Tokens, spans: Sequence[tuple[int, int]]) -> list[str]:
        """The best-scoring category of each question (words first..last), or `other`.

        The turn is matched once; a match counts for the question that holds all its words.
        A word that two single-word patterns of a category match ("супруги": "супруг",
        "супруга") counts once, and so does a pattern said twice in a question ("для города
        или за город").
        """
        if not spans:
            return []
        scores: list[dict[str, float]] = [{} for _ in spans]
        counted: set[tuple[str, int] | tuple[int, str]] = set()
        # Only a match anchored inside the questions (in order) counts; the rest is not scanned.
        for m in self.classifier.find(tokens, spans[0][0], spans[-1][1], ordered=False):
            for n, (first, last) in enumerate(spans):
                if first <= m.first and m.last <= last:
                    value: Any = m.pattern.value  # (category, weight); no `cast` call
                    key, weight = value
                    said = (key, m.first) if m.first == m.last else (key, -1 - m.first)
                    again = (n, m.pattern.text)
                    if said in counted or again in counted:
                        break
                    counted.update((said, again))
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
            # The opener's "вы оставляли заявку" states why the manager calls: no yes/no
            # question without a cue there.
            reason = turn is turns[0] and not self.call_reasons.isdisjoint(turn.tokens.lemmas)
            if punctuated or ends_sentence(u.text):
                parts = [(turn, self._by_punctuation(turn), 0)]
                reply = _reply(turn, call)
                if reply:
                    parts += self._closed_with_full_stop(turn, reply, reason)
            else:
                reply = _reply(turn, call)
                asked = self._by_cues(turn) or (
                    [] if reason else self._unmarked(turn, reply) or self._read_back(turn, reply)
                )
                parts = [(turn, asked, 0)]
            if parts[0][1] and self._glued(turn, parts[0][1][-1], call):
                parts[0] = (turn, parts[0][1][:-1], 0)
            for where, spans, offset in parts:
                if not spans:
                    continue
                categories = self.classify(where.tokens, [(a, b) for a, b, _ in spans])
                for (a, b, text), category in zip(spans, categories, strict=True):
                    span = _char_span(where.tokens, a, b, offset)
                    found.append(new_question((u.index, text, category, span, u.start)))
        return found

    def _glued(self, turn: Turn, last: tuple[int, int, str], call: Sequence[Turn]) -> bool:
        """Whether the question that ends the manager's turn is the client's, glued onto it by
        diarization, which the manager then answers: the manager's next turn opens by taking
        up its word or with a number ("… а до скольки вы работаете" / "мы до девяти", "… а
        приём сколько стоит" / "приём тысяча пятьсот"). In punctuated speech the client speaks
        in between without answering it ("… А торг там возможен?" / "Ну хоть немного." /
        "Небольшой торг продавец допускает."), and the question has no question word, address,
        predicate word, verb in person, given name or number ("В воскресенье в десять?")."""
        first, end, _ = last
        tokens = turn.tokens
        at = turn.position + 1
        if end != len(tokens.forms) - 1 or at >= len(call):
            return False
        nxt = call[at]
        speaker = turn.utterance.speaker
        punctuated = ends_sentence(turn.utterance.text)
        lemmas = tokens.lemmas[first : end + 1]
        if nxt.utterance.speaker != speaker:
            # Punctuated: the client goes on without answering, then the manager answers. The
            # manager's own questions ask with a question word, name a need ("нужен",
            # "удобно"), offer ("добавим") or call the client by name ("Максим, а фамилия?").
            if not punctuated or not self.cue_words.isdisjoint(lemmas):
                return False  # most questions
            forms = tokens.forms[first : end + 1]
            if (
                not self.address.isdisjoint(lemmas)
                or not self.predicates.isdisjoint(forms)
                or any(map(person, forms))
                or any(map(is_given_name, forms))
                or any(w.isdigit() or w in self.numbers for w in lemmas)
                or nxt.opens_with(self.answers)
                or self._echoed(lemmas, nxt, False)
            ):
                return False
            at += 1
            if at >= len(call) or call[at].utterance.speaker != speaker:
                return False
            nxt = call[at]
        if "?" in nxt.text:
            return False  # a question again, no answer
        head = nxt.tokens.lemmas[:_ANSWER_HEAD]
        words = {
            w for w in lemmas if len(w) > 3 and w not in self.not_echoes and w not in self.cue_words
        }
        return not words.isdisjoint(head) or (
            not punctuated and any(w.isdigit() or w in self.numbers for w in head)
        )

    def _closed_with_full_stop(
        self, turn: Turn, reply: Turn, reason: bool
    ) -> list[tuple[Turn, list[tuple[int, int, str]], int]]:
        """Questions the transcriber closed with a full stop in a turn the client answers: the
        last sentence, or an earlier one opened by "а" when no "?" follows it ("А вас склон
        не смущает. Участок на горе." - "Нет"). Such a sentence is short, the manager does not
        speak of himself, and it has a question word at its start (or after its topic) before
        any comma ("Этаж какой вам нужен.", "А на работу вам куда ездить.") and is a question
        by the rules for speech without punctuation; or it is a yes/no question without one
        ("Семья большая у вас.", an interrupted "А квартиру вы больше под...") as
        `_yes_no_closed` tells, except in an opener that states the `reason` for the call ("Вы
        оставляли заявку на сайте." - "Да"). Each: the sentence as its own turn,
        the question (the whole sentence) and the sentence's character offset in the turn."""
        tokens = turn.tokens
        stops, n = tokens.stops, len(tokens.forms)
        found: list[tuple[Turn, list[tuple[int, int, str]], int]] = []
        first = 0
        for at, (end, mark) in enumerate(stops):
            start, first = first, end
            last = end == n
            if mark not in _STATEMENT_ENDS or not 2 <= end - start <= _SHORT_TURN:
                continue
            if not last and (
                tokens.forms[start] != "а" or any("?" in m for _, m in stops[at + 1 :])
            ):
                continue
            forms, lemmas = tokens.forms[start:end], tokens.lemmas[start:end]
            if self.cue_words.isdisjoint(lemmas[:_CUE_REACH]):  # most: no question word
                if (
                    reason
                    or not self._yes_no_closed(forms, lemmas, reply, last, alone=not found)
                    or "1per" in persons_of(forms)
                    or self._speaks_of_self(forms, lemmas)
                ):
                    continue
                text = turn.span(start, end - 1)
                sentence = Turn(turn.position, replace(turn.utterance, text=text))
            else:
                if "1per" in persons_of(forms) or not self.self_words.isdisjoint(lemmas):
                    continue
                text = turn.span(start, end - 1)
                sentence = Turn(turn.position, replace(turn.utterance, text=text))
                # After a comma a question word opens a clause of a statement: "…, где был рынок".
                head = len(text.split(",", 1)[0].split())
                if self.cue_words.isdisjoint(lemmas[:head]) or not self._by_cues(sentence):
                    continue
            found.append((sentence, [(0, end - start - 1, text)], tokens.spans()[start][0]))
        return found

    def _speaks_of_self(self, forms: list[str], lemmas: list[str]) -> bool:
        """Whether the manager speaks of himself ("я", "мы", "наш"); "у нас", "к нам" (at our
        firm) in "вы у нас раньше наблюдались", "вы к нам первый раз" do not count."""
        if self.self_words.isdisjoint(lemmas):
            return False
        return any(
            w in self.self_words
            and not (forms[k] in ("нас", "нам") and k > 0 and forms[k - 1] in ("у", "к"))
            for k, w in enumerate(lemmas)
        )

    def _yes_no_closed(
        self, forms: list[str], lemmas: list[str], reply: Turn, last: bool, alone: bool
    ) -> bool:
        """Whether a short sentence without a question word, closed with a full stop, asks
        yes or no. It asks for nothing ("пришлите"), does not open with "да"/"нет" (it answers
        the client then: "Да, вы не ошибаетесь.") and has no third-person verb in the present
        ("Дом сдаётся в этом году."). Addressed to the client ("у вас", "вы", a second-person
        verb other than "смотрите", "знаете"), it asks when the client answers "да"/"нет",
        echoes it ("Машина у вас своя." - "Своя.") or, after the turn's last sentence, takes
        up the topic in a few words that are no acknowledgement, no question and no "ну …"
        ("Семья большая у вас." - "Трое детей.", not "Понятно.", "И где деньги?"). Else it
        must be the turn's only such sentence, with a verb or predicate word and no digits,
        and the client must answer "да"/"нет" or echo it ("Раньше ипотеку брали." - "Нет")."""
        if (
            len(forms) > _YES_NO_WORDS
            or forms[0] in self.answers
            or not self.requests.isdisjoint(lemmas)
        ):
            return False
        persons = {person(f) for f in forms if f not in self.discourse and f not in self.predicates}
        if "3per" in persons:
            return False
        # "Вы знаете, дом уже сдан": "вы" of a discourse verb addresses no question.
        addressed = "2per" in persons or any(
            w in self.address and (k + 1 == len(forms) or forms[k + 1] not in self.discourse)
            for k, w in enumerate(lemmas)
        )
        if not addressed and not (
            alone
            and not any(map(str.isdigit, forms))
            and (
                any(f in self.predicates or is_verb(f) for f in forms)
                or self._confirms(forms, len(forms)) is not None
            )
        ):
            return False  # most statements: the client's turn is not even split into words
        if reply.opens_with(self.answers) or self._echoed(lemmas, reply, True):
            return True
        return addressed and last and self._takes_up(reply)

    def _by_punctuation(self, turn: Turn) -> list[tuple[int, int, str]]:
        """Each sentence ending in "?", or two when "и"/"или" joins a second question word
        ("сколько у вас детей и сколько им лет?"); a list that only clarifies the question
        before ("чем заняты в выходные? Рыбалка, дача?") belongs to it."""
        if "?" not in turn.text:
            return []  # no question mark, no question: most turns of a call
        tokens = turn.tokens
        spans: list[tuple[int, int]] = []
        first = 0
        for end, mark in tokens.stops:
            asks = "?" in mark and end > first
            if (
                asks
                and not self.tags.issuperset(tokens.lemmas[first:end])
                and not self._rhetorical(tokens, first, end)
            ):
                if spans and spans[-1][1] == first - 1 and self._clarifies(turn, first, end):
                    spans[-1] = (spans[-1][0], end - 1)
                else:
                    spans += self._joined(tokens, first, end)
            if end > first:
                first = end
        # The words as written, from the first to the last, commas kept.
        asked = {end - 1 for end, mark in tokens.stops if "?" in mark}
        return [(a, b, turn.span(a, b) + ("?" if b in asked else "")) for a, b in spans]

    def _clarifies(self, turn: Turn, first: int, end: int) -> bool:
        """Whether a sentence only clarifies the question before: it opens with "или" ("Или
        без отделки возьмёте?"), or is a short list of options ("Рыбалка, дача?", "Квартира
        или дом?") with no question word, verb, opener or address ("вам"), and a comma or
        "или"."""
        tokens = turn.tokens
        forms = tokens.forms[first:end]
        if forms[0] == "или":  # "Отделку хотите? Или без отделки возьмёте?"
            return True
        return (
            len(forms) <= 4
            and forms[0] not in self.clause_openers
            and self.cue_words.isdisjoint(tokens.lemmas[first:end])
            and self.address.isdisjoint(tokens.lemmas[first:end])
            and not any(map(person, forms))
            and ("или" in forms or "," in turn.span(first, end - 1))
        )

    def _joined(self, tokens: Tokens, first: int, end: int) -> list[tuple[int, int]]:
        """The words of a question sentence, split where "и" or "или" opens a second question
        with a question word after a first one that asks on its own ("какой район и какой
        бюджет?", "как вас зовут и откуда вы?"); "двушку или трёшку?" stays one. So does a
        second question that refers back to the first with an `anaphora` word and does not
        address the client anew: "сколько у вас детей и сколько им лет?" asks about one
        subject, the children, answered in one breath ("двое, пять и семь"); "что для вас
        главное в квартире и как вы её видите?" asks two things."""
        forms, lemmas = tokens.forms, tokens.lemmas
        if self.joining.isdisjoint(forms[first + 2 : end - 1]):
            return [(first, end - 1)]  # most questions: no "и", no "или"
        parts: list[tuple[int, int]] = []
        start = first
        for k in range(first + 2, end - 1):
            if forms[k] not in self.joining:
                continue
            j = k + 1
            while j < end - 1 and (
                forms[j] in self.prepositions or forms[j] in self.second_openers
            ):
                j += 1
            head = lemmas[start:k]
            if (
                lemmas[j] in self.interrogatives
                and not self.cue_words.isdisjoint(head)
                and not self._refers_back(forms[k + 1 : end], lemmas[k + 1 : end])
            ):
                parts.append((start, k - 1))
                start = k + 1
        parts.append((start, end - 1))
        return parts

    def _refers_back(self, forms: list[str], lemmas: list[str]) -> bool:
        """Whether a second question only asks more about the first one's subject: it holds an
        `anaphora` word, no second-person verb and no word addressing the client."""
        return (
            not self.anaphora.isdisjoint(forms)
            and self.address.isdisjoint(lemmas)
            and "2per" not in persons_of(forms)
        )

    def _rhetorical(self, tokens: Tokens, first: int, end: int) -> bool:
        """Whether a question word is followed by a rhetorical particle ("кто же не хочет
        жить у моря?", "кто ж знал?") or the sentence holds a rhetorical idiom ("а кому сейчас
        легко?"): the manager answers it himself, the client is not asked."""
        forms, lemmas = tokens.forms, tokens.lemmas
        # Only the question words are visited (found in C).
        for k in compress(range(first, end - 1), map(self.cue_words.__contains__, lemmas[first:])):
            if forms[k + 1] in self.rhetorical or (
                forms[k] == "кто" and "не" in forms[k + 1 : k + 3]
            ):
                return True  # "кто ж знал?", "кто сейчас не хочет свой дом?"
        if self._answered_at_once(tokens, end):
            return True
        return bool(self.rhetorical_questions.find(tokens, first, end - 1, ordered=False))

    def _answered_at_once(self, tokens: Tokens, end: int) -> bool:
        """Whether the manager answers the question himself in the next sentence of his turn:
        a short statement opening with "да"/"нет" or holding "же" ("Зачем сразу всю сумму
        выкладывать? Проще же частями.")."""
        if end >= len(tokens.forms):
            return False  # the question ends the turn: the client answers
        after = next(((e, m) for e, m in tokens.stops if e > end), None)
        if after is None or "?" in after[1] or after[0] - end > _SELF_ANSWER_WORDS:
            return False
        said = tokens.forms[end : after[0]]
        return said[0] in self.answers or not self.rhetorical.isdisjoint(said)

    def _by_cues(self, turn: Turn) -> list[tuple[int, int, str]]:
        tokens = turn.tokens
        starts = self._cue_starts(tokens)
        bounds = []
        for n, first in enumerate(starts):
            last = (starts[n + 1] - 1) if n + 1 < len(starts) else len(tokens.forms) - 1
            bounds.append((first, last))
        end = tokens.forms[-1] if bounds else ""
        if end and (end in self.predicates or person(end) == "2per"):
            at = self._trailing_yes_no(tokens, *bounds[-1])
            if at is not None:
                bounds[-1:] = [(bounds[-1][0], at - 1), (at, bounds[-1][1])]
        return [(first, last, turn.span(first, last)) for first, last in bounds]

    def _trailing_yes_no(self, tokens: Tokens, first: int, last: int) -> int | None:
        """Where a yes/no question without a cue starts after the question that ends a turn
        ("какой бюджет у вас | ипотеку рассматриваете", "где сейчас живёте | дети есть",
        "сколько комнат нужно | вид на море нужен"), or None.

        Speech-to-text leaves no mark between the two: the second one is told by its own
        predicate at the end of the turn (a second-person verb or a word of
        `yes_no_predicates`) after a clause the first one has already closed with a predicate
        ("у вас", a second-person verb, a predicate word), and it is short. "какие у вас
        планы есть" is one question: a question word that needs its noun (`needs_noun`:
        "какой", "сколько") must have had it before the first predicate.
        """
        forms, lemmas = tokens.forms, tokens.lemmas
        if last - first < 3 or not self._closes(forms[last]):
            return None
        # The second question is at most three words before its predicate.
        for j in range(last - 1, max(first, last - 5), -1):
            has = forms[j] in self.have and forms[j - 1] == "у"
            if not (has or self._closes(forms[j])):
                continue
            second = range(j + 1, last)
            if not second or len(second) > 3:
                return None
            for k in second:
                if lemmas[k] in self.cue_words or forms[k] in self.negations or person(forms[k]):
                    return None
            if not self.self_words.isdisjoint(lemmas[j + 1 : last + 1]):
                return None
            head = j - 1 if has else j  # the first question's predicate
            cue = next((k for k in range(first, head) if lemmas[k] in self.cue_words), None)
            if cue is None:
                return None
            if lemmas[cue] in self.needs_noun and not any(
                k != cue
                and forms[k] not in self.clause_openers
                and forms[k] not in self.prepositions
                and lemmas[k] not in self.address
                for k in range(first, head)
            ):
                return None
            # A verb keeps the noun right after it: "когда планируете переезд | паркинг нужен".
            if (
                len(second) > 1
                and not has
                and forms[j] not in self.predicates
                and forms[j + 2] not in self.prepositions
            ):
                return j + 2
            return j + 1
        return None

    def _closes(self, form: str) -> bool:
        """Whether a word can end a yes/no question: "нужен", "есть", "рассматриваете"."""
        return form in self.predicates or person(form) == "2per"

    def _unmarked(self, turn: Turn, reply: Turn | None) -> list[tuple[int, int, str]]:
        """A yes/no question without any cue, in a turn without punctuation (see lang file)."""
        tokens = turn.tokens
        n = len(tokens.forms)
        if n == 0:
            return []
        first = 0 if n <= _SHORT_TURN else n - _TAIL_WORDS
        # "оценим на месте это минут сорок | а семья большая у вас": the clause after the last
        # "а" is the question.
        tail = tokens.forms[first + 1 : n - 2]
        if "а" in tail:  # the last "а" with at least three words from it to the end
            first = n - 3 - tail[::-1].index("а")
        forms, lemmas = tokens.forms[first:], tokens.lemmas[first:]
        persons = persons_of(forms)
        if "1per" in persons or self._speaks_of_self(forms, lemmas):
            return []
        addressed = "2per" in persons or not self.address.isdisjoint(lemmas)
        asks = "или" in forms and (addressed or reply is not None)
        if not asks and reply is not None:
            if reply.opens_with(self.answers):
                asks = len(reply.tokens.forms) > 1 or self._has_predicate(forms)
            else:
                asks = self._echoed(lemmas, reply, addressed) or (
                    len(forms) <= _TAKEN_UP_WORDS
                    and self._takes_up(reply)
                    and (addressed or self._has_predicate(forms))
                )
        return [(first, n - 1, turn.span(first, n - 1))] if asks else []

    def _confirms(self, forms: Sequence[str], end: int) -> int | None:
        """Where a detail read back for the client to confirm starts when the words up to
        `end` end with one: a noun and a word of `confirmations` ("номер этот", "адрес тот
        же"), else None."""
        if end < 2 or forms[end - 1] not in self.confirmation_ends:
            return None  # one lookup for most turns
        for words in self.confirmations:
            k = end - len(words)
            if k > 0 and tuple(forms[k:end]) == words and is_noun(forms[k - 1]):
                return k - 1
        return None

    def _read_back(self, turn: Turn, reply: Turn | None) -> list[tuple[int, int, str]]:
        """A detail read back at the end of a turn without punctuation, which the client
        confirms ("…пришлю в смс номер этот" - "этот"); the manager may speak of himself
        before it."""
        tokens = turn.tokens
        n = len(tokens.forms)
        first = self._confirms(tokens.forms, n)
        if first is None or reply is None:
            return []
        said = tokens.lemmas[first:]
        if not (reply.opens_with(self.answers) or self._echoed(said, reply, True)):
            return []
        return [(first, n - 1, turn.span(first, n - 1))]

    def _takes_up(self, reply: Turn) -> bool:
        """Whether the client's reply answers in a few words of its own ("дети есть" -
        "дочка маленькая год"): no acknowledgement, opener, question word or question back."""
        said = reply.tokens.lemmas
        return (
            0 < len(said) <= _TOPIC_REPLY
            and said[0] not in self.tags
            and said[0] not in self.clause_openers
            and self.cue_words.isdisjoint(said)
            and "?" not in reply.text
        )

    def _has_predicate(self, forms: list[str]) -> bool:
        """Whether words can make a yes/no question: a verb in the present or future or a
        predicate word ("нужен", "есть"). A bare "угу" or "да" after a fragment ("скажите, а
        вот по квартире" - "да") only lets the manager go on; a discourse verb opening the
        clause ("ну вот смотрите по этажу") is no predicate."""
        for k, f in enumerate(forms):
            if f in self.predicates:
                return True
            if person(f) and not (
                f in self.discourse and (k == 0 or forms[k - 1] in self.clause_openers)
            ):
                return True
        return False

    def _echoed(self, lemmas: list[str], reply: Turn, addressed: bool) -> bool:
        """Whether the client's reply answers by echoing the question's word, the way
        yes/no questions are answered in speech: "для себя смотрите" - "для себя", "дети
        есть" - "есть сын", "вам две комнаты хватит" - "хватит". The echoed word is one of the
        turn's last three; a question addressed to the client may be echoed within the reply's
        first three words, else by its first word. A request ("пришлите фото" - "пришлю") and
        a greeting ("здравствуйте" - "здравствуйте") are not questions."""
        head = reply.tokens.lemmas[: 3 if addressed else 1]
        said = [w for w in lemmas[-3:] if w in head]
        if not said or not self.requests.isdisjoint(lemmas):  # "пришлите фото" - "пришлю"
            return False
        return any(
            len(w) > 2
            and w not in self.address
            and w not in self.self_words
            and w not in self.tags
            and w not in self.not_echoes
            for w in said
        )

    def _cue_starts(self, tokens: Tokens) -> list[int]:
        blocked: set[int] = set()
        indirect_end: set[int] = set()
        starter_at: set[int] = set()
        # Only words that can be a cue are visited, in order: starters, particles, cue words.
        candidates: set[int] = set()
        for m in self.cue_phrases.find(tokens, ordered=False):  # only sets are filled
            value = m.pattern.value
            if value == "cue" or value == "particle":
                candidates.add(m.first)
            elif value == "not_questions" or value == "rhetorical_questions":
                blocked.update(range(m.first, m.last + 1))
            elif value == "indirect_after":
                indirect_end.add(m.last)
            else:
                starter_at.add(m.first)
                candidates.add(m.first)
        if not candidates:
            return []
        starts: list[int] = []
        last_cue = -_MERGE_WINDOW
        forms, lemmas = tokens.forms, tokens.lemmas
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
                lemmas[i] in self.clause_initial
                and (i == 0 or forms[i - 1] in self.clause_openers or self._topic_last(tokens, i))
            ):
                cue = i
            if cue is None:
                continue
            # "кто ж знал": a rhetorical question word, nothing is asked.
            if i + 1 < len(forms) and forms[i + 1] in self.rhetorical:
                continue
            # "не знаю, есть ли" / "уточню, какой этаж": an indirect question, not asked.
            if indirect_end and not indirect_end.isdisjoint(range(max(0, cue - 3), cue)):
                continue
            # "сколько мест не скажу точно": the same, said after the question word.
            if indirect_end and any(
                j in indirect_end and forms[j - 1] in self.negations
                for j in range(cue + 2, min(cue + 5, len(forms)))
            ):
                continue
            # "когда дом сдадут, тогда и ключи выдадим": a correlative, not a question; so is
            # "вот почему я его предлагаю потому что…", answered in the same breath.
            answer = self.correlatives.get(lemmas[i])
            if answer is not None and answer in forms[i + 1 : i + 8]:
                continue
            if self._relative_clause(tokens, i):
                continue
            # Cues this close belong to one question, counted from where each was said (not
            # from the openers taken in below): "а вы сейчас где живёте".
            if i - last_cue < _MERGE_WINDOW:
                continue
            last_cue = i
            # Open the question at a preposition and openers: "а в каком районе".
            if cue > 0 and forms[cue - 1] in self.prepositions:
                cue -= 1
            while cue > 0 and forms[cue - 1] in self.clause_openers:
                cue -= 1
            # Spoken Russian often puts the topic before the question word: "этаж какой
            # нужен", "дети у вас есть". Near the start of the turn the question opens at
            # the start; later, it takes up to two words back from the clause before, or
            # back to an opener: "понятно, ну вот по площади дома какую рассматриваете".
            if not starts and cue < _MERGE_WINDOW:
                cue = 0
            elif starts:
                cue = max(cue - 2, starts[-1] + 2)
            elif cue == i and i not in starter_at:
                cue = self._topic_start(forms, cue)
            starts.append(cue)
        return starts

    def _relative_clause(self, tokens: Tokens, i: int) -> bool:
        """Whether a question word right after a noun opens a clause about it, not a question:
        "дом на улице кирова где раньше был рынок". Such a clause goes on for three words or
        more and neither addresses the client nor has a second-person verb ("а работу где
        нашли", "квартиру где хотите" stay questions)."""
        forms, lemmas = tokens.forms, tokens.lemmas
        if i == 0 or lemmas[i] not in self.relatives or not is_noun(forms[i - 1]):
            return False
        clause = forms[i + 1 : i + 7]
        return (
            len(clause) >= 3
            and "2per" not in persons_of(clause)
            and self.address.isdisjoint(lemmas[i + 1 : i + 7])
        )

    def _topic_start(self, forms: list[str], cue: int) -> int:
        """The first word of a topic said before the question word: back to an opener ("а",
        "ну", "вот") up to eight words back when no verb stands between ("а если представить
        идеальное утро в новой квартире | какое оно"), else up to three words back ("у
        подъёмника эсто садок площадь | какую")."""
        at = cue
        while at > 0 and cue - at < 8 and forms[at - 1] not in self.clause_openers:
            if person(forms[at - 1]):  # a verb ends the clause before
                break
            at -= 1
        if at > 0 and forms[at - 1] in self.clause_openers:
            return at
        return max(at, cue - 3)

    def _topic_last(self, tokens: Tokens, i: int) -> bool:
        """Whether a conjunction-like question word (`clause_initial`) asks after a topic
        said first: "а по деньгам как", "а по срокам что", "заселиться когда планируете",
        "а для вас что главное в новой квартире". The topic is one to three words without a
        verb, at the start of the turn or after an opener ("а", "ну"), or holding a
        preposition; after the question word the turn ends within five words, with a
        second-person verb or none, and the manager says nothing of himself ("в субботу
        когда приедете я покажу", "сделаем всё по договору как положено" are no questions).
        """
        forms, lemmas = tokens.forms, tokens.lemmas
        n = len(forms)
        if i < 1 or n - 1 - i > 5:
            return False
        topic = range(max(0, i - 3), i)
        opened = any(k == 0 or forms[k - 1] in self.clause_openers for k in topic)
        if not opened and not any(forms[k] in self.prepositions for k in topic):
            return False
        start = i
        while start > 0 and i - start < 6 and forms[start - 1] not in self.clause_openers:
            start -= 1
        if any(person(f) for f in forms[start:i]):
            return False
        rest = [
            "2per" if f in self.predicates else ("" if f in self.copula else person(f))
            for f in forms[i + 1 :]
        ]
        if "1per" in rest or ("3per" in rest and "2per" not in rest):
            return False
        # "как" and "когда" also compare and tell time ("сдавать как гостиницу"): then the
        # question ends the turn or has a second-person verb ("когда готовы проводить").
        if lemmas[i] in self.also_conjunctions and rest and "2per" not in rest:
            return False
        return self.self_words.isdisjoint(lemmas[start:])


def _char_span(tokens: Tokens, first: int, last: int, offset: int) -> tuple[int, int]:
    """[start, end) of words first..last in the text, with the marks that close them ("?")."""
    spans, text = tokens.spans(), tokens.text
    end = spans[last][1]
    while end < len(text) and text[end] in _CLOSING:
        end += 1
    return offset + spans[first][0], offset + end


def _reply(turn: Turn, call: Sequence[Turn]) -> Turn | None:
    """The next turn of the call when another speaker says it."""
    at = turn.position + 1
    if at < len(call) and call[at].utterance.speaker != turn.utterance.speaker:
        return call[at]
    return None
