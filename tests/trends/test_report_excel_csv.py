"""The report CSV for Russian Excel (`dialect=excel`): `;` between fields, decimal commas, UTF-8
with a BOM, so a double click opens numbers as numbers; plain `format=csv` is unchanged."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.trends.conftest import Ingest, realty_call

PARAMS = {"from": "2026-03-02", "to": "2026-03-15", "format": "csv"}


def _two_calls(store: Ingest) -> list[float]:
    totals = []
    for expertise, day in ((3, "2026-03-02"), (6, "2026-03-04")):
        stored = store(
            realty_call(expertise, 1, forbidden=1),
            started_at=f"{day}T10:00:00+00:00",
            manager_id="m-excel",
        )
        totals.append(stored["score"]["total"])
    return totals


def test_excel_dialect_separates_by_semicolon_with_decimal_commas(
    client: TestClient, store: Ingest
) -> None:
    totals = _two_calls(store)

    response = client.get("/v1/managers/m-excel/report", params={**PARAMS, "dialect": "excel"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeffperiod_start;calls;avg_total;".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, week, empty_week = rows
    row = dict(zip(header, week, strict=True))
    average = round(sum(totals) / 2, 2)
    assert average != int(average)  # the figure has a fractional part to show
    assert row["avg_total"] == str(average).replace(".", ",")
    assert (row["period_start"], row["calls"]) == ("2026-03-02", "2")
    assert row["avg_expertise"] == "4,5" and row["avg_personal"] == "1,0"
    assert row["violations_per_call"] == "1,0"
    assert all("." not in cell for cell in week[1:])
    assert dict(zip(header, empty_week, strict=True))["avg_total"] == ""


def test_plain_csv_keeps_commas_between_fields_and_decimal_points(
    client: TestClient, store: Ingest
) -> None:
    totals = _two_calls(store)

    response = client.get("/v1/managers/m-excel/report", params=PARAMS)

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert response.content.startswith("\ufeffperiod_start,calls,avg_total,".encode())
    assert rows[0]["avg_total"] == str(round(sum(totals) / 2, 2))
    assert rows[0]["avg_expertise"] == "4.5"


def test_an_unknown_dialect_is_a_422_naming_the_parameter(client: TestClient) -> None:
    response = client.get("/v1/managers/m-excel/report", params={**PARAMS, "dialect": "libre"})

    assert response.status_code == 422
    assert "dialect" in response.text
