"""How the call page names and colours question categories."""

from __future__ import annotations

from app.engine import get_checklist
from app.services.call_page import PALETTE, categories_of, clock


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
