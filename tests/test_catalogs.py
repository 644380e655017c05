"""Words people read come from the message catalogs: Russian by default, English complete,
the catalogs in step with the code, and a CLI summary in Russian holds no English word."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from rich.console import Console

from app import i18n
from app.cli.render import render_score
from app.engine import score
from app.services import wording

APP = Path(i18n.__file__).parent
# The markers and functions app.i18n provides, as `pybabel extract -k NP_:1,2` reads them.
KEYWORDS = {"_": None, "N_": None, "NP_": (1, 2), "ngettext": (1, 2)}
# The code and the templates worded through the catalogs (babel.cfg reads the same).
METHODS = [
    ("**.py", "python"),
    ("templates/call_page.html", "jinja2"),
]
CALL = "\n".join(
    [
        "Менеджер: Добрый день, агентство «Юг», меня зовут Анна. Разговор записывается.",
        "Клиент: Здравствуйте, я по объявлению.",
        "Менеджер: Какой район рассматриваете? Сколько комнат нужно?",
        "Клиент: Центр, две комнаты.",
        "Менеджер: Я не знаю, есть ли там свободные. Перезвоните позже.",
        "Клиент: Хорошо.",
    ]
)


def _catalog(locale: str) -> dict[str, object]:
    with i18n.catalog_path(locale).open("rb") as po:
        return {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(po) if m.id}


def _extracted() -> set[str]:
    found = extract_from_dir(
        str(APP),
        method_map=METHODS,
        keywords=KEYWORDS,
        options_map={"templates/call_page.html": {"extensions": "jinja2.ext.i18n"}},
    )
    return {m[2] if isinstance(m[2], str) else m[2][0] for m in found}


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_text_of_the_code_is_translated_in_every_catalog(locale: str) -> None:
    catalog = _catalog(locale)

    assert _extracted() <= set(catalog)
    untranslated = [k for k, v in catalog.items() if not v or (isinstance(v, tuple) and not all(v))]
    assert untranslated == []


def test_russian_counts_take_the_three_plural_forms() -> None:
    with i18n.using("ru"):
        said = [
            wording.message({"code": "forbidden_said", "params": {"count": n}})
            for n in (1, 3, 5, 21)
        ]

    assert said == [
        "1 запрещённая фраза",
        "3 запрещённые фразы",
        "5 запрещённых фраз",
        "21 запрещённая фраза",
    ]


def test_numbers_and_dates_follow_the_language() -> None:
    with i18n.using("ru"):
        ru = (
            i18n.number(0.5),
            i18n.number(1234.25),
            i18n.day(date(2026, 3, 14)),
        )
    with i18n.using("en"):
        en = (
            i18n.number(0.5),
            i18n.number(1234.25),
            i18n.day(date(2026, 3, 14)),
        )

    assert ru == ("0,5", "1\xa0234,25", "14.03.2026")
    assert en == ("0.5", "1,234.25", "Mar 14, 2026")


def _summary(locale: str) -> tuple[str, dict[str, object]]:
    data = score(CALL).to_dict()
    console = Console(record=True, width=200, color_system=None)
    with i18n.using(locale):
        render_score(console, data)
    return console.export_text(), data


def test_the_cli_summary_of_a_call_holds_no_english_word_in_russian() -> None:
    text, data = _summary("ru")

    checklist = data["checklist"]
    assert isinstance(checklist, dict)
    for code in (checklist["key"], checklist["version"]):  # ids, not words
        text = text.replace(code, "")
    assert re.findall(r"[A-Za-z]+", text) == []
    grades = {"green": "зелёная", "yellow": "жёлтая", "red": "красная"}
    assert f"({grades[str(data['grade'])]})" in text
    assert "2 запрещённые фразы" in text and "Запрещённые фразы (2)" in text


def test_the_cli_summary_in_english_words_the_same_findings() -> None:
    text, _ = _summary("en")

    assert "2 forbidden phrases" in text
    assert "Forbidden phrases (2)" in text
    assert "manager: Менеджер — the speaker label «Менеджер» is a manager role" in text


def test_item_details_are_worded_in_russian_and_stored_english_is_kept_without_codes() -> None:
    items = score(CALL).to_dict()["items"]
    old = {**items[0], "detail_parts": None, "detail": "introduced self and company"}

    with i18n.using("ru"):
        worded = [wording.item_detail(i) for i in items]
        kept = wording.item_detail(old)

    assert all(not re.search(r"[A-Za-z]", w) for w in worded), worded
    assert kept == "introduced self and company"
