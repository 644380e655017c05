"""`callqa score` refuses bad input in the configured language: Russian by default, English
with CALLQA_LOCALE=en; the exit code is the same."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from app import i18n
from app.cli import app

runner = CliRunner()


def _score(locale: str, *args: str) -> tuple[int, str]:
    with i18n.using(locale):
        result = runner.invoke(app, ["score", *args])
    return result.exit_code, result.stderr


def test_scoring_an_empty_folder_is_refused_in_russian_by_default(tmp_path: Path) -> None:
    assert _score("ru", str(tmp_path)) == (2, "callqa: файлы расшифровок не найдены\n")
    assert _score("en", str(tmp_path)) == (2, "callqa: no transcript files found\n")


def test_a_file_that_cannot_be_read_is_named_in_either_language(tmp_path: Path) -> None:
    missing = tmp_path / "нет.txt"

    ru_code, ru = _score("ru", str(missing))
    en_code, en = _score("en", str(missing))

    assert ru_code == en_code == 2
    assert ru.startswith(f"callqa: не удаётся прочитать {missing}: ")
    assert en.startswith(f"callqa: cannot read {missing}: ")


def test_contradicting_speaker_options_are_refused_in_the_language(tmp_path: Path) -> None:
    args = (str(tmp_path), "--single-speaker", "--manager-speaker", "Анна")

    assert "укажите что-то одно" in _score("ru", *args)[1]
    assert "give one" in _score("en", *args)[1]


def test_a_binary_file_is_refused_with_the_readers_reason_in_the_language(
    tmp_path: Path,
) -> None:
    picture = tmp_path / "call.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

    ru_code, ru = _score("ru", str(picture))
    en_code, en = _score("en", str(picture))

    assert ru_code == en_code == 2
    assert ru.startswith("callqa: файл двоичный (нулевые байты со смещения 8)")
    assert en.startswith("callqa: the file is binary (NUL bytes at offset 8)")
