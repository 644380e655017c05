"""Specs: who is the manager — named by the caller, by a role label, or inferred."""

import os
import subprocess
import sys

import pytest

from app.engine import NoManagerError, score


def test_role_label_names_the_manager() -> None:
    m = score("Клиент: Здравствуйте.\nОператор: Добрый день. Чем могу помочь?").manager
    assert (m.speaker, m.inferred) == ("Оператор", False)


def test_the_other_speaker_of_a_client_is_the_manager() -> None:
    m = score(
        "SPEAKER_00: Алло.\nCustomer: Hi, how much is it?\nSPEAKER_00: Which district?"
    ).manager
    assert m.speaker == "SPEAKER_00"


def test_manager_is_inferred_from_greeting_with_company_and_introduction() -> None:
    text = (
        "Игорь: Алло, здравствуйте.\n"
        "Анна: Добрый день! Агентство недвижимости «Южный берег», меня зовут Анна.\n"
        "Игорь: Я по объявлению.\n"
        "Анна: Какой район вы рассматриваете?"
    )
    m = score(text).manager
    assert (m.speaker, m.inferred) == ("Анна", True)
    assert "introduces self" in m.reason and "names the company" in m.reason


def test_the_reason_for_an_inferred_manager_reads_the_same_in_every_process() -> None:
    """Set iteration order changes with the hash seed: the reason must not."""
    code = (
        "from app.engine import score\n"
        "text = 'Игорь: Алло.\\nАнна: Агентство «Южный берег», меня зовут Анна.\\n'"
        " 'Игорь: Я по объявлению.\\nАнна: Какой район вы рассматриваете?'\n"
        "print(score(text).manager.reason)"
    )
    reasons = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(6)
    }
    assert reasons == {"introduces self; names the company; asks 1 of 1 questions\n"}


def test_manager_speaker_given_by_caller_wins() -> None:
    text = "Менеджер: Добрый день.\nКлиент: Какой у вас район?"
    result = score(text, manager_speaker="клиент")
    assert result.manager.speaker == "Клиент"
    assert [q.text for q in result.questions] == ["Какой у вас район?"]


def test_unknown_manager_speaker_is_an_error_naming_the_speakers() -> None:
    with pytest.raises(NoManagerError, match="Менеджер, Клиент"):
        score("Менеджер: Добрый день.\nКлиент: Здравствуйте.", manager_speaker="Агент")


def test_transcript_without_speaker_labels_has_no_manager() -> None:
    with pytest.raises(NoManagerError, match="no speaker labels"):
        score("добрый день какой район вы рассматриваете")


def test_only_the_managers_speech_is_scored() -> None:
    text = "Клиент: Я не знаю. Какой бюджет нужен?\nМенеджер: Давайте подберём."
    result = score(text)
    assert result.violations == () and result.questions == ()


def test_in_asr_text_the_speaker_who_asks_is_the_manager_even_when_the_client_speaks_first() -> (
    None
):
    asr = (
        "speaker_00: у нас трое детей нужна большая квартира\n"
        "speaker_01: а сколько им лет\n"
        "speaker_00: двенадцать и восемь\n"
        "speaker_01: в какой школе учится старший"
    )

    assert score(asr).manager.speaker == "speaker_01"


def test_an_offer_of_help_names_the_manager_though_it_is_a_question() -> None:
    text = (
        "spk_0: Алло, это управляющая компания «Резорт Сервис»?\n"
        "spk_1: Да, добрый день, «Резорт Сервис». Чем могу помочь?\n"
        "spk_0: Мне не перечислили доход."
    )

    assert score(text).manager.speaker == "spk_1"


def test_who_opens_with_the_company_and_a_name_is_the_manager_though_the_client_asks_more() -> None:
    text = (
        "Эльвира: Отдел по работе с дольщиками «ТюменьСтрой», Эльвира, здравствуйте.\n"
        "Олег: Олег Баранов, дольщик, ЖК «Тура». Почему ключи не выдали?\n"
        "Эльвира: Сейчас посмотрю.\n"
        "Олег: А когда выдадут? А неустойка?"
    )

    assert score(text).manager.speaker == "Эльвира"


@pytest.mark.parametrize(
    "call",
    [
        # The client names the clinic first and asks; the manager gives the clinic and her name.
        "channel_1: алло это клиника здоровье я сдавала анализы где результаты\n"
        "channel_2: здравствуйте клиника здоровье регистратура марина подскажите фамилию\n"
        "channel_1: кузнецова а почему так долго\n"
        "channel_2: анализы какого числа сдавали\n"
        "channel_1: во вторник а когда будут\n",
        # The client asks more; the manager gives a name and offers help ("слушаю").
        "SPEAKER_00: алло это салон где хавал продают\n"
        "SPEAKER_01: да добрый день автомир восток максим слушаю\n"
        "SPEAKER_00: у вас джолион есть в наличии\n"
        "SPEAKER_01: есть в наличии три цвета\n"
        "SPEAKER_00: а какие цвета\n"
        "SPEAKER_01: белый серый и синий вы сейчас на чём ездите\n"
        "SPEAKER_00: а скидки какие есть\n",
    ],
)
def test_a_given_name_with_the_company_or_an_offer_of_help_finds_the_manager_who_answers(
    call: str,
) -> None:
    manager = score(call).manager
    assert manager.speaker in ("channel_2", "SPEAKER_01")
    assert "introduces self" in manager.reason
