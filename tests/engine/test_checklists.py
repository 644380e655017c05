"""Specs: built-in checklists, versions, and validation naming the line of each mistake."""

import json
from pathlib import Path

import pytest

from app.engine import (
    Checklist,
    ChecklistError,
    get_checklist,
    list_checklists,
    load_checklist,
    score,
)
from app.engine.checklist import BUILTIN_DIR, parse_checklist, validate_checklist_file
from app.engine.documents import canonical_version


def test_builtin_checklists_are_the_three_of_the_method() -> None:
    assert {c.key for c in list_checklists()} == {"realty_phone", "spin_classic", "complaint"}


def test_realty_phone_has_the_items_trainers_rely_on() -> None:
    keys = {i.key for i in get_checklist("realty_phone").items}
    assert keys >= {
        "greeting",
        "recording_disclosure",
        "expertise_questions",
        "personal_questions",
        "motivation_questions",
        "forbidden_phrases",
        "short_presentation",
        "no_exact_price",
        "viewing_booked",
    }
    assert get_checklist("realty_phone").max_points == 100


def test_version_is_a_content_hash_that_changes_with_the_file(tmp_path: Path) -> None:
    for name in ("realty_phone.yaml", "lang_ru.yaml", "forbidden_ru.yaml"):
        (tmp_path / name).write_bytes((BUILTIN_DIR / name).read_bytes())
    copy = load_checklist(tmp_path / "realty_phone.yaml")
    assert copy.version == get_checklist("realty_phone").version
    path = tmp_path / "realty_phone.yaml"
    path.write_text(path.read_text().replace("target: 10", "target: 12"))
    assert load_checklist(path).version != copy.version


def test_unknown_checklist_key_names_the_known_ones() -> None:
    with pytest.raises(ChecklistError, match="known: complaint, realty_phone, spin_classic"):
        get_checklist("nope")


def test_validate_names_the_line_and_reason_of_every_mistake(tmp_path: Path) -> None:
    (tmp_path / "lang_ru.yaml").write_bytes((BUILTIN_DIR / "lang_ru.yaml").read_bytes())
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "key: bad\ntitle: Bad\nlanguage: ru\ngrades: {green: 80, yellow: 60}\nitems:\n"
        "  - key: a\n    title: A\n    kind: question_count\n    category: nope\n    target: 0\n"
        "    points: 5\n  - key: a\n    title: B\n    kind: teleport\n    points: 1\n"
    )
    problems = validate_checklist_file(bad)
    assert problems == [
        "line 9: items.0.category: unknown category 'nope'",
        "line 10: items.0.question_count.target: Input should be greater than or equal to 1",
        "line 12: items.1: Input tag 'teleport' found using 'kind' does not match any of the "
        "expected tags: 'question_count', 'forbidden_phrases', 'talk_balance', 'no_exact_price', "
        "'phrase_any', 'greeting', 'booking'",
        "line 12: items.1.key: item key 'a' is used twice",
    ]


def test_an_empty_other_questions_pattern_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "lang_ru.yaml").write_bytes((BUILTIN_DIR / "lang_ru.yaml").read_bytes())
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "key: bad\ntitle: Bad\nlanguage: ru\ngrades: {green: 80, yellow: 60}\n"
        'other_questions: ["когда =сможете", "  "]\n'
        "items:\n  - key: a\n    title: A\n    kind: talk_balance\n    points: 5\n"
    )

    problems = validate_checklist_file(bad)

    assert len(problems) == 1 and problems[0].startswith("line 5: other_questions")
    assert "empty pattern" in problems[0]


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("key: x\nitems: [\n  - a: b\n")
    assert validate_checklist_file(bad)[0].startswith("line ")


def test_builtin_files_are_valid() -> None:
    for path in BUILTIN_DIR.glob("*.yaml"):
        if not path.name.startswith(("lang_", "forbidden_")):
            assert validate_checklist_file(path) == []


def test_complaint_checklist_follows_the_seed_algorithm() -> None:
    text = (
        "Оператор: Добрый день, компания «Юг», разговор записывается. Слушаю вас.\n"
        "Клиент: Мне привезли не тот шкаф! Я два дня ждал доставку, отпросился с работы, "
        "а привезли не тот цвет и не тот размер. Это безобразие, я очень недоволен, "
        "и никто из ваших не может мне толком ничего объяснить.\n"
        "Оператор: Понимаю вас, приношу извинения. Предлагаю заменить шкаф завтра бесплатно.\n"
        "Клиент: Хорошо.\n"
        "Оператор: Спасибо, что сообщили. Оформляю замену прямо сейчас."
    )
    result = score(text, "complaint")
    assert {i.key: i.passed for i in result.items} == {
        "listen": True,
        "understanding_apology": True,
        "solution": True,
        "thanks": True,
        "act_at_once": True,
        "recording_disclosure": True,
        "forbidden_phrases": True,
    }


def test_spin_checklist_sorts_spin_questions() -> None:
    text = (
        "Менеджер: Сколько у вас сотрудников? Что вас не устраивает в текущей системе? "
        "К чему это приводит? Что это даст вашему отделу?\nКлиент: Ну, многое."
    )
    result = score(text, "spin_classic")
    assert [q.category for q in result.questions] == [
        "situation",
        "problem",
        "implication",
        "need_payoff",
    ]


def test_a_checklist_outside_the_package_takes_language_and_phrases_from_the_package(
    tmp_path: Path,
) -> None:
    path = tmp_path / "realty_phone.yaml"
    path.write_bytes((BUILTIN_DIR / "realty_phone.yaml").read_bytes())

    assert load_checklist(path).version == get_checklist("realty_phone").version


def test_a_stored_document_rebuilds_the_checklist_with_its_categories_in_order() -> None:
    spin = get_checklist("spin_classic")
    stored = json.loads(json.dumps(spin.document(), sort_keys=True))  # as jsonb gives it back

    again = Checklist.from_document(stored, spin.version)

    assert list(again.categories) == list(spin.categories)
    assert canonical_version(again.document()) == spin.version
    reordered = spin.model_copy(update={"categories": dict(reversed(spin.categories.items()))})
    assert canonical_version(reordered.document()) != spin.version


def _extend(text: str) -> Checklist:
    return parse_checklist(
        text, bases=lambda key: get_checklist(key) if key == "realty_phone" else None
    )


def test_extends_adds_and_drops_words_of_a_category_and_overrides_an_item_by_key() -> None:
    base = get_checklist("realty_phone")
    ours = _extend(
        "key: ours\ntitle: Ours\nextends: realty_phone\n"
        "drop: {words: {expertise: [ипотека]}, forbidden: [вы должны]}\n"
        "categories:\n  expertise: {words: [коворкинг]}\n"
        "  investment: {title: Инвестиционные вопросы, words: [доходность]}\n"
        "items:\n  - {key: expertise_questions, title: Экспертные, kind: question_count,"
        " category: expertise, target: 5, points: 20}\n"
    )

    assert ours.categories["expertise"].words[-1] == "коворкинг"
    assert "ипотека" not in ours.categories["expertise"].words
    assert list(ours.categories) == [*base.categories, "investment"]
    assert [i.key for i in ours.items] == [i.key for i in base.items]
    assert ours.items[2].target == 5  # type: ignore[union-attr]
    phrases = [p.phrase for p in ours.forbidden_phrases]
    assert phrases == [p.phrase for p in base.forbidden_phrases if p.phrase != "вы должны"]
    assert ours.extends is not None and ours.extends.version == base.version


def test_dropping_what_the_base_does_not_have_names_it_with_its_line() -> None:
    with pytest.raises(ChecklistError) as caught:
        _extend("key: ours\ntitle: Ours\nextends: realty_phone\ndrop:\n  items: [nope]\n")

    assert [str(p) for p in caught.value.problems] == [
        "line 5: drop.items.0: the base has no item 'nope'"
    ]
