"""Splitting speech into words: the evidence quotes the words exactly as they were written."""

from app.engine.model import Utterance
from app.engine.patterns import Matcher, compile_pattern, positions
from app.engine.speech import Turn
from app.engine.text import first_form, persons_of, tokenize


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


def test_speech_to_text_words_are_quoted_by_counted_offsets() -> None:
    tokens = tokenize("вы не должны ничего платить заранее ёлка")

    assert tokens.words(1, 2) == "не должны"
    assert tokens.words(6, 6) == "ёлка"
    assert tokens.spans()[-1] == (36, 40)


def test_first_form_is_the_first_word_tokenize_gives() -> None:
    for text in ("Да, конечно.", "— «Нет»!", "5 этажей", "...", "", "ДА-ДА, давайте"):
        forms = tokenize(text).forms
        assert first_form(text) == (forms[0] if forms else None)


def test_a_turn_not_yet_split_opens_with_its_first_word() -> None:
    turn = Turn(0, Utterance(0, "Клиент", "Да, удобно."))

    assert turn.opens_with(frozenset({"да"}))
    assert turn._tokens is None  # no need to split the whole turn for its first word
    assert not turn.opens_with(frozenset({"нет"}))


def test_unknown_words_are_found_in_known_and_unseen_forms() -> None:
    tokens = tokenize("давайте посмотрим евротрешку сегодня")

    assert tokens.unknown() == [2]
    assert tokens.unknown() == [2]  # the second time from the memo
    assert tokenize("давайте посмотрим сегодня").unknown() == []


def test_person_sets_and_anchor_positions() -> None:
    assert persons_of(["пришлю", "смотрите", "дом"]) == {"1per", "2per", ""}
    assert positions(["а", "где", "вы", "где"], frozenset({"где", "вы"})) == [1, 2, 3]


def test_a_matcher_looks_only_at_anchors_in_the_given_words() -> None:
    matcher = Matcher([compile_pattern("какой район"), compile_pattern("бюджет")])
    tokens = tokenize("Какой район? А бюджет какой?")

    assert [m.pattern.text for m in matcher.find(tokens)] == ["какой район", "бюджет"]
    assert [m.pattern.text for m in matcher.find(tokens, 2, 4)] == ["бюджет"]
    assert [m.pattern.text for m in matcher.find(tokens, 0, 0)] == []  # anchor "район" is out
