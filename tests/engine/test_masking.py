"""Masking personal data: what is masked, what stays, and that the score does not change."""

from __future__ import annotations

import json
import re

import pytest

from app.engine import get_checklist, score
from app.engine.masking import Masker, masker
from tests.engine.conftest import dialogue


@pytest.fixture(scope="module")
def mask() -> Masker:
    return masker(get_checklist("realty_phone"))


@pytest.mark.parametrize(
    ("said", "kind", "datum"),
    [
        ("Запишите мой номер: +7 (916) 123-45-67, звоните.", "phone", "+7 (916) 123-45-67"),
        ("мобильный 8 916 123 45 67 лучше после шести", "phone", "8 916 123 45 67"),
        ("пишите на ivan.petrov@mail.ru пожалуйста", "email", "ivan.petrov@mail.ru"),
        ("карта 4532 0151 1283 0366 привязана", "card", "4532 0151 1283 0366"),
        ("паспорт 4501 123456 выдан в Самаре", "passport", "4501 123456"),
    ],
)
def test_each_kind_of_personal_data_is_masked_in_digits(
    mask: Masker, said: str, kind: str, datum: str
) -> None:
    masked = mask.mask(said)

    assert [f.kind for f in mask.find(said)] == [kind]
    assert datum not in masked
    assert len(masked) == len(said)  # spans and offsets into the text stay valid
    assert masked == said.replace(datum, re.sub(r"\w", "*", datum))


def test_a_phone_number_spoken_as_number_words_is_masked(mask: Masker) -> None:
    said = "записывайте восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь"

    masked = mask.mask(said)

    assert masked.startswith("записывайте ")
    assert set(masked[len("записывайте ") :]) <= {"*", " "}


def test_an_e_mail_as_speech_to_text_writes_it_is_masked(mask: Masker) -> None:
    assert mask.mask("почта petrov собака mail точка ru, записали?") == (
        "почта ****** ****** **** ***** **, записали?"
    )
    assert mask.mask("у нас собака большая. Точка.") == "у нас собака большая. Точка."


def test_a_passport_spoken_as_series_and_number_is_masked(mask: Masker) -> None:
    said = "паспорт серия сорок пять ноль один номер сто двадцать три четыреста пятьдесят шесть"

    masked = mask.mask(said)

    assert [f.kind for f in mask.find(said)] == ["passport", "passport"]
    assert "сорок" not in masked and "четыреста" not in masked
    assert masked.startswith("паспорт серия ") and " номер " in masked


@pytest.mark.parametrize(
    "said",
    [
        "квартира стоит 12 500 000 рублей",
        "итого девять миллионов восемьсот тысяч",
        "бюджет 8 916 123 45 67 рублей",  # phone-shaped, but a sum with its currency
        "цена 4 500 000 000 ₽",
        "дом 15 квартира 40, сдача в две тысячи двадцать седьмом году",
    ],
)
def test_prices_and_other_numbers_are_not_masked(mask: Masker, said: str) -> None:
    assert mask.mask(said) == said


def test_a_card_number_that_fails_the_luhn_check_is_not_masked(mask: Masker) -> None:
    said = "номер договора 4532 0151 1283 0367"

    assert mask.mask(said) == said


def test_the_masked_result_keeps_the_score_and_masks_transcript_and_evidence() -> None:
    call = dialogue(
        "М: Добрый день, агентство «Дом», меня зовут Анна. Какой район вы рассматриваете?",
        "К: Центр. Мой телефон 8 916 123 45 67, почта anna@mail.ru.",
        "М: Записала телефон 8 916 123 45 67. Квартира стоит 9 800 000 рублей.",
        "К: Хорошо.",
    )
    checklist = get_checklist("realty_phone")
    result = score(call, checklist)

    masked = masker(checklist).mask_result(result)

    assert masked.total == result.total and masked.question_counts == result.question_counts
    assert [i.points for i in masked.items] == [i.points for i in result.items]
    texts = [u.text for u in masked.transcript.utterances]
    assert "916" not in " ".join(texts) and "anna@mail.ru" not in texts[1]
    assert "9 800 000 рублей" in texts[2]
    quoted = [e.text for i in masked.items for e in i.evidence]
    assert quoted and not any("916" in t for t in quoted)
    assert [q.span for q in masked.questions] == [q.span for q in result.questions]


def test_a_number_spread_over_word_level_records_of_a_json_transcript_is_masked(
    mask: Masker,
) -> None:
    said = "позвоните мне восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь"
    words = said.split()
    sent = {
        "results": {
            "channels": [
                {
                    "alternatives": [
                        {
                            "transcript": said,
                            "words": [{"word": w, "start": float(k)} for k, w in enumerate(words)],
                        }
                    ]
                }
            ]
        }
    }

    stored = json.dumps(mask.mask_value(sent), ensure_ascii=False)

    assert not any(w in stored for w in words[2:])
    assert stored.count("позвоните") == 2 and stored.count('"start": 3.0') == 1
