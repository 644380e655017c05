"""`callqa report` and `callqa import`, run through typer on the test's database session.

The commands open their database through `app.cli.scope.cli_database`; here it hands them a
stand-in whose `session_scope` is a SAVEPOINT of the test's session, so everything the
commands write is rolled back with the test, and the test sees it.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import app
from app.cli.import_calls import stamp_from_name
from app.db.models import Call
from app.engine import get_checklist
from tests.trends.conftest import TRAINING_DAY, realty_call

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("cli_on_test_session")


def _calls(session: Session, manager_id: str) -> list[Call]:
    stmt = select(Call).where(Call.manager_id == manager_id).order_by(Call.started_at)
    return list(session.scalars(stmt))


def test_report_writes_the_html_page_to_a_file(
    scenario: list[dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "olga.html"

    result = runner.invoke(
        app,
        [
            *("report", "m-olga", "--from", "2026-01-05", "--to", "2026-03-15"),
            *("--compare-before", str(TRAINING_DAY), "--format", "html", "-o", str(out)),
        ],
    )

    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and page.count("<svg") == 3
    assert "50 звонков m-olga, с 2026-01-05 по 2026-03-15 (UTC)" in result.stderr


WINDOW = ("--from", "2026-01-05", "--to", "2026-03-15")


def test_report_json_is_the_api_report(
    scenario: list[dict[str, Any]], tmp_path: Path, client: Any
) -> None:
    out = tmp_path / "olga.json"
    window = ["--from", "2026-01-05", "--to", "2026-03-15", "--compare-before", "2026-02-09"]

    result = runner.invoke(app, ["report", "m-olga", *window, "--format", "json", "-o", str(out)])

    assert result.exit_code == 0, result.output
    from_cli = json.loads(out.read_text(encoding="utf-8"))
    from_api = client.get(
        "/v1/managers/m-olga/report",
        params={"from": "2026-01-05", "to": "2026-03-15", "compare_before": "2026-02-09"},
    ).json()
    for key in ("summary", "series", "comparison", "top_phrases", "best_calls", "worst_calls"):
        assert from_cli[key] == from_api[key]


def test_report_of_one_checklist_version_counts_only_its_scores(
    scenario: list[dict[str, Any]], tmp_path: Path, client: Any
) -> None:
    out = tmp_path / "olga.json"
    version = get_checklist("realty_phone").version
    options = ["--checklist", "realty_phone", "--checklist-version", version, "-o", str(out)]

    result = runner.invoke(app, ["report", "m-olga", *WINDOW, *options, "--format", "json"])

    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["summary"]["calls"] == len(scenario)
    assert (report["version"], report["calls_without_version"]) == (version, 0)


def test_report_csv_goes_to_standard_output_without_o(scenario: list[dict[str, Any]]) -> None:
    result = runner.invoke(
        app, ["report", "m-olga", "--from", "2026-01-05", "--to", "2026-03-15", "--format", "csv"]
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("period_start,calls,avg_total")
    assert len(lines) == 11


def test_report_of_an_unknown_manager_exits_2_with_the_reason() -> None:
    result = runner.invoke(app, ["report", "nobody", "--format", "json"])

    assert result.exit_code == 2
    assert "нет звонков менеджера «nobody»" in result.stderr


def test_report_with_a_bad_zone_exits_2_naming_the_parameter(
    scenario: list[dict[str, Any]],
) -> None:
    result = runner.invoke(app, ["report", "m-olga", "--tz", "Mars/Base"])

    assert result.exit_code == 2
    assert "tz: неизвестный часовой пояс 'Mars/Base'" in result.stderr  # Russian by default


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2026-03-14_1530_call.txt", datetime(2026, 3, 14, 15, 30)),
        ("call_20260314T153000.txt", datetime(2026, 3, 14, 15, 30)),
        ("20260314_153012-m7.vtt", datetime(2026, 3, 14, 15, 30, 12)),
        ("2026-03-14 15.30.txt", datetime(2026, 3, 14, 15, 30)),
        ("2026-03-14.txt", datetime(2026, 3, 14)),
        ("call-7.txt", None),
        ("20261399_call.txt", None),
    ],
)
def test_a_timestamp_is_read_from_the_file_name_in_the_zone_given(
    name: str, expected: datetime | None
) -> None:
    zone = ZoneInfo("Europe/Moscow")
    stamp = stamp_from_name(name, zone)
    assert stamp == (expected.replace(tzinfo=zone) if expected else None)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three good transcripts (two named by time, one dated by mtime) and two bad files."""
    root = tmp_path / "calls"
    (root / "week1").mkdir(parents=True)
    (root / "week1" / "2026-03-02_1030_call.txt").write_text(realty_call(4), encoding="utf-8")
    (root / "week1" / "20260303T111500.txt").write_text(realty_call(6, 1), encoding="utf-8")
    undated = root / "undated.txt"
    undated.write_text(realty_call(9, 3, 2), encoding="utf-8")
    moment = datetime(2026, 3, 4, 9, 0, tzinfo=UTC).timestamp()
    os.utime(undated, (moment, moment))
    (root / "empty.txt").write_text("", encoding="utf-8")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    (root / ".hidden.txt").write_text(realty_call(4), encoding="utf-8")
    return root


def _import(folder: Path, *extra: str) -> Any:
    return runner.invoke(
        app,
        [
            *("import", str(folder), "--manager-id", "m-import", "--team-id", "t-import"),
            *("--started-at-from-filename", "--tz", "Europe/Moscow", *extra),
        ],
    )


def test_import_stores_each_file_and_summarises_what_failed_and_why(
    folder: Path, session: Session
) -> None:
    result = _import(folder)

    assert result.exit_code == 2, result.output
    assert "Не импортированы" in result.stderr
    assert "5 файлов: импортировано 3, уже сохранено 0, с ошибкой 2" in result.stderr
    assert "empty.txt" in result.stderr and "binary.txt" in result.stderr
    assert "двоичный" in result.stderr.split("binary.txt", 1)[1]
    assert "1 файл без времени в имени датирован по времени изменения" in result.stderr
    calls = _calls(session, "m-import")
    assert [c.started_at.isoformat() for c in calls] == [
        "2026-03-02T07:30:00+00:00",
        "2026-03-03T08:15:00+00:00",
        "2026-03-04T09:00:00+00:00",
    ]
    assert {c.started_at_offset_min for c in calls} == {180}
    assert all(c.external_id.startswith("sha256:") and c.source == "import" for c in calls)
    assert calls[0].meta["file"] == "week1/2026-03-02_1030_call.txt"
    assert {c.team_id for c in calls} == {"t-import"}


def test_importing_the_same_folder_again_stores_nothing_twice(
    folder: Path, session: Session
) -> None:
    _import(folder)

    again = _import(folder)

    assert "5 файлов: импортировано 0, уже сохранено 3, с ошибкой 2" in again.stderr
    assert len(_calls(session, "m-import")) == 3


def test_import_by_relative_path_ids(folder: Path, session: Session) -> None:
    (folder / "empty.txt").unlink()
    (folder / "binary.txt").unlink()

    result = _import(folder, "--external-id", "path")

    assert result.exit_code == 0, result.output
    ids = sorted(c.external_id for c in _calls(session, "m-import"))
    assert ids == ["undated.txt", "week1/2026-03-02_1030_call.txt", "week1/20260303T111500.txt"]


def test_import_of_nothing_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path), "--manager-id", "m-import"])

    assert result.exit_code == 2
    assert "файлы расшифровок не найдены" in result.stderr


def test_report_csv_for_russian_excel(scenario: list[dict[str, Any]]) -> None:
    week = ["--from", "2026-01-05", "--to", "2026-01-11"]
    result = runner.invoke(
        app, ["report", "m-olga", *week, "--format", "csv", "--dialect", "excel"]
    )

    assert result.exit_code == 0, result.output
    header, row = result.stdout.lstrip("\ufeff").splitlines()
    assert header.startswith("period_start;calls;avg_total;")
    average = sum(c["score"]["total"] for c in scenario if c["week"] == 0) / 5
    assert row.split(";")[2] == str(round(average, 2)).replace(".", ",")
