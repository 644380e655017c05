"""Specs of the transcript readers: formats, speakers, the index contract, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import app.engine.readers as readers
from app.engine.errors import TranscriptError
from app.engine.model import Transcript
from app.engine.readers import FORMATS, detect_format, read_transcript

REPO_ROOT = Path(__file__).resolve().parents[2]
# Real published speech-to-text outputs (copies of ../shared/formats; SOURCES.md is there too).
SHARED = REPO_ROOT / "tests" / "data" / "stt_samples"
DATA = REPO_ROOT / "tests" / "data" / "formats"

M, K = "Менеджер", "Клиент"
GREETING = "Добрый день! Агентство «Солнечный берег», меня зовут Анна. Чем могу помочь?"


def read_file(path: Path, format: str = "auto") -> Transcript:
    return read_transcript(path.read_bytes(), format)


def error_of(data: Any, format: str = "auto") -> str:
    with pytest.raises(TranscriptError) as info:
        read_transcript(data, format)
    return info.value.reason


# --- every shared sample, auto-detected ----------------------------------------------------

SHARED_EXPECTED = [
    # file, format, utterances, speakers, first text, first start
    (
        "assemblyai_utterances.json",
        "assemblyai",
        3,
        ["A", "B"],
        "Smoke from hundreds of wildfires in Canada",
        0.24,
    ),
    ("aws_transcribe_audio_segments.json", "aws", 1, ["spk_0"], "아니 근데 영상을 보고", 15.88),
    (
        "aws_transcribe_speakers.json",
        "aws",
        2,
        ["spk_0", "spk_1"],
        "I've been on hold for an hour.",
        4.87,
    ),
    ("deepgram_utterances.json", "deepgram", 2, ["0", "1"], "Have a great, great EVA.", 15.74),
    ("google_diarization.json", "google", 2, ["1", "2"], "Force", 3.7),
    ("sample.srt", "srt", 6, [], "Downloaded From www.AllSubs.org", 1.0),
    ("sample_bom_crlf.srt", "srt", 6, [], "Downloaded From www.AllSubs.org", 1.0),
    ("sample_voice.vtt", "vtt", 4, ["Roger Bingham", "Диктор"], "We are in New York City", 1.0),
    ("whisper_timestamped.json", "whisper", 1, [], "Yeah, as much as it's worth celebrating", 0.12),
    ("whisperx_aligned_call.json", "whisper", 3, [], "Hey, Manpreet.", 3.828),
    ("yandex_v2.json", "yandex", 1, ["channel_1"], "Hello world", 0.16),
]


@pytest.mark.parametrize(("name", "fmt", "count", "speakers", "first", "start"), SHARED_EXPECTED)
def test_shared_sample_is_detected_and_read(
    name: str, fmt: str, count: int, speakers: list[str], first: str, start: float
) -> None:
    transcript = read_file(SHARED / name)
    assert transcript.format == fmt
    assert len(transcript.utterances) == count
    assert transcript.speakers == speakers
    assert transcript.utterances[0].text.startswith(first)
    assert transcript.utterances[0].start == pytest.approx(start)


def test_every_shared_sample_is_covered() -> None:
    files = {p.name for p in SHARED.iterdir() if p.suffix in {".json", ".srt", ".vtt", ".txt"}}
    assert files == {row[0] for row in SHARED_EXPECTED}


def test_shared_vtt_voice_class_entities_and_unvoiced_cue() -> None:
    utterances = read_file(SHARED / "sample_voice.vtt").utterances
    assert [u.index for u in utterances] == [0, 1, 2, 3]
    assert utterances[1].speaker is None
    assert utterances[1].text == "— It will perforate your stomach. — You could die."
    assert (utterances[2].speaker, utterances[2].text) == (
        "Roger Bingham",
        "Мы находимся в Нью-Йорке.",
    )
    assert (utterances[3].speaker, utterances[3].text) == (
        "Диктор",
        "Срочные новости & подробности",
    )
    assert (utterances[3].start, utterances[3].end) == (14.0, 17.0)


def test_shared_srt_numbers_0_1_31_33_give_cue_indices_0_to_3_with_dialogue_dashes() -> None:
    utterances = read_file(SHARED / "sample.srt").utterances
    assert [u.index for u in utterances] == [0, 1, 2, 2, 3, 3]
    assert utterances[1].text == "CE FILM RELATE DES ÉVÉNEMENTS QUI ONT EXISTÉ."
    assert [u.text for u in utterances[2:]] == [
        "Tu es à l'antenne.",
        "Là, maintenant?",
        "Ron?",
        "Quoi?",
    ]
    assert utterances[2].start == pytest.approx(169.683)
    assert read_file(SHARED / "sample_bom_crlf.srt").utterances == utterances


def test_shared_aws_punctuation_is_glued_and_times_are_seconds() -> None:
    utterances = read_file(SHARED / "aws_transcribe_speakers.json").utterances
    assert utterances[1].text == "Sorry about that."
    assert (utterances[0].end, utterances[1].start, utterances[1].end) == (6.88, 8.49, 9.24)


def test_shared_assemblyai_milliseconds_become_seconds() -> None:
    utterances = read_file(SHARED / "assemblyai_utterances.json").utterances
    assert [(u.speaker, u.start, u.end) for u in utterances] == [
        ("A", 0.24, 26.56),
        ("B", 28.06, 28.62),
        ("A", 29.1, 37.1),
    ]


def test_shared_google_uses_the_last_result_words_grouped_by_speaker_tag() -> None:
    utterances = read_file(SHARED / "google_diarization.json").utterances
    assert [(u.index, u.speaker, u.text) for u in utterances] == [
        (0, "1", "Force"),
        (1, "2", "You are about to."),
    ]
    assert utterances[1].end == pytest.approx(6.0)


# --- our own Russian samples ---------------------------------------------------------------

OWN_EXPECTED = [
    # file, format, utterances, speakers, first text, first start
    ("text_call.txt", "text", 11, [M, K], GREETING, None),
    (
        "asr_call.txt",
        "text",
        8,
        ["менеджер", "клиент"],
        "добрый день агентство солнечный берег",
        None,
    ),
    ("timestamps_call.txt", "text", 8, [M, K, "М", "К"], "Добрый день! Агентство", 1.0),
    ("voice_call.vtt", "vtt", 8, [M, K], "Добрый день! Агентство «Солнечный берег», меня", 1.0),
    ("dashes_call.srt", "srt", 7, [M, K], "Добрый день! Агентство «Солнечный берег», меня", 1.0),
    ("cp1251_call.txt", "text", 10, [M, K], GREETING, None),
    ("utf16_call.txt", "text", 10, [M, K], GREETING, None),
    ("crlf_bom_call.txt", "text", 10, [M, K], GREETING, None),
    ("callqa_call.json", "callqa", 10, [M, K], GREETING, 1.0),
    ("whisperx_diarized_call.json", "whisper", 7, ["SPEAKER_00", "SPEAKER_01"], GREETING, 1.0),
    ("aws_call.json", "aws", 4, ["spk_0", "spk_1"], "Добрый день! Агентство Солнечный берег,", 1.0),
    ("deepgram_words_call.json", "deepgram", 4, ["0", "1"], GREETING, 0.5),
    ("assemblyai_call.json", "assemblyai", 10, ["A", "B"], GREETING, 1.0),
    ("yandex_v2_call.json", "yandex", 6, ["channel_1", "channel_2"], GREETING, 1.0),
    ("yandex_v3_call.ndjson", "yandex", 4, ["channel_0", "channel_1"], GREETING, 1.0),
    ("google_diarized_call.json", "google", 4, ["1", "2"], GREETING, 1.0),
]


@pytest.mark.parametrize(("name", "fmt", "count", "speakers", "first", "start"), OWN_EXPECTED)
def test_own_sample_is_detected_and_read(
    name: str, fmt: str, count: int, speakers: list[str], first: str, start: float | None
) -> None:
    transcript = read_file(DATA / name)
    assert transcript.format == fmt
    assert len(transcript.utterances) == count
    assert transcript.speakers == speakers
    assert transcript.utterances[0].text.startswith(first)
    assert transcript.utterances[0].start == start


def test_every_own_sample_is_covered() -> None:
    assert {p.name for p in DATA.iterdir()} == {row[0] for row in OWN_EXPECTED}


@pytest.mark.parametrize("name", ["cp1251_call.txt", "utf16_call.txt", "crlf_bom_call.txt"])
def test_encodings_and_line_endings_read_like_plain_utf8(name: str) -> None:
    plain = "\n".join(
        line for line in (DATA / "text_call.txt").read_text("utf-8").splitlines() if line
    )
    expected = read_transcript(plain.replace("Могу прислать вам фотографии и планировку.\n", ""))
    assert read_file(DATA / name).utterances == expected.utterances


def test_bytes_str_and_parsed_json_inputs_agree() -> None:
    raw = (DATA / "callqa_call.json").read_bytes()
    from_bytes = read_transcript(raw)
    assert read_transcript(raw.decode("utf-8")) == from_bytes
    assert read_transcript(json.loads(raw)) == from_bytes


# --- plain text ----------------------------------------------------------------------------


def test_text_index_counts_non_empty_lines_only() -> None:
    utterances = read_file(DATA / "text_call.txt").utterances
    assert [u.index for u in utterances] == list(range(11))
    transcript = read_transcript("\n\nМенеджер: раз\n\n\n   \nКлиент: два\n\t\nМенеджер: три\n")
    assert [u.index for u in transcript.utterances] == [0, 1, 2]


def test_text_line_without_prefix_continues_previous_speaker_as_its_own_utterance() -> None:
    utterances = read_file(DATA / "text_call.txt").utterances
    assert (utterances[3].index, utterances[3].speaker) == (3, M)
    assert utterances[3].text == "Могу прислать вам фотографии и планировку."


def test_text_without_any_prefix_has_no_speakers() -> None:
    transcript = read_transcript("добрый день\nздравствуйте\nкакой район вас интересует")
    assert [u.speaker for u in transcript.utterances] == [None, None, None]
    assert transcript.speakers == []


def test_text_lines_before_the_first_speaker_have_no_speaker() -> None:
    utterances = read_transcript("Запись звонка\nМенеджер: Добрый день\nКлиент: Да").utterances
    assert [(u.index, u.speaker) for u in utterances] == [(0, None), (1, M), (2, K)]


@pytest.mark.parametrize(
    "label",
    [
        *("Менеджер", "Клиент", "М", "К", "Оператор", "Agent", "Customer"),
        *("SPEAKER_00", "Speaker 1", "Спикер 2", "менеджер"),
    ],
)
def test_text_known_role_counts_as_speaker_even_once(label: str) -> None:
    utterances = read_transcript(f"{label}: добрый день\nкак дела").utterances
    assert [u.speaker for u in utterances] == [label, label]
    assert utterances[0].text == "добрый день"


def test_text_colon_inside_a_sentence_is_not_a_speaker() -> None:
    utterances = read_transcript(
        "Менеджер: Добрый день\nИтак: мы договорились на субботу\nКлиент: Мы говорили об этом: да"
    ).utterances
    assert (utterances[1].speaker, utterances[1].text) == (M, "Итак: мы договорились на субботу")
    assert utterances[2].text == "Мы говорили об этом: да"


def test_text_recurring_name_label_is_a_speaker() -> None:
    transcript = read_transcript(
        "Анна Петрова: добрый день\nИван: здравствуйте\nАнна Петрова: слушаю вас\nИван: да"
    )
    assert transcript.speakers == ["Анна Петрова", "Иван"]


def test_text_label_rules_reject_long_or_punctuated_labels() -> None:
    text = "Раз два три четыре: x\nРаз два три четыре: y\nНу, вот: z\nНу, вот: w"
    assert read_transcript(text).speakers == []


def test_text_clock_time_and_url_are_not_labels() -> None:
    utterances = read_transcript("Клиент: давайте в 10:30\nсайт http://example.ru").utterances
    assert [u.text for u in utterances] == ["давайте в 10:30", "сайт http://example.ru"]


def test_text_labels_keep_spelling_trimmed_and_case_variants_merge() -> None:
    transcript = read_transcript("  Менеджер :  привет  \nКлиент:\tда\t\nМЕНЕДЖЕР: ещё\r\n")
    assert transcript.speakers == [M, K]
    assert [u.text for u in transcript.utterances] == ["привет", "да", "ещё"]


@pytest.mark.parametrize(
    ("line", "start", "end"),
    [
        ("[00:01:10] Менеджер: текст", 70.0, None),
        ("00:01:10 Менеджер: текст", 70.0, None),
        ("[01:10] Менеджер: текст", 70.0, None),
        ("(1:10) Менеджер: текст", 70.0, None),
        ("00:01:10.500 Менеджер: текст", 70.5, None),
        ("[00:01:10 - 00:01:15] Менеджер: текст", 70.0, 75.0),
        ("[00:01:10,250 --> 00:01:15,750] Менеджер: текст", 70.25, 75.75),
        ("01:10 Менеджер: текст", 70.0, None),
        ("Менеджер [00:01:10]: текст", 70.0, None),
        ("[00:01:10] текст", 70.0, None),
    ],
)
def test_text_leading_timestamp_becomes_start_and_end(
    line: str, start: float, end: float | None
) -> None:
    (utterance,) = read_transcript(line).utterances
    assert (utterance.text, utterance.start, utterance.end) == ("текст", start, end)


def test_text_bare_clock_time_without_label_stays_text() -> None:
    (utterance,) = read_transcript("10:30 подойдёт?").utterances
    assert (utterance.text, utterance.start) == ("10:30 подойдёт?", None)


def test_text_timestamp_on_its_own_line_times_the_next_line_and_takes_an_index() -> None:
    utterances = read_transcript("00:00:05\nМенеджер: Добрый день\n00:00:09\nКлиент: Да").utterances
    assert [(u.index, u.speaker, u.start) for u in utterances] == [(1, M, 5.0), (3, K, 9.0)]


def test_text_label_only_line_sets_speaker_for_following_lines() -> None:
    utterances = read_transcript("Менеджер:\nДобрый день.\nКлиент:\nЗдравствуйте.").utterances
    assert [(u.index, u.speaker, u.text) for u in utterances] == [
        (1, M, "Добрый день."),
        (3, K, "Здравствуйте."),
    ]


def test_text_dash_led_lines_are_continuation_text() -> None:
    utterances = read_transcript("Менеджер: Смотрите:\n- балкон\n— парковка").utterances
    assert [(u.speaker, u.text) for u in utterances][1:] == [(M, "- балкон"), (M, "— парковка")]


def test_asr_text_without_punctuation_or_capitals_parses_like_plain_text() -> None:
    utterances = read_file(DATA / "asr_call.txt").utterances
    assert [u.speaker for u in utterances] == ["менеджер", "клиент"] * 4
    assert (
        utterances[0].text
        == "добрый день агентство солнечный берег меня зовут анна чем могу помочь"
    )


def test_text_timestamps_sample_gives_ranges() -> None:
    utterances = read_file(DATA / "timestamps_call.txt").utterances
    assert [u.start for u in utterances] == [1.0, 6.0, 12.0, 18.0, 25.0, 31.5, 70.0, 75.0]
    assert utterances[2].end == 17.0


def test_huge_text_input_parses_into_every_line() -> None:
    line = "Клиент: нам нужна двухкомнатная квартира недалеко от школы и детского сада\n"
    data = (line * (5_000_000 // len(line.encode()) + 1)).encode()
    transcript = read_transcript(data)
    assert len(transcript.utterances) == data.count(b"\n")


# --- WebVTT --------------------------------------------------------------------------------


def test_vtt_voice_tags_with_and_without_closing_tag_and_class() -> None:
    utterances = read_file(DATA / "voice_call.vtt").utterances
    assert [u.speaker for u in utterances] == [M, K, M, K, M, K, M, K]
    assert utterances[0].text == "Добрый день! Агентство «Солнечный берег», меня зовут Анна."


def test_vtt_cue_ids_settings_and_short_times_are_read() -> None:
    utterances = read_file(DATA / "voice_call.vtt").utterances
    assert [(u.start, u.end) for u in utterances[:3]] == [(1.0, 5.5), (6.0, 11.0), (12.0, 17.0)]


def test_vtt_tags_stripped_and_entities_decoded() -> None:
    utterances = read_file(DATA / "voice_call.vtt").utterances
    assert utterances[1].text.endswith("на Лесной.")  # &nbsp;
    assert utterances[2].text.startswith("Да, отличный")  # <b>
    assert utterances[4].text == "А сколько лет детям? Рядом как раз школа & детский сад."
    assert utterances[5].text == "Сыну семь, дочке три года."  # <00:00:33.000>


def test_vtt_speaker_prefix_in_cue_text_when_no_voice_tag() -> None:
    utterances = read_file(DATA / "voice_call.vtt").utterances
    assert (utterances[5].index, utterances[5].speaker) == (5, K)


def test_vtt_two_voices_in_one_cue_share_its_index() -> None:
    utterances = read_file(DATA / "voice_call.vtt").utterances
    assert [(u.index, u.speaker) for u in utterances[6:]] == [(6, M), (6, K)]


def test_vtt_note_style_and_region_blocks_are_not_cues() -> None:
    text = (
        "WEBVTT\n\nREGION\nid:fred\nwidth:40%\n\nSTYLE\n::cue { color: red }\n\n"
        "NOTE комментарий\n\n00:01.000 --> 00:02.000\n<v Менеджер>Добрый день\n"
    )
    (utterance,) = read_transcript(text).utterances
    assert (utterance.index, utterance.speaker, utterance.text) == (0, M, "Добрый день")


def test_vtt_without_header_is_read_when_it_starts_with_a_cue() -> None:
    transcript = read_transcript("00:01.000 --> 00:02.000\n<v Менеджер>Добрый день\n")
    assert transcript.format == "vtt"
    assert transcript.utterances[0].speaker == M


def test_vtt_bad_timestamp_names_the_cue() -> None:
    text = "WEBVTT\n\n00:01.000 --> 00:02.000\nраз\n\n3\n00:0x:01.000 --> 00:00:04.000\nдва\n"
    assert error_of(text) == "WebVTT cue 2: bad timestamp '00:0x:01.000'"


# --- SRT -----------------------------------------------------------------------------------


def test_srt_numbers_1_2_32_34_give_indices_0_to_3() -> None:
    text = "".join(
        f"{n}\n00:00:0{i},000 --> 00:00:0{i},900\nКлиент: реплика {n}\n\n"
        for i, n in enumerate([1, 2, 32, 34])
    )
    assert [u.index for u in read_transcript(text).utterances] == [0, 1, 2, 3]


def test_srt_dialogue_dashes_give_two_speakers_in_one_cue() -> None:
    utterances = read_file(DATA / "dashes_call.srt").utterances
    assert [(u.index, u.speaker, u.text) for u in utterances[3:5]] == [
        (3, K, "Для семьи, у нас двое детей."),
        (3, M, "А сколько лет детям?"),
    ]
    assert [(u.index, u.speaker) for u in utterances[5:]] == [(4, None), (4, None)]


def test_srt_tags_stripped_and_multiline_cues_joined() -> None:
    utterances = read_file(DATA / "dashes_call.srt").utterances
    assert (utterances[1].speaker, utterances[1].text) == (
        K,
        "Здравствуйте, я по объявлению о двухкомнатной квартире на Лесной.",
    )
    assert (
        utterances[2].text == "Да, отличный вариант. Подскажите, для кого вы подбираете квартиру?"
    )
    assert (utterances[1].start, utterances[1].end) == (6.0, 11.0)


def test_srt_text_after_a_blank_line_inside_a_cue_belongs_to_it() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nSPEAKER_01: алло\n\nвы меня слышите?\n"
    (utterance,) = read_transcript(text).utterances
    assert (utterance.speaker, utterance.text) == ("SPEAKER_01", "алло вы меня слышите?")


def test_srt_bad_timestamp_names_the_cue_instead_of_reading_zero() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nраз\n\n2\n00:0x:01,000 --> 00:00:03,000\nдва\n"
    assert error_of(text) == "SRT cue 2 (line 6): bad timestamp '00:0x:01,000'"


# --- JSON formats --------------------------------------------------------------------------


def test_callqa_bare_list_role_synonym_and_extra_keys() -> None:
    transcript = read_transcript(
        [{"role": M, "text": " Добрый день ", "start": 0, "extra": 1}, {"speaker": K, "text": "Да"}]
    )
    assert transcript.format == "callqa"
    assert [(u.index, u.speaker, u.text, u.start) for u in transcript.utterances] == [
        (0, M, "Добрый день", 0.0),
        (1, K, "Да", None),
    ]


def test_callqa_json_index_is_element_position_even_after_empty_text() -> None:
    data = {"utterances": [{"speaker": M, "text": ""}, {"speaker": K, "text": "Да"}]}
    assert [u.index for u in read_transcript(data).utterances] == [1]


@pytest.mark.parametrize(
    ("utterance", "reason"),
    [
        ({"speaker": M, "text": 5}, "utterances[1].text: expected a string, got a number"),
        ({"speaker": M}, "utterances[1].text: missing"),
        ({"speaker": [M], "text": "x"}, "utterances[1].speaker: expected a string"),
        ({"speaker": M, "text": "x", "start": "1"}, "utterances[1].start: expected a number"),
        ({"speaker": M, "text": "x", "start": 5, "end": 3}, "utterances[1]: end 3.0 is before"),
        ("текст", "utterances[1]: expected an object, got a string"),
    ],
)
def test_callqa_type_errors_name_the_element_and_field(utterance: Any, reason: str) -> None:
    data = {"utterances": [{"speaker": M, "text": "Добрый день"}, utterance]}
    assert reason in error_of(data)


def test_whisper_segment_without_speaker_takes_the_majority_word_speaker() -> None:
    utterances = read_file(DATA / "whisperx_diarized_call.json").utterances
    assert utterances[2].speaker == "SPEAKER_00"


def test_whisper_consecutive_segments_of_one_speaker_stay_separate() -> None:
    utterances = read_file(DATA / "whisperx_diarized_call.json").utterances
    assert [(u.index, u.speaker) for u in utterances[5:]] == [(5, "SPEAKER_01"), (6, "SPEAKER_01")]
    assert utterances[6].text == "Лесная улица, дом пять."  # leading space stripped


def test_aws_speakers_from_speaker_label_segments_when_items_lack_them() -> None:
    data = json.loads((SHARED / "aws_transcribe_speakers.json").read_text("utf-8"))
    for item in data["results"]["items"]:
        item.pop("speaker_label")
    utterances = read_transcript(data).utterances
    assert [(u.speaker, u.text) for u in utterances] == [
        ("spk_0", "I've been on hold for an hour."),
        ("spk_1", "Sorry about that."),
    ]


def _aws_item(content: str, start: float | None = None) -> dict[str, Any]:
    if start is None:
        return {"type": "punctuation", "alternatives": [{"content": content}]}
    times = {"start_time": str(start), "end_time": str(start + 0.4)}
    return {"type": "pronunciation", "alternatives": [{"content": content}], **times}


def test_aws_channel_identification_gives_ch_speakers_in_time_order() -> None:
    channels = [
        {"channel_label": "ch_0", "items": [_aws_item("Алло", 0.5), _aws_item("?")]},
        {"channel_label": "ch_1", "items": [_aws_item("Да", 1.5), _aws_item(".")]},
    ]
    data = {"results": {"channel_labels": {"channels": channels}, "items": []}}
    utterances = read_transcript(data).utterances
    assert [(u.index, u.speaker, u.text) for u in utterances] == [
        (0, "ch_0", "Алло?"),
        (1, "ch_1", "Да."),
    ]


def test_aws_without_speakers_gives_one_utterance_from_the_transcript() -> None:
    data = {
        "results": {
            "transcripts": [{"transcript": "Алло, да."}],
            "items": [_aws_item("Алло", 0.5), _aws_item(","), _aws_item("да", 1.0)],
        }
    }
    (utterance,) = read_transcript(data).utterances
    assert (utterance.speaker, utterance.text, utterance.start) == (None, "Алло, да.", 0.5)


def test_deepgram_words_grouped_into_speaker_runs_with_punctuated_words() -> None:
    utterances = read_file(DATA / "deepgram_words_call.json").utterances
    assert [u.speaker for u in utterances] == ["0", "1", "0", "1"]
    assert utterances[0].text == GREETING


def test_assemblyai_without_utterances_uses_words_then_text() -> None:
    words = [
        {"text": "Алло?", "start": 500, "end": 900, "speaker": "A"},
        {"text": "Да,", "start": 1500, "end": 1800, "speaker": "B"},
        {"text": "слушаю.", "start": 1800, "end": 2300, "speaker": "B"},
    ]
    by_words = read_transcript({"speaker_labels": True, "words": words, "text": "x"}, "assemblyai")
    assert [(u.speaker, u.text, u.start, u.end) for u in by_words.utterances] == [
        ("A", "Алло?", 0.5, 0.9),
        ("B", "Да, слушаю.", 1.5, 2.3),
    ]
    by_text = read_transcript({"audio_duration": 3, "text": "Алло? Да, слушаю."})
    assert by_text.format == "assemblyai"
    assert [(u.speaker, u.text) for u in by_text.utterances] == [(None, "Алло? Да, слушаю.")]


def test_yandex_v2_chunks_accepted_without_the_response_wrapper() -> None:
    data = json.loads((DATA / "yandex_v2_call.json").read_text("utf-8"))
    transcript = read_transcript({"chunks": data["response"]["chunks"]})
    assert transcript.format == "yandex"
    assert transcript.utterances == read_file(DATA / "yandex_v2_call.json").utterances


def test_yandex_v3_refinement_replaces_its_final_and_partials_are_skipped() -> None:
    utterances = read_file(DATA / "yandex_v3_call.ndjson").utterances
    assert [u.index for u in utterances] == [0, 1, 2, 3]
    assert utterances[0].text == GREETING  # normalized text, not the raw lowercase final
    assert (utterances[1].start, utterances[1].end) == (7.0, 11.0)


def test_google_without_diarization_gives_one_utterance_per_result() -> None:
    data = {
        "results": [
            {
                "alternatives": [
                    {
                        "transcript": " Алло ",
                        "words": [{"word": "Алло", "startTime": "1.300s", "endTime": "1.800s"}],
                    }
                ]
            },
            {"alternatives": [{"transcript": "да слушаю"}], "resultEndTime": "4.5s"},
        ]
    }
    utterances = read_transcript(data).utterances
    assert [(u.index, u.speaker, u.text, u.start, u.end) for u in utterances] == [
        (0, None, "Алло", 1.3, 1.8),
        (1, None, "да слушаю", None, 4.5),
    ]


def test_google_speaker_label_strings_of_newer_versions() -> None:
    words = [
        {"word": "Алло", "startOffset": "0.5s", "speakerLabel": "1"},
        {"word": "Да", "startOffset": "1.5s", "speakerLabel": "2"},
    ]
    utterances = read_transcript({"results": [{"alternatives": [{"words": words}]}]}).utterances
    assert [(u.speaker, u.text, u.start) for u in utterances] == [
        ("1", "Алло", 0.5),
        ("2", "Да", 1.5),
    ]


# --- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nx", "vtt"),
        ("1\n00:00:01,000 --> 00:00:02,000\nx", "srt"),
        ("Менеджер: Добрый день", "text"),
        ("[00:00:01] Менеджер: Добрый день", "text"),
        ("[Менеджер] Добрый день", "text"),
        ('{"utterances": [{"speaker": "A", "text": "x"}]}', "callqa"),
        ([{"speaker": "A", "text": "x"}], "callqa"),
        ({"utterances": [{"speaker": "A", "text": "x", "start": 100, "end": 900}]}, "assemblyai"),
        ({"utterances": [{"speaker": "A", "text": "x", "start": 0.1}]}, "callqa"),
        ({"segments": []}, "whisper"),
        ({"results": {"items": []}}, "aws"),
        ({"results": {"audio_segments": []}}, "aws"),
        ({"results": {"channels": []}}, "deepgram"),
        ({"results": {"utterances": []}}, "deepgram"),
        ({"results": [{"alternatives": []}]}, "google"),
        ({"response": {"chunks": []}}, "yandex"),
        ({"chunks": []}, "yandex"),
        ([{"result": {"final": {}}}], "yandex"),
    ],
)
def test_detect_format_by_shape(data: Any, fmt: str) -> None:
    assert detect_format(data) == fmt


def test_forced_format_is_the_transcript_format() -> None:
    assert read_transcript("Менеджер: да", "text").format == "text"
    assert read_transcript("WEBVTT\n\n00:01.000 --> 00:02.000\nда", format="vtt").format == "vtt"


def test_forced_text_format_reads_json_looking_text_as_text() -> None:
    (utterance,) = read_transcript('{"a": 1}', "text").utterances
    assert utterance.text == '{"a": 1}'


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt", "reason"),
    [
        ("", "auto", "the transcript is empty"),
        ("  \n\t\r\n ", "auto", "the transcript is empty"),
        (b"", "auto", "the transcript is empty"),
        (b"\x00\x01\x02\x03\x04binary", "auto", "binary (NUL bytes at offset 0)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "auto", "binary (NUL bytes at offset 8)"),
        ("\x01\x02\x03\x04\x05\x06\x07 текст", "auto", "the text is binary"),
        (bytes(range(1, 256)) * 4, "auto", "neither UTF-8 nor Russian cp1251"),
        ("Caf\xe9 cr\xe8me na\xefve".encode("latin-1"), "auto", "neither UTF-8 nor Russian cp1251"),
        ('{"utterances": [1, 2,]}', "auto", "invalid: Expecting value at line 1, column 22"),
        ('{\n  "utterances": [\n}', "auto", "at line 3, column 1"),
        ('{"foo": 1}', "auto", "JSON of an unknown shape (top-level keys: foo)"),
        ({"foo": 1}, "auto", "expected callqa"),
        ([1, 2, 3], "auto", "JSON of an unknown shape"),
        ({}, "auto", "the transcript is empty"),
        ([], "auto", "the transcript is empty"),
        ({"utterances": []}, "auto", "no utterances found in callqa JSON"),
        ({"utterances": [{"speaker": "A", "text": " "}]}, "auto", "no utterances found"),
        ("WEBVTT\n\nNOTE только заметка\n", "auto", "no utterances found in WebVTT"),
        ("Менеджер: Добрый день\nКлиент: Да\n", "srt", "this is not SRT: line 1"),
        ("Менеджер: Добрый день\n", "vtt", "this is not WebVTT"),
        ("Менеджер: Добрый день\n", "whisper", "the whisper format needs JSON"),
        ({"utterances": [{"speaker": "A", "text": "x"}]}, "text", "text format needs text"),
        ({"segments": []}, "callqa", "needs an 'utterances' list"),
        ({"segments": []}, "aws", "aws JSON: results: expected an object, it is missing"),
        ({"results": {"items": []}}, "deepgram", "needs 'results.utterances'"),
        ({"utterances": []}, "yandex", "yandex JSON needs 'response.chunks'"),
        ([{"speaker": "A", "text": "x"}], "assemblyai", "expected an object, got a list"),
        ("x", "docx", "unknown transcript format 'docx'; known formats: auto, text, vtt"),
    ],
)
def test_bad_input_raises_transcript_error_with_a_reason(data: Any, fmt: str, reason: str) -> None:
    assert reason in error_of(data, fmt)


def test_utf16_without_bom_is_refused_with_a_hint() -> None:
    assert "byte order mark" in error_of("Менеджер: да".encode("utf-16-le"))


def test_subtitle_cues_after_prose_are_a_clear_error() -> None:
    text = "Запись звонка от 12 мая.\n\n1\n00:00:01,000 --> 00:00:02,000\nМенеджер: Алло\n"
    assert "line 4 is a subtitle cue timing" in error_of(text)


def test_deeply_nested_json_is_refused() -> None:
    assert "nested too deeply" in error_of("[" * 100_000 + "]" * 100_000)


def test_json_number_too_long_to_convert_is_refused() -> None:
    assert "JSON could not be read" in error_of('{"utterances": ' + "1" * 5000 + "}")


def test_wrong_python_type_is_refused() -> None:
    assert "got int" in error_of(5)


def test_unexpected_reader_failure_becomes_transcript_error_naming_the_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(data: object) -> list[Any]:
        raise KeyError("speaker")

    monkeypatch.setitem(readers._JSON_READERS, "whisper", broken)
    reason = error_of({"segments": []})
    assert reason.startswith("whisper: could not read the input (KeyError")


def test_formats_tuple_lists_every_reader() -> None:
    assert FORMATS == (
        "text",
        "vtt",
        "srt",
        "callqa",
        "whisper",
        "aws",
        "deepgram",
        "assemblyai",
        "yandex",
        "google",
    )
