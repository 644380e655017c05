"""Checklist items: one evaluator per kind, each returning its points and evidence."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.checklist import (
    BookingItem,
    ForbiddenPhrasesItem,
    GreetingItem,
    NoExactPriceItem,
    PhraseAnyItem,
    QuestionCountItem,
    TalkBalanceItem,
)
from app.engine.messages import Message, english, message
from app.engine.patterns import Matcher, compile_pattern
from app.engine.prices import Amount
from app.engine.result import Evidence, ItemResult, Question, Violation, new_evidence
from app.engine.speech import Turn
from app.engine.text import Tokens, has_digit, is_given_name, may_be_given_name, person

# A name in quotes: «Балтик Хаус», "Море и горы", „Бриз“.
_QUOTED = re.compile(r"«[^»]{2,40}»|\"[^\"]{2,40}\"|„[^“]{2,40}“")


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything found in a call that items are judged on."""

    turns: Sequence[Turn]
    manager_turns: Sequence[Turn]
    manager: str
    questions: Sequence[Question]
    violations: Sequence[Violation]
    prices: Sequence[tuple[Turn, Amount]]
    metrics: dict[str, Any]


def _evidence(
    turn: Turn, first: int | None = None, last: int | None = None, note: str | None = None
) -> Evidence:
    u = turn.utterance
    text = turn.span(first, last) if first is not None and last is not None else u.text
    return Evidence(u.index, text, u.start, note)


def _result(
    item: Any,
    share: float,
    evidence: Sequence[Evidence],
    detail: Message | Sequence[Message],
    passed: bool | None = None,
) -> ItemResult:
    share = min(1.0, max(0.0, share))
    parts = (detail,) if isinstance(detail, Message) else tuple(detail)
    return ItemResult(
        key=item.key,
        title=item.title,
        points=round(item.points * share, 2),
        max_points=item.points,
        passed=share >= 1.0 if passed is None else passed,
        evidence=tuple(evidence),
        detail=english(parts),
        detail_parts=parts,
    )


def _matcher(patterns: Sequence[str]) -> Matcher:
    return Matcher(compile_pattern(p, gap=1) for p in patterns)


def question_count(item: QuestionCountItem, a: Analysis) -> ItemResult:
    asked = [q for q in a.questions if q.category == item.category]
    evidence = [new_evidence((q.utterance, q.text, q.start, None)) for q in asked]
    detail = message("questions_asked", asked=len(asked), target=item.target)
    return _result(item, len(asked) / item.target, evidence, detail)


def forbidden_phrases(item: ForbiddenPhrasesItem, a: Analysis) -> ItemResult:
    evidence = [
        Evidence(v.utterance, v.matched, v.start, f"«{v.phrase}» → «{v.replacement}»")
        for v in a.violations
    ]
    share = 1.0 - item.penalty * len(a.violations) / item.points
    detail = (
        message("forbidden_said", count=len(a.violations))
        if a.violations
        else message("forbidden_none")
    )
    return _result(item, share, evidence, detail, passed=not a.violations)


def talk_balance(item: TalkBalanceItem, a: Analysis) -> ItemResult:
    m = a.metrics
    checks: list[tuple[bool, Message]] = []
    evidence: list[Evidence] = []
    if item.max_monologue_words is not None:
        words = m["longest_monologue_words"]
        checks.append(
            (
                words <= item.max_monologue_words,
                message("monologue", words=words, max_words=item.max_monologue_words),
            )
        )
        if m["longest_monologue_utterance"] is not None:
            evidence.append(
                Evidence(
                    m["longest_monologue_utterance"],
                    m["longest_monologue_text"],
                    m["longest_monologue_start"],
                )
            )
    if item.max_talk_share is not None:
        share = m["manager_talk_share"]
        checks.append(
            (
                share <= item.max_talk_share,
                message("talk_share", share=share, max_share=item.max_talk_share),
            )
        )
    ok = sum(1 for passed, _ in checks if passed)
    return _result(item, ok / len(checks) if checks else 1.0, evidence, [d for _, d in checks])


def no_exact_price(item: NoExactPriceItem, a: Analysis) -> ItemResult:
    evidence = [
        _evidence(turn, am.first, am.last, f"{am.value:,.0f}".replace(",", " "))
        for turn, am in a.prices
    ]
    detail = message("price_named") if evidence else message("price_not_named")
    return _result(item, 0.0 if evidence else 1.0, evidence, detail)


def phrase_any(item: PhraseAnyItem, a: Analysis) -> ItemResult:
    matcher = _compiled(item, lambda: _matcher(item.patterns))
    turns = a.manager_turns[: item.within_first] if item.within_first else a.manager_turns
    for turn in turns:
        for m in matcher.find(turn.tokens):
            return _result(item, 1.0, [_evidence(turn, m.first, m.last)], message("phrase_said"))
    return _result(item, 0.0, [], message("phrase_not_said"))


def greeting(item: GreetingItem, a: Analysis) -> ItemResult:
    name, company, stop = _compiled(
        item,
        lambda: (
            _matcher(item.name),
            _matcher(item.company),
            frozenset(item.company_before_name),
        ),
    )
    found: dict[str, Evidence] = {}
    for n, turn in enumerate(a.manager_turns[: item.within_first]):
        for part, matcher in (("name", name), ("company", company)):
            if part not in found and (ms := matcher.find(turn.tokens)):
                found[part] = _evidence(turn, note=f"{part}: {turn.span(ms[0].first, ms[0].last)}")
        quoted = _QUOTED.search(turn.text) if n == 0 and item.company_in_quotes else None
        if "company" not in found and quoted:
            found["company"] = _evidence(turn, note=f"company: {quoted.group(0)}")
        at = _given_name_at(turn) if n == 0 else None
        if "name" not in found and at is not None and item.names_from_dictionary:
            found["name"] = _evidence(turn, note=f"name: {turn.span(at, at)}")
        if "company" not in found and at is not None and stop:
            said = _company_before(turn, at, stop)
            if said is not None:
                found["company"] = _evidence(turn, note=f"company: {turn.span(*said)}")
    missing = [p for p in ("name", "company") if p not in found]
    detail = message("greeting_missing", missing=missing) if missing else message("greeting_done")
    return _result(item, len(found) / 2, list(found.values()), detail)


def _given_name_at(turn: Turn) -> int | None:
    """The first given name in the turn: one the dictionary takes for a name first, or a
    capitalised word inside a sentence that may be one ("банка «Ладога», Роман")."""
    tokens = turn.tokens
    starts = {0, *(end for end, _ in tokens.stops)}
    for i, form in enumerate(tokens.forms):
        if is_given_name(form):
            return i
        if (
            i not in starts
            and may_be_given_name(form)
            and turn.text[tokens.spans()[i][0]].isupper()
        ):
            return i
    return None


_COMPANY_WORDS = 4  # "клиника эстетической медицины лаура"


def _company_before(turn: Turn, at: int, stop: frozenset[str]) -> tuple[int, int] | None:
    """The first and last word of the company named right before the given name at `at`,
    skipping role words ("Кайзер Авто, менеджер Антон"), back to a greeting or introduction
    word (`stop`): up to four words with no verb or digit, or None."""
    forms = turn.tokens.forms
    end = at
    while end > 0 and forms[end - 1] in stop:
        end -= 1  # role words between the company and the name
    first = end
    while first > 0 and end - first < _COMPANY_WORDS and forms[first - 1] not in stop:
        if person(forms[first - 1]) or forms[first - 1].isdigit():
            return None
        first -= 1
    return (first, end - 1) if first < end else None


def booking(item: BookingItem, a: Analysis) -> ItemResult:
    """A viewing or meeting with a day or time: said by the manager, proposed by the client
    and confirmed, asked by the manager and answered with a time, or fixed in the manager's
    turn after the client's answer. A proposal put as a question counts once the client
    agrees in the next turn."""
    events, times, regex, agreement, proposals, hedges = _compiled(
        item,
        lambda: (
            _matcher(item.events),
            _matcher(item.times),
            re.compile(item.time_regex, re.IGNORECASE) if item.time_regex else None,
            frozenset(item.agreement),
            frozenset(item.proposals),
            frozenset(item.hedges),
        ),
    )

    def has_time(turn: Turn | None, first: int = 0, last: int | None = None) -> bool:
        """A day or time said in the turn, from word `first` on (to word `last`)."""
        if turn is None:
            return False
        if times.find(turn.tokens, first, last):
            return True
        end = len(turn.tokens) - 1 if last is None else last
        text = turn.text if first == 0 and last is None else turn.span(first, end)
        return bool(regex and has_digit(text) and regex.search(text))

    turns = a.turns  # in order: turns[n].position == n
    for turn in a.manager_turns:
        found = events.find(turn.tokens)
        if not found:
            continue
        # In the manager's own turn the day comes with the event or after it: "Отправлю
        # сегодня. Будете в Сочи, приезжайте, покажу" books nothing.
        first = _sentence_start(turn.tokens, found[0].first)
        at = turn.position
        before = turns[at - 1] if at > 0 else None
        after = turns[at + 1] if at + 1 < len(turns) else None
        client_after = after if after and after.utterance.speaker != a.manager else None
        # "Когда сможете на просмотр?" — "В конце апреля." — "Давайте двадцать седьмое, в десять."
        then = turns[at + 2] if client_after and at + 2 < len(turns) else None
        fixed = then and then.utterance.speaker == a.manager and then.opens_with(proposals)
        manager_then = then if fixed else None
        if has_time(turn, first):
            # "Записала: среда, десять тридцать. Аллергия есть?" books in its own sentence;
            # "Приезжайте в офис. Удобно в пятницу?" asks.
            sentence_end = _sentence_end(turn.tokens, found[0].first)
            said = has_time(turn, first, sentence_end) and not turn.tokens.in_question(
                found[0].first
            )
            asked = not said and turn.text.rstrip().endswith("?")
            agreed = client_after is not None and not agreement.isdisjoint(
                client_after.tokens.forms
            )
            if not asked or agreed or not agreement:
                return _result(item, 1.0, [_evidence(turn)], message("booked"))
        elif (
            has_time(before)
            or has_time(manager_then)
            or (has_time(client_after) and not _hedged(client_after, hedges))
        ):
            return _result(item, 1.0, [_evidence(turn)], message("booked"))
    return _result(item, 0.0, [], message("not_booked"))


def _sentence_end(tokens: Tokens, i: int) -> int:
    """The last word of the sentence that holds word `i`."""
    return next((end - 1 for end, _ in tokens.stops if end > i), len(tokens) - 1)


def _hedged(turn: Turn | None, hedges: frozenset[str]) -> bool:
    """Whether the client only maybe names a time: "Может, на выходных. Подумаю."."""
    return turn is not None and not hedges.isdisjoint(turn.tokens.forms)


def _sentence_start(tokens: Tokens, i: int) -> int:
    """The first word of the sentence that holds word `i`."""
    start = 0
    for end, _ in tokens.stops:
        if end > i:
            break
        start = end
    return start


# Matchers built from an item's patterns, compiled once per item definition.
_CACHE: dict[int, Any] = {}


def _compiled(item: Any, build: Callable[[], Any]) -> Any:
    key = id(item)
    if key not in _CACHE:
        _CACHE[key] = (item, build())  # keep the item alive so its id stays unique
    return _CACHE[key][1]


EVALUATORS: dict[str, Callable[[Any, Analysis], ItemResult]] = {
    "question_count": question_count,
    "forbidden_phrases": forbidden_phrases,
    "talk_balance": talk_balance,
    "no_exact_price": no_exact_price,
    "phrase_any": phrase_any,
    "greeting": greeting,
    "booking": booking,
}
