"""How the call page names and colours question categories."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.engine import get_checklist
from app.services.call_page import PALETTE, categories_of, clock, render_call_page


def test_categories_take_the_checklists_colours_and_titles() -> None:
    shown = categories_of(get_checklist("realty_phone"), set())

    assert shown["expertise"].title == "Экспертные вопросы"
    assert shown["expertise"].color == "#2563eb"
    assert (shown["other"].title, shown["other"].color) == ("Прочие вопросы", "#6b7280")


def test_categories_without_a_colour_take_the_palette_in_checklist_order() -> None:
    checklist = get_checklist("spin_classic")

    shown = categories_of(checklist, {"implication", "retired_category"})

    assert list(shown) == [*checklist.categories, "retired_category", "other"]
    assert [c.color for c in shown.values()][:5] == list(PALETTE[:5])
    assert shown["retired_category"].title == "retired_category"


def test_times_in_the_call_read_as_minutes_and_hours() -> None:
    assert [clock(None), clock(5.9), clock(75), clock(3725)] == ["", "0:05", "1:15", "1:02:05"]


def _call(violations: list[dict[str, Any]]) -> dict[str, Any]:
    """A stored call as the page reads it, with one manager utterance."""
    said = "Я не знаю. Правда не знаю, какой там этаж?"
    return {
        "id": 7,
        "external_id": "e-7",
        "manager_id": "m-1",
        "manager_name": None,
        "team_id": None,
        "started_at": datetime(2026, 3, 2, 10, tzinfo=UTC),
        "duration_s": None,
        "checklist": {"key": "realty_phone", "version": "x"},
        "utterances": [{"index": 0, "speaker": "Менеджер", "text": said, "start": 3.0}],
        "score": {
            "total": 40.0,
            "grade": "red",
            "manager": {"speaker": "Менеджер"},
            "items": [],
            "questions": [{"utterance": 0, "text": "какой там этаж?", "category": "expertise"}],
            "question_counts": {"expertise": 1},
            "violations": violations,
            "metrics": {},
        },
    }


def test_a_phrase_with_a_span_is_struck_where_the_span_says() -> None:
    hit = {"utterance": 0, "matched": "не знаю", "replacement": "Я уточню", "span": [18, 25]}

    html = render_call_page(_call([hit]))

    assert 'Я не знаю. Правда <del>не знаю</del><ins title="замена">Я уточню</ins>, ' in html


def test_the_same_words_said_twice_are_struck_once_each_in_order() -> None:
    hit = {"utterance": 0, "matched": "не знаю", "replacement": "Я уточню"}

    transcript = render_call_page(_call([hit, hit])).split("<h2>Расшифровка</h2>")[1]

    assert transcript.count("<del>не знаю</del>") == 2
    assert '<span class="q" data-category="expertise"' in transcript
    assert "какой там этаж?</span>" in transcript


def test_a_phrase_not_found_in_the_text_is_shown_after_it() -> None:
    hit = {"utterance": 0, "matched": "вы должны", "replacement": "Прошу вас"}

    html = render_call_page(_call([hit]))

    assert 'этаж?</span> <del>вы должны</del><ins title="замена">Прошу вас</ins></p>' in html
