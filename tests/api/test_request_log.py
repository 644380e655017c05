"""Request ids and the structured request log: one JSON line per request with its id, route
template, status and duration, and never the transcript's words."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from app.api.app import create_app
from app.logs import logging_config, make_formatter
from app.settings import Settings

PHRASE = "Какой район вы рассматриваете"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What callqa's loggers write while the test runs, rendered as `callqa serve` renders it
    off a terminal (the test client's own httpx log is not the service's)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(make_formatter(human=False))
    logger = logging.getLogger("app")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_sane_request_id_is_echoed_and_logged_with_route_status_and_duration(
    client: TestClient, make_call: Any, log_lines: io.StringIO
) -> None:
    body = make_call()
    assert PHRASE in body["transcript"]
    response = client.post("/v1/calls", json=body, headers={"X-Request-ID": "crm-42:a/b+c="})

    assert response.headers["x-request-id"] == "crm-42:a/b+c="
    [line] = [r for r in records(log_lines) if r["event"] == "request"]
    assert line["request_id"] == "crm-42:a/b+c="
    assert (line["method"], line["route"], line["status"]) == ("POST", "/v1/calls", 201)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["level"] == "info" and line["timestamp"].endswith("Z")
    assert line["organisation"] == "default" and line["key_id"] is None  # local mode
    assert PHRASE not in log_lines.getvalue()


def test_a_call_that_fails_logs_its_route_not_its_transcript(
    client: TestClient, make_call: Any, log_lines: io.StringIO
) -> None:
    body = make_call(started_at="whenever")
    response = client.post("/v1/calls", json=body)

    assert response.status_code == 422
    [line] = [r for r in records(log_lines) if r["event"] == "request"]
    assert (line["route"], line["status"]) == ("/v1/calls", 422)
    assert line["request_id"] == response.headers["x-request-id"]
    assert PHRASE not in log_lines.getvalue()


@pytest.mark.parametrize(
    "given", ["", "x" * 129, "id with spaces", "id;drop", "идентификатор".encode(), "a\tb"]
)
def test_an_unusable_request_id_is_replaced_by_a_new_one(
    client: TestClient, given: str | bytes, log_lines: io.StringIO
) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": given})

    made = response.headers["x-request-id"]
    assert made != given and len(made) == 32 and made.isalnum()
    assert [r["request_id"] for r in records(log_lines) if r["event"] == "request"] == [made]


def test_each_request_gets_its_own_id(client: TestClient) -> None:
    ids = {client.get("/healthz").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


def test_the_raw_path_and_query_are_not_logged(client: TestClient, log_lines: io.StringIO) -> None:
    client.get("/v1/calls/987654321?token=secret-value")

    [line] = [r for r in records(log_lines) if r["event"] == "request"]
    assert (line["route"], line["status"]) == ("/v1/calls/{call_id}", 404)
    assert "987654321" not in log_lines.getvalue()
    assert "secret-value" not in log_lines.getvalue()


def test_on_a_terminal_the_log_is_readable_lines_not_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", Terminal())
    formatter = logging_config("info")["formatters"]["callqa"]
    record = logging.LogRecord("app.requests", logging.INFO, __file__, 1, "request", None, None)
    record.route, record.status = "/v1/calls", 201

    line = re.sub(r"\x1b\[[0-9;]*m", "", make_formatter(formatter["human"]).format(record))

    assert formatter["human"] is True
    assert "request" in line and "route=/v1/calls" in line and "status=201" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_off_a_terminal_the_log_is_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert logging_config("info")["formatters"]["callqa"]["human"] is False


def test_an_unexpected_error_answers_500_with_the_request_id_its_log_lines_carry(
    database_url: str, log_lines: io.StringIO
) -> None:
    app = create_app(Settings(database_url=database_url))

    async def broken() -> None:
        transcript = PHRASE  # a local of the failing frame
        raise RuntimeError(f"a bug ({len(transcript)})")

    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/broken", headers={"X-Request-ID": "support-ticket-9"})

    assert response.status_code == 500
    assert response.headers["x-request-id"] == "support-ticket-9"
    lines = records(log_lines)
    error = next(r for r in lines if r["event"].startswith("unexpected error"))
    assert error["request_id"] == "support-ticket-9" and error["level"] == "error"
    assert error["exception"][0]["exc_value"] == f"a bug ({len(PHRASE)})"
    assert PHRASE not in log_lines.getvalue()
    request = next(r for r in lines if r["event"] == "request")
    assert (request["request_id"], request["status"]) == ("support-ticket-9", 500)


def test_a_database_error_does_not_carry_the_statements_parameters(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(DBAPIError) as raised:
        conn.execute(text("SELECT length(:transcript) / 0"), {"transcript": PHRASE})

    assert "division by zero" in str(raised.value)
    assert PHRASE not in str(raised.value)
