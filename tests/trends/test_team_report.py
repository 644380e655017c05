"""The team report: managers side by side with trend lines, the team's top phrases with their
replacements, and who improved most since the training; JSON, CSV and HTML in Chromium."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.api.trend_schemas import TeamReportOut
from app.cli import app
from tests.chromium import chromium, console, strings_of, visible_text, without
from tests.trends.conftest import TRAINING_DAY, Ingest, realty_call

WINDOW = {"from": "2026-01-05", "to": "2026-03-15", "compare_before": str(TRAINING_DAY)}


@pytest.fixture
def team(scenario: list[dict[str, Any]], store: Ingest) -> list[dict[str, Any]]:
    """m-olga's ten weeks, m-ivan a little better after the training, m-petr after it only."""
    for day, (questions, forbidden) in enumerate(((3, 2), (3, 2), (5, 1), (6, 1))):
        month = "01" if day < 2 else "03"
        store(
            realty_call(questions, forbidden=forbidden),
            started_at=f"2026-{month}-1{day}T10:00:00+00:00",
            manager_id="m-ivan",
            manager_name="Иван Петров",
        )
    store(realty_call(8, 2, 1), started_at="2026-03-03T10:00:00+00:00", manager_id="m-petr")
    return scenario


def _report(client: TestClient, **params: Any) -> Any:
    return client.get("/v1/teams/t-sochi/report", params={**WINDOW, **params})


def _manager(client: TestClient, manager_id: str) -> Any:
    return client.get(f"/v1/managers/{manager_id}/report", params=WINDOW).json()


def test_the_team_report_puts_the_managers_side_by_side_with_their_own_figures(
    client: TestClient, team: list[dict[str, Any]]
) -> None:
    body = _report(client).json()

    TeamReportOut.model_validate(body)
    managers = {m["manager_id"]: m for m in body["managers"]}
    assert set(managers) == {"m-olga", "m-ivan", "m-petr"}
    scores = [m["avg_total"] for m in body["managers"]]
    assert scores == sorted(scores, reverse=True)
    for manager_id, entry in managers.items():
        own = _manager(client, manager_id)
        assert entry["calls"] == own["summary"]["calls"]
        assert entry["avg_total"] == own["summary"]["avg_total"]
        assert [p["avg_total"] for p in entry["series"]] == [p["avg_total"] for p in own["series"]]
    assert body["summary"]["calls"] == len(team) + 5
    assert sum(p["calls"] for p in body["series"]) == len(team) + 5
    assert [p["period_start"] for p in body["series"]] == [
        p["period_start"] for p in managers["m-petr"]["series"]
    ]


def test_who_improved_most_is_ranked_by_the_change_of_score_since_the_training(
    client: TestClient, team: list[dict[str, Any]]
) -> None:
    body = _report(client).json()

    improved = body["improved_most"]
    assert [m["manager_id"] for m in improved] == ["m-olga", "m-ivan"]  # m-petr: no "before"
    for entry in improved:
        delta = _manager(client, entry["manager_id"])["comparison"]["delta"]
        assert entry["avg_total"] == delta["avg_total"]
        assert entry["avg_questions_total"] == delta["avg_questions_total"]
    assert next(m for m in body["managers"] if m["manager_id"] == "m-petr")["change"] is None


def test_the_teams_top_phrases_come_with_replacements_and_who_says_them(
    client: TestClient, team: list[dict[str, Any]]
) -> None:
    phrases = _report(client).json()["top_phrases"]

    first = phrases[0]
    assert first["phrase"] == "я не знаю"
    assert first["replacement"] == "Я уточню и вернусь к вам с ответом"
    olga = sum(1 for c in team for v in c["score"]["violations"] if v["phrase"] == "я не знаю")
    assert {m["manager_id"]: m["count"] for m in first["managers"]} == {"m-olga": olga, "m-ivan": 4}
    assert first["count"] == olga + 4


def test_the_team_csv_has_a_row_per_manager_and_an_excel_dialect(
    client: TestClient, team: list[dict[str, Any]]
) -> None:
    plain = _report(client, format="csv")
    excel = _report(client, format="csv", dialect="excel")

    assert plain.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(plain.content.decode("utf-8-sig"))))
    body = _report(client).json()
    assert [r["manager_id"] for r in rows] == [m["manager_id"] for m in body["managers"]]
    olga = next(r for r in rows if r["manager_id"] == "m-olga")
    assert float(olga["avg_total_change"]) == body["improved_most"][0]["avg_total"]
    excel_rows = list(csv.DictReader(io.StringIO(excel.content.decode("utf-8-sig")), delimiter=";"))
    assert excel_rows[0]["avg_total"] == rows[0]["avg_total"].replace(".", ",")


def test_an_unknown_team_is_a_404(client: TestClient, team: list[dict[str, Any]]) -> None:
    response = client.get("/v1/teams/t-nowhere/report")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_team_report_page_renders_in_chromium(
    client: TestClient, team: list[dict[str, Any]], tmp_path: Path
) -> None:
    page = tmp_path / "team.html"
    page.write_text(_report(client, format="html").text, encoding="utf-8")
    screenshot = tmp_path / "team.png"

    shot = chromium(
        tmp_path / "profile",
        "--enable-logging=stderr",
        f"--screenshot={screenshot}",
        "--window-size=1280,1600",
        page.as_uri(),
    )
    dom = chromium(tmp_path / "profile", "--dump-dom", page.as_uri()).stdout

    assert console(shot.stderr) == []
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    text = re.sub(r"<[^>]+>", " ", dom)
    assert "Отчёт по команде t-sochi" in text
    assert "Ольга Смирнова" in text and "Иван Петров" in text
    assert "Кто вырос больше всех с 09.02.2026" in text
    assert "«Я уточню и вернусь к вам с ответом»" in text
    assert dom.count('<svg class="spark"') == 3


@pytest.mark.usefixtures("cli_on_test_session")
def test_callqa_report_team_writes_the_team_page(
    team: list[dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "team.html"
    window = ["--from", "2026-01-05", "--to", "2026-03-15", "--compare-before", "2026-02-09"]

    result = CliRunner().invoke(app, ["report", "--team", "t-sochi", *window, "-o", str(out)])

    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "Отчёт по команде t-sochi" in page and "Кто вырос больше всех" in page
    assert f"{len(team) + 5} звонков t-sochi" in result.stderr


def test_accept_language_words_the_page_in_english_and_russian_is_the_default(
    client: TestClient, team: list[dict[str, Any]]
) -> None:
    english = client.get(
        "/v1/teams/t-sochi/report",
        params={**WINDOW, "format": "html"},
        headers={"Accept-Language": "en-GB,en;q=0.9,ru;q=0.5"},
    )
    russian = _report(client, format="html")

    assert english.headers["content-language"] == "en"
    assert russian.headers["content-language"] == "ru"
    assert "Team report t-sochi" in english.text
    assert "Who improved most since Feb 9, 2026" in english.text
    assert "<html lang='en'>" in english.text
    olga = next(m for m in _report(client).json()["managers"] if m["manager_id"] == "m-olga")
    questions = f"{olga['avg_questions_total']:g}"
    assert f">{questions}<" in english.text
    assert f">{questions.replace('.', ',')}<" in russian.text
    assert "Отчёт по команде t-sochi" in russian.text


def test_a_problem_is_worded_in_the_requested_language(
    client: TestClient, team: list[dict[str, Any]]
) -> None:
    path = "/v1/teams/t-nowhere/report"

    russian = client.get(path).json()
    english = client.get(path, headers={"Accept-Language": "en"}).json()

    assert (russian["title"], russian["detail"]) == (
        "Не найдено",
        "нет звонков команды «t-nowhere»",
    )
    assert (english["title"], english["detail"]) == (
        "Not found",
        "no calls are stored for team «t-nowhere»",
    )
    assert russian["type"] == english["type"] == "urn:callqa:problem:not-found"


def _team_page(client: TestClient, tmp_path: Path, language: str) -> tuple[str, list[str]]:
    """The team report as Chromium shows it in `language`, and the data it shows."""
    headers = {"Accept-Language": language}
    html = client.get(
        "/v1/teams/t-sochi/report", params={**WINDOW, "format": "html"}, headers=headers
    )
    data = client.get("/v1/teams/t-sochi/report", params=WINDOW, headers=headers).json()
    assert html.headers["content-language"] == language
    page = tmp_path / f"team-{language}.html"
    page.write_text(html.text, encoding="utf-8")
    shots = Path("/tmp/locale")  # kept to look at
    shots.mkdir(exist_ok=True)
    shot = chromium(
        tmp_path / "profile",
        f"--screenshot={shots / f'team-{language}.png'}",
        "--window-size=1280,1800",
        page.as_uri(),
    )
    assert console(shot.stderr) == []
    return visible_text(tmp_path / "profile", page), strings_of(data)


def test_the_team_report_in_english_has_no_russian_word_but_its_data(
    client: TestClient, team: list[dict[str, Any]], tmp_path: Path
) -> None:
    text, data = _team_page(client, tmp_path, "en")

    assert "Team report t-sochi" in text and "Managers side by side" in text
    assert "Other questions" in text  # the questions no category claimed: callqa's words
    # Names, phrases, their replacements and the checklist's titles are data.
    assert re.findall(r"[А-Яа-яЁё]+", without(text, data)) == []


def test_the_team_report_in_russian_has_no_english_word_but_codes(
    client: TestClient, team: list[dict[str, Any]], tmp_path: Path
) -> None:
    text, data = _team_page(client, tmp_path, "ru")

    assert "Отчёт по команде t-sochi" in text
    assert re.findall(r"[A-Za-z]+", without(text, data)) == ["callqa"]  # the product's name
