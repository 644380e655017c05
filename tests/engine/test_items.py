"""Specs: checklist items of the default real-estate checklist, each with its evidence."""

import pytest

from app.engine import score
from tests.engine.conftest import dialogue


def item(result, key):  # type: ignore[no-untyped-def]
    return next(i for i in result.items if i.key == key)


def test_greeting_needs_name_and_company() -> None:
    full = score(dialogue("М: Добрый день, агентство «Юг», меня зовут Анна.", "К: Да."))
    half = score(dialogue("М: Добрый день, меня зовут Анна.", "К: Да."))
    assert (item(full, "greeting").passed, item(full, "greeting").points) == (True, 10)
    assert (item(half, "greeting").passed, item(half, "greeting").points) == (False, 5)


def test_recording_disclosure_is_evidenced_by_the_words() -> None:
    result = score(dialogue("М: Здравствуйте. Разговор записывается.", "К: Да."))
    got = item(result, "recording_disclosure")
    assert got.passed and got.evidence[0].text == "Разговор записывается"


@pytest.mark.parametrize(
    "said",
    [
        "Квартира стоит 9 800 000 рублей.",
        "Это девять миллионов восемьсот тысяч.",
        "Цены от десяти миллионов пятисот тысяч.",
        "Стоимость 9,8 млн.",
    ],
)
def test_exact_price_loses_the_point(said: str) -> None:
    got = item(
        score(dialogue("М: Добрый день.", "К: Сколько стоит?", f"М: {said}")), "no_exact_price"
    )
    assert not got.passed and got.evidence[0].utterance == 2


@pytest.mark.parametrize(
    "said",
    [
        "Цены от восьми до десяти миллионов.",
        "Около десяти миллионов.",
        "Какой у вас бюджет?",
        "Позвоните по номеру 8 800 555 35 35.",
    ],
)
def test_ranges_estimates_and_phone_numbers_are_not_exact_prices(said: str) -> None:
    got = item(
        score(dialogue("М: Добрый день.", "К: Сколько стоит?", f"М: {said}")), "no_exact_price"
    )
    assert got.passed


def test_viewing_booked_with_a_day_or_time() -> None:
    booked = score(dialogue("М: Давайте встретимся на объекте в субботу в 11?", "К: Давайте."))
    asked = score(dialogue("М: Когда вам удобно приехать на просмотр?", "К: Не знаю пока."))
    agreed = score(
        dialogue(
            "М: Когда вам удобно подъехать?", "К: В субботу в 11.", "М: Договорились, жду вас."
        )
    )
    assert item(booked, "viewing_booked").passed
    assert not item(asked, "viewing_booked").passed
    assert item(agreed, "viewing_booked").passed


def test_a_month_without_a_day_books_no_viewing() -> None:
    vague = score(dialogue("М: Ближе к июню договоримся о дате показа.", "К: Хорошо."))

    assert not item(vague, "viewing_booked").passed


def test_the_manager_fixing_the_day_the_client_gave_books_the_viewing() -> None:
    fixed = score(
        dialogue(
            "М: Когда сможете прилететь на просмотр?",
            "К: В конце апреля.",
            "М: Давайте двадцать седьмое апреля, десять утра.",
            "К: Хорошо.",
        )
    )

    assert item(fixed, "viewing_booked").passed


def test_long_presentation_fails_short_presentation() -> None:
    monologue = " ".join(["Дом построен из монолита, рядом море и парк."] * 20)
    got = item(
        score(dialogue("М: Добрый день.", f"М: {monologue}", "К: Понятно.")), "short_presentation"
    )
    assert not got.passed and "longest monologue 162 words" in got.detail


def test_forbidden_phrases_item_lists_each_replacement() -> None:
    got = item(score(dialogue("М: Я не знаю.", "К: Ну ладно.")), "forbidden_phrases")
    assert not got.passed and got.points == 5
    assert got.evidence[0].note == "«я не знаю» → «Я уточню и вернусь к вам с ответом»"


def test_novice_with_five_questions_is_not_graded_green() -> None:
    result = score(
        dialogue(
            "М: Добрый день, агентство «Юг», меня зовут Анна. Разговор записывается.",
            "К: Здравствуйте, я насчёт квартиры.",
            "М: Какой район? Какой бюджет? Сколько комнат?",
            "К: Центр, десять, две.",
            "М: На каком этаже? Почему решили переехать?",
            "К: Повыше. Тепло тут.",
            "М: Давайте в субботу в 11 покажу объект.",
            "К: Хорошо.",
        )
    )
    assert sum(result.question_counts.values()) == 5
    assert result.grade != "green"


def test_strong_manager_asking_all_three_kinds_is_green() -> None:
    questions = (
        "В каком районе ищете? Какая площадь нужна? Сколько комнат? На каком этаже? Какой бюджет? "
        "Для отдыха или для переезда? Сколько человек будет жить? Будут ли гости? "
        "Какая отделка нужна? "
        "Рассматриваете ипотеку? Когда планируете заселиться? Почему решили переехать? "
        "Где вы сейчас живёте? Есть ли дети, сколько им лет? Чем вы занимаетесь? "
        "Что для вас важно при выборе квартиры? Как вы видите квартиру вашей мечты?"
    )
    result = score(
        dialogue(
            "М: Добрый день, агентство «Юг», меня зовут Анна. Разговор записывается.",
            "К: Здравствуйте, я по поводу квартиры в Сочи, хочу узнать подробности.",
            f"М: {questions}",
            "К: Центр, шестьдесят метров, две комнаты, повыше, миллионов десять, переезд, трое.",
            "М: Давайте в субботу в 11 покажу вам три варианта.",
            "К: Договорились, до встречи в субботу.",
        ),
        manager_speaker="Менеджер",
    )
    assert result.question_counts["expertise"] >= 10
    assert result.question_counts["personal"] >= 4 and result.question_counts["motivation"] == 2
    assert result.grade == "green", [(i.key, i.points) for i in result.items]


def test_company_name_in_quotes_with_a_first_name_is_a_full_greeting() -> None:
    result = score(dialogue("М: Добрый день, «Анапа Эстейт», Ксения, слушаю вас.", "К: Добрый."))
    assert item(result, "greeting").passed
    later = score(
        dialogue("М: Добрый день, меня зовут Анна.", "К: Да.", "М: Квартира в «Юге» свободна.")
    )
    assert not item(later, "greeting").passed  # only the opener introduces the company


def test_a_day_said_before_the_invitation_in_another_sentence_books_nothing() -> None:
    result = score(
        dialogue(
            "М: Презентацию отправлю сегодня. Будете в Сочи, приезжайте, покажу шоу-рум.",
            "К: Хорошо, я в феврале собирался.",
        )
    )

    assert not item(result, "viewing_booked").passed


def test_an_invitation_with_its_day_in_the_next_sentence_books() -> None:
    result = score(
        dialogue("М: Приезжайте на просмотр. Жду вас в субботу в одиннадцать.", "К: Хорошо.")
    )

    assert item(result, "viewing_booked").passed


def test_lets_look_at_it_on_saturday_books_a_viewing_in_asr_text() -> None:
    result = score(
        dialogue("М: ну вот давайте посмотрим её в субботу в двенадцать удобно", "К: давайте")
    )

    assert item(result, "viewing_booked").passed


def test_we_will_see_by_monday_books_nothing() -> None:
    result = score(dialogue("М: Посмотрим, что можно сделать к понедельнику.", "К: Хорошо."))

    assert not item(result, "viewing_booked").passed


# --- other trades: brand-only greetings, appointments and test drives, small prices ----------


@pytest.mark.parametrize(
    ("opener", "company"),
    [
        ("Автоцентр Север, Игорь, добрый день.", "Автоцентр Север"),
        ("Добрый день, Кайзер Авто, менеджер Антон.", "Кайзер Авто"),
        ("да добрый вечер пицца сити анна слушаю вас", "пицца сити"),
        ("Да, Семейный доктор, Галина, добрый день.", "Семейный доктор"),
    ],
)
def test_a_company_without_a_keyword_said_before_the_managers_name_is_a_full_greeting(
    opener: str, company: str
) -> None:
    got = item(score(dialogue(f"М: {opener}", "К: Здравствуйте.")), "greeting")
    assert got.passed
    assert [e.note for e in got.evidence][1] == f"company: {company}"


def test_a_greeting_addressing_the_client_by_name_names_no_company() -> None:
    got = item(score(dialogue("М: Добрый день, Валентина Петровна?", "К: Да.")), "greeting")
    assert not got.passed


def test_a_name_the_dictionary_reads_first_as_a_noun_counts_when_capitalised() -> None:
    opener = "М: Здравствуйте, служба поддержки банка «Ладога», Роман."
    assert item(score(dialogue(opener, "К: Здравствуйте.")), "greeting").passed


@pytest.mark.parametrize(
    "said",
    [
        "Приём у Игоря Петровича стоит две тысячи восемьсот рублей.",
        "УЗИ брюшной полости 3 500 рублей.",
        "Итого две тысячи триста сорок рублей, доставка бесплатная.",
        "Обслуживание сто девяносто девять рублей в месяц.",
        "МРТ колена стоит четыре тысячи двести.",
    ],
)
def test_a_small_exact_price_with_the_currency_or_a_price_word_loses_the_point(said: str) -> None:
    got = item(score(dialogue("М: Добрый день.", "К: Сколько?", f"М: {said}")), "no_exact_price")
    assert not got.passed


@pytest.mark.parametrize(
    "said",
    [
        "Гарантия пять лет или сто пятьдесят тысяч километров.",
        "Пробег шестьдесят две тысячи, один хозяин.",
        "Импланты от сорока до семидесяти тысяч за зуб.",
        "Ставки от семи до девяти процентов.",
    ],
)
def test_distances_ranges_and_rates_are_not_exact_prices(said: str) -> None:
    got = item(score(dialogue("М: Добрый день.", "К: Сколько?", f"М: {said}")), "no_exact_price")
    assert got.passed


@pytest.mark.parametrize(
    "booked",
    [
        "Записала: среда, десять тридцать, доктор Алиев. Аллергия на препараты есть?",
        "Тогда приходите в пятницу в отделение на Кирова, к пяти часам.",
        "Тест-драйв в субботу в одиннадцать, я вас записал.",
        "в четверг в четырнадцать ноль ноль к доктору морозовой",
    ],
)
def test_an_appointment_test_drive_or_branch_meeting_with_a_time_is_booked(booked: str) -> None:
    got = item(
        score(dialogue("М: Добрый день.", "К: Да.", f"М: {booked}", "К: Нет.")), "viewing_booked"
    )
    assert got.passed


def test_a_client_who_only_maybe_names_a_day_books_nothing() -> None:
    got = item(
        score(
            dialogue(
                "М: Добрый день.",
                "К: Да.",
                "М: Приедете посмотреть?",
                "К: Может, на выходных. Подумаю.",
            )
        ),
        "viewing_booked",
    )
    assert not got.passed
