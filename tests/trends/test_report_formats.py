"""The trainer report as JSON, CSV and a self-contained HTML page."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from fastapi.testclient import TestClient

from app.api.trend_schemas import PeriodSummary, ReportOut
from tests.trends.conftest import TRAINING_DAY, Ingest, realty_call

WINDOW = {"from": "2026-01-05", "to": "2026-03-15"}


def _report(client: TestClient, **params: Any) -> Any:
    return client.get("/v1/managers/m-olga/report", params={**WINDOW, **params})


def test_the_report_summarises_the_window_with_a_grade_distribution(
    client: TestClient, scenario: list[dict[str, Any]]
) -> None:
    report = _report(client).json()

    summary = report["summary"]
    assert summary["calls"] == 50
    grades = [c["score"]["grade"] for c in scenario]
    assert summary["grades"] == {g: grades.count(g) for g in ("green", "yellow", "red")}
    assert summary["avg_total"] == round(sum(c["score"]["total"] for c in scenario) / 50, 2)
    assert report["manager_name"] == "Ольга Смирнова"
    assert report["bucket"] == "week" and len(report["series"]) == 10
    assert report["comparison"] is None


def test_the_report_lists_phrases_to_replace_with_two_real_examples_each(
    client: TestClient, scenario: list[dict[str, Any]]
) -> None:
    phrases = _report(client).json()["top_phrases"]

    first = phrases[0]
    said = sum(
        1 for c in scenario for v in c["score"]["violations"] if v["phrase"] == first["phrase"]
    )
    assert (first["phrase"], first["count"]) == ("я не знаю", said)
    assert first["replacement"] == "Я уточню и вернусь к вам с ответом"
    assert len(first["examples"]) == 2
    ids = {c["id"]: c for c in scenario}
    for example in first["examples"]:
        call = ids[example["call_id"]]
        assert example["link"] == f"/v1/calls/{example['call_id']}"
        assert example["text"] == "Я не знаю, уточните сами."
        assert any(v["utterance"] == example["utterance"] for v in call["score"]["violations"])
    assert first["examples"][0]["call_id"] != first["examples"][1]["call_id"]


def test_the_report_names_the_three_best_and_three_worst_calls(
    client: TestClient, scenario: list[dict[str, Any]]
) -> None:
    report = _report(client).json()

    totals = sorted((c["score"]["total"] for c in scenario), reverse=True)
    assert [c["total"] for c in report["best_calls"]] == totals[:3]
    assert [c["total"] for c in report["worst_calls"]] == sorted(totals)[:3]
    for call in report["best_calls"] + report["worst_calls"]:
        assert call["link"] == f"/v1/calls/{call['id']}"
        assert call["started_at"].endswith("+00:00")


def test_the_csv_is_the_series_with_a_header_and_a_bom_for_excel(
    client: TestClient, scenario: list[dict[str, Any]]
) -> None:
    response = _report(client, format="csv")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    series = _report(client).json()["series"]
    assert [r["period_start"] for r in rows] == [p["period_start"][:10] for p in series]
    assert [int(r["calls"]) for r in rows] == [p["calls"] for p in series]
    assert [float(r["avg_personal"]) for r in rows] == [
        p["avg_questions"]["personal"] for p in series
    ]
    assert "pass_rate_viewing_booked" in rows[0]


def test_an_empty_period_is_an_empty_cell_in_the_csv(client: TestClient, store: Ingest) -> None:
    store(realty_call(4), started_at="2026-03-02T10:00:00+00:00", manager_id="m-csv")

    response = client.get(
        "/v1/managers/m-csv/report",
        params={"from": "2026-03-02", "to": "2026-03-15", "format": "csv"},
    )

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["calls"], r["avg_total"]) for r in rows][1] == ("0", "")


def test_the_html_page_is_self_contained_and_free_of_scripts(
    client: TestClient, scenario: list[dict[str, Any]]
) -> None:
    response = _report(client, format="html", compare_before=str(TRAINING_DAY))

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert page.startswith("<!doctype html>")
    assert "<script" not in page.lower()
    assert not re.search(r"(src|href)=['\"]?https?:", page)
    assert "@import" not in page and "url(" not in page
    assert page.count("<svg") == 3
    assert "@media print" in page
    assert "Что тренировать" in page and "До и после тренинга" in page
    assert "«Я уточню и вернусь к вам с ответом»" in page


def test_every_user_string_in_the_html_is_escaped(client: TestClient, store: Ingest) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    store(
        realty_call(4, forbidden=1),
        started_at="2026-03-02T10:00:00+00:00",
        manager_id="m-<i>",
        manager_name=hostile,
        external_id=f"ext-{hostile}",
    )

    page = client.get(
        "/v1/managers/m-<i>/report",
        params={"from": "2026-03-01", "to": "2026-03-08", "format": "html"},
    ).text

    assert "<img" not in page
    assert "<i>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "m-&lt;i&gt;" in page


def test_the_json_report_is_what_openapi_documents(
    client: TestClient, scenario: list[dict[str, Any]]
) -> None:
    body = _report(client, compare_before=str(TRAINING_DAY)).json()

    report = ReportOut.model_validate(body)

    assert set(body) == {f.alias or name for name, f in ReportOut.model_fields.items()}
    assert report.comparison is not None
    assert set(body["comparison"]["before"]) == {
        f.alias or name for name, f in PeriodSummary.model_fields.items()
    }
