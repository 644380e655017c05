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
from app.engine.text import Token, lemma

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
            for amount in self._amounts(turn):
                if self._is_exact(turn.tokens, amount):
                    found.append((turn, amount))
        return found

    def _is_exact(self, tokens: Sequence[Token], a: Amount) -> bool:
        if a.value < _MIN_PRICE:
            return False
        before = tokens[max(0, a.first - 3) : a.first]
        if any(t.lemma in self.approximate for t in before):
            return False
        after = tokens[a.last + 1 : a.last + 3]
        said_with_money = any(t.lemma in _CONTEXT for t in (*before, *after))
        has_scale = any(tokens[i].lemma in self.scales for i in range(a.first, a.last + 1))
        if not (said_with_money or has_scale):
            return False  # a phone number or an id, not money
        below_million = a.value % 1_000_000 != 0
        with_currency = any(t.lemma in ("рубль", "руб", "₽") for t in after)
        return below_million or (with_currency and not has_scale)

    def _amounts(self, turn: Turn) -> list[Amount]:
        tokens, text = turn.tokens, turn.text
        amounts: list[Amount] = []
        i = 0
        while i < len(tokens):
            total = current = 0.0
            first = last = -1
            j = i
            while j < len(tokens):
                tok = tokens[j]
                value = self._number(tok)
                if value is not None:
                    # "9 800 000": digit groups of three continue the number.
                    while (
                        tok.form.isdigit()
                        and j + 1 < len(tokens)
                        and len(tokens[j + 1].form) == 3
                        and tokens[j + 1].form.isdigit()
                        and text[tok.end : tokens[j + 1].start].strip() == ""
                    ):
                        value = value * 1000 + float(tokens[j + 1].form)
                        j += 1
                        tok = tokens[j]
                    # "9,8 млн": a decimal part.
                    if (
                        tok.form.isdigit()
                        and j + 1 < len(tokens)
                        and tokens[j + 1].form.isdigit()
                        and text[tok.end : tokens[j + 1].start] in (",", ".")
                    ):
                        frac = tokens[j + 1].form
                        value += float(frac) / 10 ** len(frac)
                        j += 1
                    current += value
                elif tok.lemma in self.scales and (current or first >= 0):
                    total += max(current, 1.0) * self.scales[tok.lemma]
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

    def _number(self, tok: Token) -> float | None:
        if tok.form.isdigit():
            return float(tok.form)
        return self.units.get(tok.lemma)
