"""Corrections applied to a score: the reviewer's answers replace the machine's, the machine's
stay beside them, and items, total and grade follow the checklist's rules (figures by hand)."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine import get_checklist, score
from app.engine.corrections import Correction, apply_corrections, machine_answer, problems
from tests.conftest import transcript_text

RULES = get_checklist("realty_phone")
# The machine: 3 expertise (utterances 2, 4, 4), 1 personal, 1 motivation; "я не знаю" and
# "вы должны" in utterance 10; items 10 + 5 + 6 + 3.75 + 7.5 + 0 + 5 + 5 + 10 = 52.2, red.
BUDGET = Correction("question", utterance=4, span=(27, 40), category="personal")
NOT_A_VIOLATION = Correction("violation", utterance=10, phrase="вы должны", valid=False)
SHORT_ENOUGH = Correction("item", item="short_presentation", passed=True)


@pytest.fixture(scope="module")
def machine() -> dict[str, Any]:
    return score(transcript_text(), RULES).to_dict()


def _item(scored: dict[str, Any], key: str) -> dict[str, Any]:
    return next(i for i in scored["items"] if i["key"] == key)


def test_a_question_moved_to_another_category_counts_toward_that_category(
    machine: dict[str, Any],
) -> None:
    corrected, applied = apply_corrections(machine, RULES, [BUDGET])

    assert applied == [True]
    assert corrected["question_counts"] == {
        "motivation": 1,
        "personal": 2,
        "expertise": 2,
        "other": 1,
    }
    budget = next(q for q in corrected["questions"] if q["span"] == [27, 40])
    assert (budget["category"], budget["machine_category"]) == ("personal", "expertise")
    assert _item(corrected, "expertise_questions")["points"] == 20 * 2 / 10
    assert _item(corrected, "personal_questions")["points"] == 15 * 2 / 4
    assert (corrected["total"], corrected["grade"]) == (54.0, "red")
    assert machine["total"] == 52.2  # the machine's score is left as it was


def test_violation_dismissed_and_item_passed_recompute_total_and_grade(
    machine: dict[str, Any],
) -> None:
    corrected, _ = apply_corrections(machine, RULES, [BUDGET, NOT_A_VIOLATION, SHORT_ENOUGH])

    assert [v["phrase"] for v in corrected["violations"]] == ["я не знаю"]
    assert [v["phrase"] for v in corrected["dismissed"]["violations"]] == ["вы должны"]
    assert _item(corrected, "forbidden_phrases")["points"] == 10 * (1 - 5 * 1 / 10)
    short = _item(corrected, "short_presentation")
    assert (short["passed"], short["points"], short["machine_passed"]) == (True, 10.0, False)
    # 10 + 5 + 4 + 7.5 + 7.5 + 5 + 10 + 5 + 10 = 64: yellow from 60.
    assert (corrected["total"], corrected["grade"]) == (64.0, "yellow")


def test_a_question_that_is_no_question_is_dismissed_and_a_missed_violation_added(
    machine: dict[str, Any],
) -> None:
    corrections = [
        Correction("question", utterance=8, valid=False),
        Correction("violation", utterance=12, phrase="подождите", valid=True),
    ]
    corrected, applied = apply_corrections(machine, RULES, corrections)

    assert applied == [True, True]
    assert corrected["question_counts"]["motivation"] == 0
    assert [q["utterance"] for q in corrected["dismissed"]["questions"]] == [8]
    added = corrected["violations"][-1]
    assert (added["utterance"], added["phrase"], added["added"]) == (12, "подождите", True)
    # Motivation 0 of 2, three violations still none: 10 + 5 + 6 + 3.75 + 5 + 5 + 10 = 44.75.
    assert corrected["total"] == 44.8


def test_the_later_of_two_corrections_of_one_target_wins(machine: dict[str, Any]) -> None:
    again = Correction("question", utterance=4, span=(27, 40), category="expertise")
    corrected, _ = apply_corrections(machine, RULES, [BUDGET, again])

    assert corrected["question_counts"]["expertise"] == 3
    assert corrected["total"] == machine["total"]


def test_corrections_whose_target_is_gone_are_left_out(machine: dict[str, Any]) -> None:
    gone = Correction("question", utterance=4, span=(1, 5), category="personal")
    corrected, applied = apply_corrections(machine, RULES, [gone])

    assert applied == [False]
    assert corrected == machine


@pytest.mark.parametrize(
    ("correction", "field"),
    [
        (Correction("question", utterance=99, category="personal"), "utterance"),
        (Correction("question", utterance=1, category="personal"), "utterance"),
        (Correction("question", utterance=4, category="personal"), "span"),
        (Correction("question", utterance=4, span=(0, 3), category="personal"), "span"),
        (Correction("question", utterance=2, category="budget"), "category"),
        (Correction("violation", utterance=10, phrase="привет", valid=False), "phrase"),
        (Correction("violation", utterance=2, phrase="я не знаю", valid=False), "phrase"),
        (Correction("item", item="smile", passed=True), "item"),
        (Correction("item", item="greeting"), "passed"),
    ],
)
def test_a_correction_the_score_cannot_take_names_its_field(
    machine: dict[str, Any], correction: Correction, field: str
) -> None:
    found = problems(machine, RULES, correction, range(14))

    assert [f for f, _ in found] == [field]


def test_the_machine_answer_and_its_words_are_kept_for_calibration(
    machine: dict[str, Any],
) -> None:
    assert machine_answer(machine, BUDGET) == ("expertise", "какой бюджет?")
    assert machine_answer(machine, NOT_A_VIOLATION) == ("violation", "Вы должны")
    assert machine_answer(machine, SHORT_ENOUGH) == ("failed", "Короткая презентация")
