"""Splitting speech into words: the evidence quotes the words exactly as they were written."""

from app.engine.text import tokenize


def test_a_repeated_word_is_quoted_where_it_was_said() -> None:
    tokens = tokenize("Да, да — ДА! Где вы живёте?")

    assert tokens.forms == ["да", "да", "да", "где", "вы", "живете"]
    assert tokens.words(2, 2) == "ДА"
    assert tokens.words(3, 5) == "Где вы живёте"


def test_marks_end_sentences_and_commas_do_not() -> None:
    tokens = tokenize("Скажите, какой этаж?! Хорошо… А бюджет?")

    assert tokens.forms == ["скажите", "какой", "этаж", "хорошо", "а", "бюджет"]
    assert tokens.stops == [(3, "?!"), (4, "…"), (6, "?")]


def test_hyphens_digits_and_quotes_split_as_words() -> None:
    tokens = tokenize("ЖК «Новый адрес», кухня-гостиная 18,5 м², сдача в 2027.")

    assert tokens.forms == [
        "жк",
        "новый",
        "адрес",
        "кухня-гостиная",
        "18",
        "5",
        "м²",
        "сдача",
        "в",
        "2027",
    ]
    assert tokens.words(4, 5) == "18,5"
    assert tokens.stops == [(10, ".")]
