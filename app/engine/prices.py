"""Exact prices named on the phone: "9 800 000", "девять миллионов восемьсот тысяч",
"две тысячи восемьсот рублей".

The method wants no exact price on the phone. A round figure ("десять миллионов"), a range
("от сорока до семидесяти тысяч", "до десяти миллионов") or an estimate ("около девяти") is
not one; an amount of a million or more with a part below a million, or a figure said with
the currency, is. Below a million an amount is a price only when money is named with it
("бюджет", "за"; below 100,000 only the currency after it or "стоит", "цена", "итого" before
it): "сто пятьдесят тысяч километров" and "пробег шестьдесят две тысячи" are not prices. The
words are the language file's `numbers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Any

from app.engine.speech import Turn
from app.engine.text import Tokens, has_digit, lemma

_MIN_PRICE = 100_000  # below, an amount is a price only with the currency or a price word
_MIN_SMALL_PRICE = 100  # then from here: "сто девяносто девять рублей в месяц"
_MILLION = 1_000_000
_SYMBOLS = ("₽", "$", "€")  # currency signs the tokenizer does not keep as words


@dataclass(frozen=True, slots=True)
class Amount:
    first: int
    last: int
    value: float


@dataclass(frozen=True, slots=True)
class PriceFinder:
    units: dict[str, float]
    scales: dict[str, float]
    approximate: frozenset[str]
    currency: frozenset[str]  # lemmas said after an amount of money: "рубль", "руб"
    price_words: frozenset[str]  # lemmas before a price: "стоить", "цена", "итого"
    money_context: frozenset[str]  # weaker cues near a large amount: "бюджет", "за", "от"
    range_words: frozenset[str]  # after an amount, another amount ends a range: "до"

    @classmethod
    def build(cls, lang: dict[str, Any]) -> PriceFinder:
        numbers = lang.get("numbers", {})

        def lemmas(key: str) -> frozenset[str]:
            return frozenset(lemma(w) for w in numbers.get(key, []))

        return cls(
            {lemma(k): float(v) for k, v in numbers.get("units", {}).items()},
            {lemma(k): float(v) for k, v in numbers.get("scales", {}).items()},
            lemmas("approximate"),
            lemmas("currency"),
            lemmas("price_words"),
            lemmas("money_context"),
            lemmas("range_to"),
        )

    def find(self, turns: Sequence[Turn]) -> list[tuple[Turn, Amount]]:
        """Each exact price in the given (manager's) turns."""
        found = []
        for turn in turns:
            said = turn.tokens.lemmas
            if (
                not has_digit(turn.text)
                and self.scales.keys().isdisjoint(said)
                and self.currency.isdisjoint(said)
            ):
                continue  # a price needs digits, "тысяч" or "рублей": most turns have none
            for amount in self._amounts(turn.tokens):
                if self._is_exact(turn.tokens, amount):
                    found.append((turn, amount))
        return found

    def _is_exact(self, tokens: Tokens, a: Amount) -> bool:
        lemmas = tokens.lemmas
        before = lemmas[max(0, a.first - 3) : a.first]
        if any(w in self.approximate for w in before):
            return False
        after = lemmas[a.last + 1 : a.last + 3]
        if after[:1] and after[0] in self.range_words:
            return False  # "от сорока до семидесяти тысяч": the start of a range
        end = tokens.spans()[a.last][1]
        with_currency = any(w in self.currency for w in after[:1]) or any(
            sign in tokens.text[end : end + 3] for sign in _SYMBOLS
        )
        priced = with_currency or any(w in self.price_words for w in before)
        has_scale = any(w in self.scales for w in lemmas[a.first : a.last + 1])
        if a.value < _MIN_PRICE:
            return priced and a.value >= _MIN_SMALL_PRICE
        said_with_money = priced or any(w in self.money_context for w in (*before, *after))
        if a.value < _MILLION:
            return said_with_money
        if not (said_with_money or has_scale):
            return False  # a phone number or an id, not money
        return a.value % _MILLION != 0 or (with_currency and not has_scale)

    def _amounts(self, tokens: Tokens) -> list[Amount]:
        forms, lemmas, text = tokens.forms, tokens.lemmas, tokens.text
        spans = tokens.spans()
        n = len(forms)

        def between(j: int) -> str:
            return text[spans[j][1] : spans[j + 1][0]]

        # An amount starts at a number (digits or a unit word): the other words are skipped
        # in C, not visited one by one.
        starts = sorted(
            {
                *compress(range(n), map(str.isdigit, forms)),
                *compress(range(n), map(self.units.__contains__, lemmas)),
            }
        )
        amounts: list[Amount] = []
        last_end = -1
        for i in starts:
            if i <= last_end:
                continue
            total = current = 0.0
            first = last = -1
            j = i
            while j < n:
                value = float(forms[j]) if forms[j].isdigit() else self.units.get(lemmas[j])
                if value is not None:
                    # "9 800 000": digit groups of three continue the number.
                    while (
                        forms[j].isdigit()
                        and j + 1 < n
                        and len(forms[j + 1]) == 3
                        and forms[j + 1].isdigit()
                        and between(j).strip() == ""
                    ):
                        value = value * 1000 + float(forms[j + 1])
                        j += 1
                    # "9,8 млн": a decimal part.
                    if (
                        forms[j].isdigit()
                        and j + 1 < n
                        and forms[j + 1].isdigit()
                        and between(j) in (",", ".")
                    ):
                        value += float(forms[j + 1]) / 10 ** len(forms[j + 1])
                        j += 1
                    current += value
                elif lemmas[j] in self.scales and first >= 0:
                    total += max(current, 1.0) * self.scales[lemmas[j]]
                    current = 0.0
                else:
                    break
                first = i if first < 0 else first
                last = j
                j += 1
            amounts.append(Amount(first, last, total + current))
            last_end = last
        return amounts
