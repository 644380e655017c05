"""Specs: input without speakers scored with manager_speaker '*', and the warnings a result
carries so that a misleading score is not taken at face value."""

from pathlib import Path

import pytest

from app.engine import NoManagerError, score

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "stt_samples"
WITHOUT_SPEAKERS = [
    "sample.srt",
    "sample_bom_crlf.srt",
    "whisper_timestamped.json",
    "whisperx_aligned_call.json",
]
RUSSIAN_WITHOUT_SPEAKERS = (
    "добрый день агентство недвижимости юг меня зовут анна какой район вы рассматриваете\n"
    "центр наверное\n"
    "а бюджет какой у вас\n"
)


def codes(result: object) -> list[str]:
    return [w["code"] for w in result.to_dict()["warnings"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", WITHOUT_SPEAKERS)
def test_a_published_sample_without_speakers_is_refused_naming_the_flag(name: str) -> None:
    with pytest.raises(NoManagerError, match=r"no speaker labels.*manager_speaker '\*'"):
        score((SAMPLES / name).read_bytes())


@pytest.mark.parametrize("name", WITHOUT_SPEAKERS)
def test_a_published_sample_without_speakers_scores_with_manager_speaker_star(name: str) -> None:
    result = score((SAMPLES / name).read_bytes(), manager_speaker="*")

    assert result.manager.speaker == "*"
    assert result.metrics["manager_talk_share"] == 1.0
    assert codes(result) == ["single_speaker", "language_mismatch"]


def test_all_speech_without_speakers_counts_as_the_managers() -> None:
    result = score(RUSSIAN_WITHOUT_SPEAKERS, manager_speaker="*")

    assert [q.utterance for q in result.questions] == [0, 2]
    assert result.items[0].passed  # greeting: name and company
    assert codes(result) == ["single_speaker"]


def test_star_takes_every_speaker_of_a_labelled_call_as_the_manager() -> None:
    result = score(
        "Менеджер: Какой район вы рассматриваете?\nКлиент: Какой бюджет нужен?",
        manager_speaker=" * ",
    )
    assert result.manager.speaker == "*"
    assert len(result.questions) == 2


def test_english_under_the_russian_checklist_is_a_language_mismatch_not_a_silent_low_score() -> (
    None
):
    result = score(
        "Agent: Good morning, Sunrise Realty, this is Anna. How can I help you?\n"
        "Customer: I am looking for a two-bedroom flat near the sea.\n"
        "Agent: What is your budget, and when would you like to move?"
    )
    warning = result.to_dict()["warnings"][0]
    assert warning["code"] == "language_mismatch"
    assert "(ru)" in warning["message"]


def test_a_russian_call_with_latin_brand_names_has_no_warning() -> None:
    result = score(
        "Менеджер: Добрый день, агентство Sochi Home Realty, меня зовут Анна.\n"
        "Клиент: Здравствуйте, я по объявлению на Avito про ЖК Sky Park.\n"
        "Менеджер: Какой район вы рассматриваете?"
    )
    assert codes(result) == []


def test_one_labelled_speaker_warns_that_both_sides_may_be_under_it() -> None:
    result = score("SPEAKER_00: Добрый день, агентство «Юг». Какой район вам нужен?")
    assert codes(result) == ["single_speaker"]


def test_a_manager_inferred_without_any_greeting_cue_and_a_narrow_lead_is_flagged() -> None:
    result = score(
        "Анна: Какой район вы смотрите?\n"
        "Игорь: Центр. А сколько стоит однушка?\n"
        "Анна: Где вы сейчас живёте?\n"
        "Игорь: В Москве."
    )
    assert result.manager.speaker == "Анна"
    assert codes(result) == ["manager_inferred_weakly"]


def test_a_manager_who_greets_with_the_company_is_not_flagged() -> None:
    result = score(
        "Игорь: Алло.\n"
        "Анна: Агентство «Юг», меня зовут Анна. Какой район вы смотрите?\n"
        "Игорь: Центр. А сколько стоит однушка?\n"
        "Анна: От шести миллионов."
    )
    assert result.manager.speaker == "Анна"
    assert codes(result) == []
