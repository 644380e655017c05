"""Specs: `callqa score` as a trainer and a script use it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app

CALL = (
    "Менеджер: Добрый день, агентство «Юг», меня зовут Анна. Какой район рассматриваете?\n"
    "Клиент: Центр.\n"
    "Менеджер: Я не знаю, есть ли там свободные. Что для вас важно при выборе квартиры?\n"
)
runner = CliRunner()


@pytest.fixture
def call(tmp_path: Path) -> Path:
    path = tmp_path / "call.txt"
    path.write_text(CALL, encoding="utf-8")
    return path


def test_json_output_is_the_contract(call: Path) -> None:
    result = runner.invoke(app, ["score", str(call), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {
        "total",
        "grade",
        "checklist",
        "items",
        "questions",
        "question_counts",
        "violations",
        "metrics",
        "manager",
    }
    assert data["question_counts"] == {"motivation": 1, "personal": 0, "expertise": 1, "other": 0}
    assert data["violations"][0]["matched"] == "не знаю"
    assert data["violations"][0]["replacement"] == "Я уточню и вернусь к вам с ответом"


def test_readable_summary_shows_questions_and_replacements(call: Path) -> None:
    result = runner.invoke(app, ["score", str(call)])
    assert result.exit_code == 0
    assert "Какой район рассматриваете?" in result.stdout
    assert "«не знаю» → «Я уточню и вернусь к вам с ответом»" in result.stdout


def test_folder_with_jsonl_gives_one_line_per_file_and_reports_the_bad_one(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(CALL, encoding="utf-8")
    (tmp_path / "b.srt").write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nМенеджер: Какой бюджет?\n", encoding="utf-8"
    )
    (tmp_path / "c.txt").write_bytes(b"")
    result = runner.invoke(app, ["score", str(tmp_path), "--jsonl"])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(line["path"]).name for line in lines] == ["a.txt", "b.srt", "c.txt"]
    assert lines[1]["question_counts"]["expertise"] == 1
    assert lines[2]["error"] == "расшифровка пуста"
    assert lines[2]["error_code"] == "empty"
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("content", "args", "reason"),
    [
        (b"", [], "расшифровка пуста"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", [], "файл двоичный"),
        (CALL.encode(), ["--format", "docx"], "неизвестный формат расшифровки «docx»"),
        (CALL.encode(), ["--checklist", "nope"], "неизвестный чек-лист «nope»"),
        (b"one two three", [], "нет подписей говорящих"),
        (b"one two three", [], "--single-speaker"),
        (CALL.encode(), ["--single-speaker", "--manager-speaker", "Клиент"], "укажите что-то одно"),
    ],
)
def test_bad_input_exits_2_with_a_one_line_reason(
    tmp_path: Path, content: bytes, args: list[str], reason: str
) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(content)
    result = runner.invoke(app, ["score", str(path), *args])
    assert result.exit_code == 2
    assert reason in result.stderr.lower()
    assert "Traceback" not in result.output


SAMPLES = Path(__file__).resolve().parents[1] / "data" / "stt_samples"


@pytest.mark.parametrize("flag", [["--single-speaker"], ["--manager-speaker", "*"]])
def test_input_without_speakers_scores_as_the_managers_speech_with_the_flag(
    flag: list[str],
) -> None:
    result = runner.invoke(app, ["score", str(SAMPLES / "sample.srt"), "--json", *flag])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["manager"]["speaker"] == "*"
    assert [w["code"] for w in data["warnings"]] == ["single_speaker", "language_mismatch"]


def test_the_summary_prints_the_warnings() -> None:
    path = SAMPLES / "whisperx_aligned_call.json"
    result = runner.invoke(app, ["score", str(path), "--single-speaker"])
    assert result.exit_code == 0, result.output
    assert "предупреждение single_speaker: вся речь считается речью менеджера" in result.stdout
    assert "предупреждение language_mismatch: расшифровка не на языке чек-листа" in result.stdout


def test_standard_input_through_the_console_script() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "score", "-", "--json"],
        input=CALL.encode(),
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["manager"]["speaker"] == "Менеджер"


def test_checklists_validate_exits_2_on_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: bad\n")
    result = runner.invoke(app, ["checklists", "validate", str(bad)])
    assert result.exit_code == 2 and "строка 1" in result.stdout
