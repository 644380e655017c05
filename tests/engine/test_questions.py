"""Specs: which manager utterances are questions, and which category each one is."""

import pytest

from app.engine import score
from tests.engine.conftest import dialogue


def categories(*lines: str) -> list[str]:
    return [q.category for q in score(dialogue(*lines)).questions]


@pytest.mark.parametrize(
    ("question", "category"),
    [
        ("В каком районе вы хотели бы жить?", "expertise"),
        ("Какой у вас бюджет?", "expertise"),
        ("На каком этаже рассматриваете?", "expertise"),
        ("Сколько человек будет жить в квартире?", "expertise"),
        ("Будут ли гости?", "expertise"),
        ("Для отдыха покупаете или для переезда?", "expertise"),
        ("Рассматриваете ипотеку или рассрочку?", "expertise"),
        ("Вам важна отделка или возьмёте без ремонта?", "expertise"),
        ("Когда планируете заселиться?", "expertise"),
        ("Почему решили переехать?", "personal"),
        ("Почему выбрали именно этот район?", "personal"),
        ("Где вы сейчас живёте?", "personal"),
        ("Есть ли дети, сколько им лет?", "personal"),
        ("А чем вы занимаетесь?", "personal"),
        ("Какое у вас хобби?", "personal"),
        ("Что для вас важно при выборе квартиры?", "motivation"),
        ("Как вы видите свою будущую квартиру?", "motivation"),
        ("Какой должна быть квартира вашей мечты?", "motivation"),
        ("Как вас зовут?", "other"),
        ("Вам удобно говорить?", "other"),
        ("Когда сможете приехать посмотреть квартиры?", "other"),
        ("А вы сами в каком районе сейчас живёте?", "personal"),
        ("А работаете где?", "personal"),
        ("Ну а по деньгам как?", "expertise"),
        ("То есть вас будет шестеро?", "expertise"),
        # past experience with the product and the need in other trades (issue 13)
        ("Раньше ипотеку брали?", "expertise"),
        ("А что в прошлый раз не устроило?", "expertise"),
        ("Вы у нас уже заказывали?", "expertise"),
        ("А «Поло» чем не устраивал?", "expertise"),
        ("Какой лимит по карте вам удобен?", "expertise"),
        ("А что беспокоит?", "expertise"),
        ("Комплектацию какую смотрели?", "expertise"),
        ("Клаустрофобии нет у вас?", "expertise"),
        ("А что любите готовить?", "personal"),
        ("А почему закрыли, если не секрет?", "expertise"),
        ("А что для супруги самое главное в машине?", "motivation"),
        ("Рассматриваете больше для города или за город ездить?", "expertise"),
        ("В каком районе живёте?", "personal"),
        ("Что для вас самое важное в лечении: цена, сроки, гарантия?", "motivation"),
        ("Когда хотите переехать?", "expertise"),
    ],
)
def test_question_is_sorted_into_the_seed_category(question: str, category: str) -> None:
    assert categories(f"М: Добрый день! {question}", "К: Да.") == [category]


def test_two_question_marks_in_one_utterance_are_two_questions() -> None:
    assert categories("М: Какой район? И какой бюджет?", "К: Центр.") == ["expertise", "expertise"]


def test_statements_and_confirmation_tags_are_not_questions() -> None:
    assert categories("М: Квартира в центре. Хорошо?", "К: Да.", "М: Да?", "К: Да.") == []


def test_client_questions_are_not_counted() -> None:
    assert (
        categories("М: Добрый день, агентство «Юг».", "К: Какой у вас адрес? Сколько стоит?") == []
    )


def test_question_keeps_its_utterance_index_and_words() -> None:
    result = score(
        dialogue("М: Здравствуйте.", "", "К: Добрый день.", "М: Ок. Где вы сейчас живёте?")
    )
    q = result.questions[0]
    assert (q.utterance, q.text, q.category) == (2, "Где вы сейчас живёте?", "personal")


ASR = [
    "спикер 1: добрый день агентство южный берег меня зовут анна",
    "спикер 2: здравствуйте",
]


def asr_categories(line: str) -> list[str]:
    return [
        q.category for q in score("\n".join([*ASR, f"спикер 1: {line}", "спикер 2: да"])).questions
    ]


def test_asr_text_without_punctuation_finds_questions_by_cues() -> None:
    got = asr_categories("скажите в каком районе ищете квартиру и какой у вас бюджет")
    assert got == ["expertise", "expertise"]


def test_asr_particle_li_opens_a_question() -> None:
    assert asr_categories("а сколько человек будет жить будут ли гости") == [
        "expertise",
        "expertise",
    ]


def test_asr_indirect_question_is_not_a_question() -> None:
    assert asr_categories("я уточню есть ли скидка и перезвоню вам сама") == []


def test_asr_tag_question_vam_udobno_is_a_question() -> None:
    assert asr_categories("вам удобно сейчас говорить") == ["other"]


def test_asr_kak_ya_uzhe_govoril_is_not_a_question() -> None:
    assert asr_categories("как я уже говорила дом сдан в прошлом году") == []


def test_asr_personal_and_motivation_questions() -> None:
    got = asr_categories("почему решили переехать в сочи а что для вас важно при выборе квартиры")
    assert got == ["personal", "motivation"]


def test_counts_include_every_category_and_other() -> None:
    result = score(dialogue("М: Как вас зовут?", "К: Игорь."))
    assert result.question_counts == {"motivation": 0, "personal": 0, "expertise": 0, "other": 1}


def test_asr_yes_no_question_is_told_by_the_clients_yes() -> None:
    asr = "менеджер: дети есть\nклиент: да двое\nменеджер: ипотеку рассматриваете\nклиент: нет"

    assert [q.text for q in score(asr).questions] == ["дети есть", "ипотеку рассматриваете"]


def test_asr_statement_about_the_manager_himself_is_no_question_even_after_a_yes() -> None:
    asr = "менеджер: я пришлю вам планировки сегодня\nклиент: да спасибо"

    assert score(asr).questions == ()


def test_asr_alternatives_offered_to_the_client_are_a_question_whatever_the_reply() -> None:
    asr = "менеджер: вы для себя смотрите или под сдачу\nклиент: для себя"

    assert [(q.text, q.category) for q in score(asr).questions] == [
        ("вы для себя смотрите или под сдачу", "expertise")
    ]


def test_asr_alternatives_the_client_answers_are_a_question() -> None:
    asr = "менеджер: это наличные или ипотека\nклиент: ипотека"

    assert [q.category for q in score(asr).questions] == ["expertise"]


def asr_questions(line: str, reply: str) -> list[tuple[str, str]]:
    """The manager's questions in `line` (ASR text, the client answering with `reply`)."""
    text = "\n".join([*ASR, f"спикер 1: {line}", f"спикер 2: {reply}"])
    return [(q.text, q.category) for q in score(text).questions if q.utterance == 2]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "какой бюджет у вас ипотеку рассматриваете",
            [("какой бюджет у вас", "expertise"), ("ипотеку рассматриваете", "expertise")],
        ),
        (
            "а где сейчас живёте дети есть",
            [("а где сейчас живёте", "personal"), ("дети есть", "personal")],
        ),
        (
            "сколько комнат нужно вид на море нужен",
            [("сколько комнат нужно", "expertise"), ("вид на море нужен", "expertise")],
        ),
        (
            "когда планируете переезд паркинг нужен",
            [("когда планируете переезд", "expertise"), ("паркинг нужен", "expertise")],
        ),
    ],
)
def test_asr_yes_no_question_after_a_question_in_the_same_turn_is_a_second_question(
    line: str, expected: list[tuple[str, str]]
) -> None:
    assert asr_questions(line, "до шести миллионов") == expected


@pytest.mark.parametrize(
    "line",
    ["какие у вас планы есть", "сколько у вас детей есть", "какую площадь рассматриваете"],
)
def test_asr_one_question_ending_in_a_predicate_is_not_split(line: str) -> None:
    assert len(asr_questions(line, "ну посмотрим")) == 1


@pytest.mark.parametrize(
    "line",
    [
        "а по деньгам как",
        "ну понял а по срокам что",
        "метраж какой рассматриваете",
        "понимаю ну вот по площади дома какую рассматриваете",
        "угу а по оплате как планируете",
        "заселиться когда планируете",
    ],
)
def test_topic_first_question_without_punctuation_counts_as_expertise(line: str) -> None:
    assert [c for _, c in asr_questions(line, "к осени наверное")] == ["expertise"]


def test_asr_topic_first_question_keeps_its_topic_words() -> None:
    assert asr_questions("понимаю ну вот по площади дома какую рассматриваете", "сто метров") == [
        ("по площади дома какую рассматриваете", "expertise")
    ]


def test_asr_question_word_before_the_managers_own_plan_is_no_question() -> None:
    assert asr_questions("в субботу когда приедете я покажу три квартиры", "хорошо") == []


@pytest.mark.parametrize(
    ("line", "reply", "category"),
    [
        ("хорошо а вы квартиру для себя смотрите", "для мамы она переезжает", "expertise"),
        (
            "есть двушки от 54 квадратов в новом доме на 3 этаже вам 2 комнаты хватит",
            "хватит",
            "expertise",
        ),
        ("первоначальный взнос у вас 20 процентов есть", "есть даже тридцать", "expertise"),
    ],
)
def test_asr_yes_no_question_the_client_answers_by_echoing_it_counts(
    line: str, reply: str, category: str
) -> None:
    assert [c for _, c in asr_questions(line, reply)] == [category]


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("пришлите пожалуйста фото паспорта для брони", "пришлю"),
        ("вы должны были записаться через личный кабинет там всё написано", "я ничего не должна"),
    ],
)
def test_asr_request_or_statement_the_client_echoes_is_no_question(line: str, reply: str) -> None:
    assert asr_questions(line, reply) == []


@pytest.mark.parametrize(
    "line",
    [
        "парковка подземная сколько мест не скажу точно но хватает",
        "когда дом сдадут тогда и ключи выдадим это четвёртый квартал",
        "двушки у нас от семи миллионов смотря какой этаж",
        "расскажите какую квартиру вы ищете",
        "опишите как вы видите свою будущую кухню",
        "лариса интересно успеют ли они сдать дом к лету",
    ],
)
def test_asr_statements_and_requests_with_question_words_are_not_questions(line: str) -> None:
    assert asr_questions(line, "понятно") == []


def test_asr_question_words_said_close_together_are_one_question() -> None:
    assert asr_questions("очень хорошо а вы сейчас где живёте", "в сургуте") == [
        ("очень хорошо а вы сейчас где живёте", "personal")
    ]


@pytest.mark.parametrize(
    ("line", "category"),
    [
        ("тогда у машука идеально а для вас что главное в новой квартире", "motivation"),
        ("а если представить идеальное утро в новой квартире какое оно", "motivation"),
        ("о ну а для вас что самое главное в доме будет", "motivation"),
        ("а чем муж занимается", "personal"),
        ("в москве работаете кем если не секрет", "personal"),
        ("а чем вас ялта привлекла", "personal"),
        ("а сделку когда готовы проводить", "expertise"),
    ],
)
def test_asr_question_after_its_topic_is_sorted_by_the_topic(line: str, category: str) -> None:
    assert [c for _, c in asr_questions(line, "ну тишина наверное")] == [category]


@pytest.mark.parametrize(
    "line",
    [
        "их можно сдавать через управляющую компанию как гостиницу",
        "сделаем всё по договору как положено",
        "а по срокам что у нас сдача в четвертом квартале",
    ],
)
def test_asr_comparison_or_the_managers_own_plan_after_a_topic_is_no_question(line: str) -> None:
    assert asr_questions(line, "понятно") == []


@pytest.mark.parametrize(
    "question",
    [
        "Подскажите, пожалуйста, адрес и номер квартиры?",
        "Вы будете дома в будние дни?",
        "А вы по какому дому?",
    ],
)
def test_complaint_details_about_the_flat_or_visit_are_other_questions(question: str) -> None:
    assert categories(f"М: Служба качества, Анна. {question}", "К: Да.") == ["other"]


@pytest.mark.parametrize(
    "line", ["скажите а вот по квартире", "ну вот смотрите по этажу", "и ещё такой момент"]
)
def test_asr_fragment_the_client_backchannels_is_no_question(line: str) -> None:
    assert asr_questions(line, "угу") == []


@pytest.mark.parametrize("line", ["дети есть", "квартиру для себя смотрите", "садик рядом нужен"])
def test_asr_short_yes_no_question_answered_with_a_bare_yes_counts(line: str) -> None:
    assert len(asr_questions(line, "да")) == 1


@pytest.mark.parametrize(
    "line",
    [
        "М: Кто же не хочет жить рядом с лесом? Там и воздух другой. Сколько комнат нужно?",
        "М: Кто ж знал? Сколько комнат нужно?",
        "М: кто ж знал сколько комнат нужно",
    ],
)
def test_rhetorical_question_word_with_zhe_is_not_a_question(line: str) -> None:
    assert categories(line, "К: Две.") == ["expertise"]


@pytest.mark.parametrize(
    "question",
    ["Вы сами на лыжах или на сноуборде?", "А дети в футбол играют?", "Кататься любите?"],
)
def test_question_about_a_sport_or_pastime_is_personal(question: str) -> None:
    assert categories(f"М: {question}", "К: Да.") == ["personal"]


def test_a_question_the_transcriber_closed_with_a_full_stop_counts_when_the_client_answers() -> (
    None
):
    found = score(
        dialogue(
            "М: Здравствуйте! Какой район рассматриваете?",
            "К: Центр.",
            "М: Хорошо, центр. Этаж какой вам нужен.",
            "К: Не выше пятого.",
        )
    ).questions

    assert [(q.text, q.category) for q in found][1:] == [("Этаж какой вам нужен", "expertise")]


@pytest.mark.parametrize(
    "statement",
    [
        "Дом стоит на улице Кирова, где раньше был рынок.",  # a relative clause
        "Когда дом сдадут, я вам сразу позвоню.",  # the manager's own plan
        "Вот такая квартира, какую вы и хотели.",  # the question word is not near the start
    ],
)
def test_a_statement_closing_a_turn_with_a_full_stop_is_no_question(statement: str) -> None:
    found = score(
        dialogue("М: Какой у вас бюджет?", "К: Пять миллионов.", f"М: {statement}", "К: Хорошо.")
    ).questions

    assert [q.text for q in found] == ["Какой у вас бюджет?"]


def test_a_full_stop_question_the_client_does_not_answer_is_not_counted() -> None:
    found = score(
        dialogue("М: Какой у вас бюджет?", "К: Пять.", "М: Этаж какой вам нужен.", "М: Алло.")
    ).questions

    assert [q.text for q in found] == ["Какой у вас бюджет?"]


@pytest.mark.parametrize(
    "idiom", ["А кому сейчас легко?", "А что ещё нужно для счастья?", "Куда без машины?"]
)
def test_a_rhetorical_idiom_asks_the_client_nothing(idiom: str) -> None:
    found = score(dialogue(f"М: {idiom} Какой у вас бюджет?", "К: Пять миллионов.")).questions

    assert [q.text for q in found] == ["Какой у вас бюджет?"]


def test_a_rhetorical_idiom_without_punctuation_asks_nothing() -> None:
    found = score(
        dialogue("М: а кому сейчас легко в каком районе смотрите", "К: в центре")
    ).questions

    assert [q.category for q in found] == ["expertise"]
    assert "легко" not in found[0].text


def test_asr_relative_clause_about_a_noun_is_not_a_question() -> None:
    found = score(
        dialogue(
            "М: дом стоит на улице кирова где раньше был рынок а бюджет какой у вас",
            "К: пять миллионов",
        )
    ).questions

    assert [q.category for q in found] == ["expertise"]
    assert "рынок" not in found[0].text


@pytest.mark.parametrize(
    "question", ["а квартиру где хотите купить", "а в районе где вы сейчас живёте что нравится"]
)
def test_asr_question_word_after_a_noun_that_asks_the_client_stays_a_question(
    question: str,
) -> None:
    assert score(dialogue(f"М: {question}", "К: в центре")).questions


# --- speech-to-text punctuation: questions closed with a full stop, joined, clarified --------


OPENING = ("М: Добрый день, агентство «Юг», Анна.", "К: Здравствуйте.")


def asked(*lines: str) -> list[str]:
    """The manager's questions after an opening turn (where a statement is no question)."""
    return [q.text for q in score(dialogue(*OPENING, *lines)).questions]


def test_yes_no_question_closed_with_a_full_stop_counts_when_the_client_answers() -> None:
    assert asked("М: Хорошо. Машина у вас своя.", "К: Да, своя.") == ["Машина у вас своя"]


def test_yes_no_question_closed_with_a_full_stop_counts_when_the_client_takes_up_the_topic() -> (
    None
):
    result = score(dialogue(*OPENING, "М: Понятно. Семья большая у вас.", "К: Трое детей."))
    assert [(q.text, q.category) for q in result.questions] == [("Семья большая у вас", "personal")]


def test_a_statement_the_client_only_acknowledges_is_no_question() -> None:
    assert asked("М: Квартира у вас будет с ремонтом.", "К: Понятно, спасибо.") == []


def test_a_statement_the_client_answers_with_a_question_is_no_question() -> None:
    assert asked("М: Вы не должны ничего оплачивать, это гарантия.", "К: И где деньги?") == []


def test_the_reason_for_the_call_in_the_managers_opening_turn_is_no_question() -> None:
    call = dialogue("М: Здравствуйте, агентство «Юг», Анна. Вы оставляли заявку на сайте.",
                    "К: Да, было дело.")  # fmt: skip
    assert score(call).questions == ()


def test_an_interrupted_question_counts() -> None:
    assert asked("М: А квартиру вы больше под...", "К: Под себя, жить.") == [
        "А квартиру вы больше под"
    ]


def test_an_earlier_sentence_opened_by_a_counts_when_the_client_answers_it() -> None:
    assert asked("М: Хорошо. А вас склон не смущает. Участок на горе.", "К: Нет, нормально.") == [
        "А вас склон не смущает"
    ]


def test_two_questions_joined_by_i_in_one_sentence_each_count_with_their_spans() -> None:
    text = "Ясно. Сколько у вас детей и где вы работаете?"
    result = score(dialogue(f"М: {text}", "К: Двое, я инженер."))
    assert [(q.text, q.span) for q in result.questions] == [
        ("Сколько у вас детей", (6, 25)),
        ("где вы работаете?", (28, 45)),
    ]
    assert [text[a:b] for a, b in (q.span for q in result.questions)] == [
        "Сколько у вас детей",
        "где вы работаете?",
    ]


def test_a_second_question_referring_back_to_the_first_is_one_question_on_one_subject() -> None:
    assert asked("М: Ясно. Сколько у вас детей и сколько им лет?", "К: Двое, пять и семь.") == [
        "Сколько у вас детей и сколько им лет?"
    ]


def test_alternatives_joined_by_ili_are_one_question() -> None:
    assert asked("М: Вам двушку или трёшку?", "К: Двушку.") == ["Вам двушку или трёшку?"]


def test_a_clarifying_list_after_a_question_is_part_of_it() -> None:
    result = score(dialogue("М: А чем заняты в выходные? Рыбалка, дача?", "К: Дача."))
    assert [(q.text, q.category) for q in result.questions] == [
        ("А чем заняты в выходные? Рыбалка, дача?", "personal")
    ]


def test_every_question_carries_its_span_within_the_utterance_text() -> None:
    result = score(dialogue("М: Добрый день! Какой район вы рассматриваете? А бюджет?"))
    text = result.transcript.utterances[0].text
    assert [text[a:b] for a, b in (q.span for q in result.questions)] == [
        "Какой район вы рассматриваете?",
        "А бюджет?",
    ]
    assert result.to_dict()["questions"][1]["span"] == [44, 53]


def test_a_statement_like_question_about_the_past_counts_when_the_client_answers_no() -> None:
    result = score(dialogue(*OPENING, "М: Отлично. Раньше ипотеку брали.", "К: Нет, первый раз."))
    assert [(q.text, q.category) for q in result.questions] == [
        ("Раньше ипотеку брали", "expertise")
    ]


def test_at_our_firm_does_not_make_the_manager_speak_of_himself() -> None:
    assert asked("М: Наталья, вы у нас раньше наблюдались.", "К: Да, два года назад.") == [
        "Наталья, вы у нас раньше наблюдались"
    ]


@pytest.mark.parametrize(
    ("said", "reply"),
    [
        ("Апартаменты от 25 метров.", "К: Да."),
        ("Ну, не первый, наверное.", "К: Да."),
        ("А вас склон не смущает. Участок на горе.", "К: Нет, нормально."),
    ],
)
def test_a_statement_not_addressed_to_the_client_needs_to_stand_alone_without_digits(
    said: str, reply: str
) -> None:
    assert "Участок на горе" not in asked(f"М: {said}", reply)
    assert "Апартаменты от 25 метров" not in asked(f"М: {said}", reply)
    assert "Ну, не первый, наверное" not in asked(f"М: {said}", reply)


@pytest.mark.parametrize(
    "said",
    [
        "Зачем сразу всю сумму выкладывать? Проще же частями.",
        "Кто сейчас не хочет свой дом? Все хотят.",
        "Разве это много?",
        "Знаете, что я вам скажу? Берите сейчас.",
    ],
)
def test_questions_the_manager_answers_himself_ask_nothing(said: str) -> None:
    assert asked(f"М: {said}", "К: Ну да.") == []


def test_a_question_of_who_said_with_if_not_a_secret_still_asks() -> None:
    assert asked("М: А работаете кем, если не секрет?", "К: Инженером.") == [
        "А работаете кем, если не секрет?"
    ]


def test_an_alternative_in_its_own_sentence_is_part_of_the_question() -> None:
    assert asked("М: Отделку хотите? Или без отделки возьмёте?", "К: С отделкой.") == [
        "Отделку хотите? Или без отделки возьмёте?"
    ]


def test_the_reason_for_the_call_in_an_unpunctuated_opener_is_no_question() -> None:
    call = (
        "менеджер: алло добрый день автоцентр север игорь вы оставляли заявку на тест драйв\n"
        "клиент: да было дело\n"
        "менеджер: на чём сейчас ездите\n"
        "клиент: на солярисе"
    )
    assert [q.text for q in score(call).questions] == ["на чём сейчас ездите"]


@pytest.mark.parametrize(
    ("manager", "client", "question"),
    [
        ("дети есть", "дочка маленькая год", "дети есть"),
        ("а работаете далеко", "на другом конце города", "а работаете далеко"),
        ("вероника вы к нам первый раз", "первый", "вероника вы к нам первый раз"),
        ("вы у нас раньше заказывали", "да пару раз", "вы у нас раньше заказывали"),
        (
            "оценим на месте это минут сорок а семья большая у вас",
            "трое детей поэтому и смотрим побольше",
            "а семья большая у вас",
        ),
    ],
)
def test_unpunctuated_yes_no_question_counts_when_the_client_answers_in_words_of_his_own(
    manager: str, client: str, question: str
) -> None:
    call = f"менеджер: добрый день агентство юг\nклиент: да\nменеджер: {manager}\nклиент: {client}"
    assert [q.text for q in score(call).questions] == [question]


@pytest.mark.parametrize("client", ["понятно", "ну посмотрим", "а сколько стоит"])
def test_unpunctuated_statement_the_client_acknowledges_or_questions_is_no_question(
    client: str,
) -> None:
    call = (
        f"менеджер: добрый день агентство юг\nклиент: да\nменеджер: дом уже сдан\nклиент: {client}"
    )
    assert score(call).questions == ()


def test_a_question_word_answered_in_the_same_breath_asks_nothing() -> None:
    call = (
        "менеджер: добрый день агентство юг\nклиент: да\n"
        "менеджер: вот почему я его предлагаю потому что там школа новая прямо во дворе\n"
        "клиент: понятно"
    )
    assert score(call).questions == ()


def test_the_clients_question_glued_onto_the_managers_turn_is_not_his() -> None:
    call = dialogue(
        *OPENING,
        "М: Один собственник, обременений нет. А торг там возможен?",
        "К: Ну хоть немного, мы же наличными.",
        "М: Небольшой торг продавец допускает.",
        "К: Хорошо.",
    )
    assert score(call).questions == ()


def test_a_glued_question_in_speech_without_punctuation_the_manager_answers_next() -> None:
    call = (
        "S1: клиника доктор рядом анна слушаю вас\nS2: мне к терапевту\n"
        "S1: сегодня есть шесть вечера и семь вам как удобнее а до скольки вы работаете\n"
        "S1: мы до девяти\nS2: тогда в семь\n"
        "S1: записала на семь а приём сколько стоит\n"
        "S1: приём тысяча пятьсот\nS2: хорошо"
    )
    said = " ".join(q.text for q in score(call, manager_speaker="S1").questions)
    assert "до скольки" not in said and "приём сколько стоит" not in said


def test_a_managers_proposal_the_client_takes_up_stays_his_question() -> None:
    call = dialogue(
        *OPENING, "М: В воскресенье в десять?", "К: Давайте.", "М: В воскресенье жду.", "К: Да."
    )
    assert asked_in(call) == ["В воскресенье в десять?"]


def asked_in(call: str) -> list[str]:
    return [q.text for q in score(call).questions]


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("М: По номеру вижу ваш заказ. Адрес тот же.", "К: Да, тот же."),
        ("м: номер заявки пришлю в смс номер этот", "к: этот"),
        ("м: я вам в ватсап скину планировки номер этот", "к: да этот"),
    ],
)
def test_a_detail_read_back_for_the_client_to_confirm_is_a_question(line: str, reply: str) -> None:
    opener = "М: Здравствуйте! Как вас зовут?" if line.startswith("М") else "м: как вас зовут"
    found = score(dialogue(opener, "К: Ольга.", line, reply)).questions

    assert len(found) == 2
    assert found[1].text.casefold().rstrip(".") in ("адрес тот же", "номер этот")


def test_a_detail_read_back_that_the_client_does_not_confirm_is_no_question() -> None:
    found = score(
        dialogue("м: как вас зовут", "к: ольга", "м: пришлю в смс номер этот", "к: хорошо")
    ).questions

    assert [q.text for q in found] == ["как вас зовут"]


def test_a_second_question_that_addresses_the_client_anew_counts_although_it_refers_back() -> None:
    assert asked("М: Какая у вас машина и где вы её обслуживаете?", "К: Киа, у дилера.") == [
        "Какая у вас машина",
        "где вы её обслуживаете?",
    ]
