"""Exact prices named on the phone: "9 800 000", "девять миллионов восемьсот тысяч".

The method wants no exact price on the phone. A round figure ("десять миллионов"), a
range's upper end ("до десяти миллионов") or an estimate ("около девяти") is not one; an
amount with a part below a million, or a figure said with "рублей", is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.speech import Turn
from app.engine.text import Tokens, has_digit, lemma

_MIN_PRICE = 100_000


_CONTEXT = ("стоить", "стоимость", "цена", "рубль", "руб", "р", "₽", "бюджет", "за", "от")


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

    @classmethod
    def build(cls, lang: dict[str, Any]) -> PriceFinder:
        numbers = lang.get("numbers", {})
        return cls(
            {lemma(k): float(v) for k, v in numbers.get("units", {}).items()},
            {lemma(k): float(v) for k, v in numbers.get("scales", {}).items()},
            frozenset(lemma(w) for w in numbers.get("approximate", [])),
        )

    def find(self, turns: Sequence[Turn]) -> list[tuple[Turn, Amount]]:
        """Each exact price in the given (manager's) turns."""
        found = []
        for turn in turns:
            if not has_digit(turn.text) and self.scales.keys().isdisjoint(turn.tokens.lemmas):
                continue  # a price needs digits or "тысяч"/"миллион": most turns have neither
            for amount in self._amounts(turn.tokens):
                if self._is_exact(turn.tokens.lemmas, amount):
                    found.append((turn, amount))
        return found

    def _is_exact(self, lemmas: list[str], a: Amount) -> bool:
        if a.value < _MIN_PRICE:
            return False
        before = lemmas[max(0, a.first - 3) : a.first]
        if any(w in self.approximate for w in before):
            return False
        after = lemmas[a.last + 1 : a.last + 3]
        said_with_money = any(w in _CONTEXT for w in (*before, *after))
        has_scale = any(w in self.scales for w in lemmas[a.first : a.last + 1])
        if not (said_with_money or has_scale):
            return False  # a phone number or an id, not money
        below_million = a.value % 1_000_000 != 0
        with_currency = any(w in ("рубль", "руб", "₽") for w in after)
        return below_million or (with_currency and not has_scale)

    def _amounts(self, tokens: Tokens) -> list[Amount]:
        forms, lemmas, text = tokens.forms, tokens.lemmas, tokens.text
        spans = tokens.spans()
        n = len(forms)

        def between(j: int) -> str:
            return text[spans[j][1] : spans[j + 1][0]]

        amounts: list[Amount] = []
        i = 0
        while i < n:
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
            if first >= 0:
                amounts.append(Amount(first, last, total + current))
                i = last + 1
            else:
                i += 1
        return amounts
