"""Words people read come from the message catalogs: Russian by default, English complete,
the catalogs in step with the code, and a CLI summary in Russian holds no English word."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from rich.console import Console

from app import i18n
from app.api.errors import problem_body
from app.cli.render import render_score
from app.engine import EngineError, reasons, score
from app.services import errors, validation_words, wording

APP = Path(i18n.__file__).parent
# The markers and functions app.i18n provides, as `pybabel extract -k NP_:1,2` reads them.
KEYWORDS = {"_": None, "N_": None, "NP_": (1, 2), "ngettext": (1, 2)}
# The code and the templates worded through the catalogs (babel.cfg reads the same).
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
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
    """The texts of the code and of the Jinja templates, as babel.cfg has pybabel read them."""
    found = extract_from_dir(
        str(APP),
        method_map=METHODS,
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        keywords=KEYWORDS,
    )
    return {m[2] if isinstance(m[2], str) else m[2][0] for m in found}


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_text_of_the_code_is_translated_in_every_catalog(locale: str) -> None:
    catalog = _catalog(locale)

    assert _extracted() <= set(catalog)
    untranslated = [k for k, v in catalog.items() if not v or (isinstance(v, tuple) and not all(v))]
    assert untranslated == []


def test_russian_and_english_catalogs_hold_the_same_texts() -> None:
    russian, english = set(_catalog("ru")), set(_catalog("en"))

    assert sorted(russian - english) == []  # in Russian only: no English wording
    assert sorted(english - russian) == []  # in English only: no Russian wording


def _family() -> list[type[errors.CallqaError]]:
    found, todo = [], [errors.CallqaError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("cls", _family(), ids=lambda c: c.__name__)
def test_every_problem_title_and_default_detail_is_worded_in_both_languages(
    cls: type[errors.CallqaError],
) -> None:
    catalogs = {locale: _catalog(locale) for locale in i18n.LOCALES}
    bodies = {}
    for locale in i18n.LOCALES:
        with i18n.using(locale):
            bodies[locale] = problem_body(cls(), "/v1/x")

    assert cls.title in catalogs["ru"] and cls.title in catalogs["en"]
    assert bodies["en"]["title"] == bodies["en"]["detail"] == cls.title
    assert bodies["ru"]["title"] == bodies["ru"]["detail"] == catalogs["ru"][cls.title]
    assert re.search(r"[а-яё]", bodies["ru"]["title"], re.I), bodies["ru"]
    assert bodies["ru"]["type"] == bodies["en"]["type"] == f"urn:callqa:problem:{cls.slug}"


# A detail or reason written as a literal (not through the catalog) at a raise site.
_FAMILY = {cls.__name__ for cls in _family()} | {"ValueError", "invalid"}
_SKIP_FIRST = {"at", "invalid"}  # the pointer or parameter name: a code, not words


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value != ""
    return isinstance(node, ast.JoinedStr | ast.BinOp)


def _unworded(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = func.value if isinstance(func, ast.Attribute) else None
        if name == "at" and not (isinstance(owner, ast.Name) and owner.id in _FAMILY):
            continue
        if name != "at" and name not in _FAMILY:
            continue
        args = node.args[1:] if name in _SKIP_FIRST else node.args
        values = [*args, *(k.value for k in node.keywords if k.arg in ("detail", "reason"))]
        for k in node.keywords:  # errors=[{"pointer": ..., "reason": ...}]
            for d in ast.walk(k.value):
                if isinstance(d, ast.Dict):
                    values += [
                        v
                        for key, v in zip(d.keys, d.values, strict=True)
                        if isinstance(key, ast.Constant) and key.value == "reason"
                    ]
        found += [f"{path.relative_to(APP)}:{v.lineno}" for v in values if _literal(v)]
    return found


def test_every_problem_detail_and_reason_callqa_raises_comes_from_the_catalog() -> None:
    # The engine words its findings as codes (wording.py); settings are read before any
    # language is known (the operator's CALLQA_* variables, in English).
    sources = [
        p
        for p in APP.rglob("*.py")
        if "engine" not in p.relative_to(APP).parts and p.name != "settings.py"
    ]

    unworded = [spot for path in sources for spot in _unworded(path)]

    assert unworded == []


def test_pydantic_reasons_are_worded_by_type_and_unknown_types_keep_pydantic_words() -> None:
    too_short = {"type": "string_too_short", "ctx": {"min_length": 2}, "msg": "String should…"}
    at_least = {"type": "greater_than_equal", "ctx": {"ge": 1000}, "msg": "Input should…"}
    unknown = {"type": "uuid_parsing", "ctx": {}, "msg": "Input should be a valid UUID"}

    with i18n.using("ru"):
        ru = [validation_words.reason(e) for e in (too_short, at_least, unknown)]
    with i18n.using("en"):
        en = [validation_words.reason(e) for e in (too_short, at_least, unknown)]

    assert ru == [
        "Строка должна содержать не меньше 2 символов",
        "Значение должно быть не меньше 1\xa0000",
        "Input should be a valid UUID",
    ]
    assert en == [
        "String should have at least 2 characters",
        "Input should be greater than or equal to 1,000",
        "Input should be a valid UUID",
    ]


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


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_engine_error_reason_has_a_wording_in_every_catalog(locale: str) -> None:
    catalog = _catalog(locale)

    missing = [code for code, text in reasons.ENGLISH.items() if not catalog.get(text)]

    assert missing == []


def test_an_engine_error_is_worded_by_its_code_in_russian_and_its_english_text_is_kept() -> None:
    with pytest.raises(EngineError) as raised:
        score("")

    with i18n.using("ru"):
        russian = wording.engine_reason(raised.value)
    with i18n.using("en"):
        english = wording.engine_reason(raised.value)

    assert raised.value.code == "empty"
    assert russian == "расшифровка пуста"
    assert english == raised.value.reason == "the transcript is empty"


def test_a_nested_json_reason_is_worded_whole_in_russian() -> None:
    with pytest.raises(EngineError) as raised:
        score({"segments": [{"text": 5}]})

    with i18n.using("ru"):
        russian = wording.engine_reason(raised.value)

    assert raised.value.reason == "whisper JSON: segments[0].text: expected a string, got a number"
    assert russian == "whisper JSON: segments[0].text: ожидается строка, получено: число"
