"""Bad input ends in a 4xx problem+json that says what is wrong and where, never a 500."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from app.api.middleware import RequestGuard

# These specs quote callqa's English words (Russian is the default).
pytestmark = pytest.mark.usefixtures("english")

PROBLEM = "application/problem+json"
JSON = "application/json"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    return body


def _pointers(body: dict[str, Any]) -> list[str]:
    return [e["pointer"] if "pointer" in e else e["parameter"] for e in body.get("errors", [])]


def test_an_empty_body_is_422(client: TestClient) -> None:
    response = client.post("/v1/calls", content=b"", headers={"content-type": "application/json"})
    assert _pointers(_problem(response, 422)) == [""]


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/calls", content=b'{"external_id": ', headers={"content-type": "application/json"}
    )
    assert "not valid JSON" in _problem(response, 400)["detail"]


def test_a_body_above_the_limit_is_413_from_its_content_length(client: TestClient) -> None:
    huge = b'{"transcript": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    response = client.post("/v1/calls", content=huge, headers={"content-type": "application/json"})
    assert "10 MB" in _problem(response, 413)["detail"]


def test_a_streamed_body_is_cut_off_at_the_limit_without_a_content_length() -> None:
    """The guard counts chunks as they arrive and stops reading once past the limit."""
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"a" * 1024 * 1024, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    async def never_called(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app must not see an oversized body")

    guard = RequestGuard(never_called, routes=[], max_body_bytes=10 * 1024 * 1024)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/calls",
        "headers": [(b"content-type", b"application/json")],
    }
    asyncio.run(guard(scope, receive, send))

    assert sent[0]["status"] == 413
    assert pulled == 11


def test_a_wrong_content_type_is_415(client: TestClient, make_call: Any) -> None:
    response = client.post(
        "/v1/calls", content=json.dumps(make_call()), headers={"content-type": "text/plain"}
    )
    _problem(response, 415)


def test_a_missing_content_type_is_415(client: TestClient, make_call: Any) -> None:
    response = client.post("/v1/calls", content=json.dumps(make_call()).encode())
    _problem(response, 415)


def test_a_json_suffix_media_type_is_accepted(client: TestClient, make_call: Any) -> None:
    response = client.post(
        "/v1/calls",
        content=json.dumps(make_call()),
        headers={"content-type": "application/vnd.callqa+json; charset=utf-8"},
    )
    assert response.status_code == 201


def test_a_binary_transcript_is_400_with_the_readers_reason(
    client: TestClient, make_call: Any
) -> None:
    response = client.post("/v1/calls", json=make_call(transcript="\x00\x01\x02PK\x03\x04"))
    body = _problem(response, 400)
    assert _pointers(body) == ["/transcript"]
    assert "binary" in body["errors"][0]["reason"]


def test_a_transcript_no_reader_understands_is_400(client: TestClient, make_call: Any) -> None:
    response = client.post("/v1/calls", json=make_call(transcript={"foo": [1, 2, 3]}))
    assert _pointers(_problem(response, 400)) == ["/transcript"]


@pytest.mark.parametrize(
    "started_at", ["2026-03-02T10:00:00", "next tuesday", "0001-01-01T00:00:00+01:00"]
)
def test_an_invalid_started_at_is_422_at_its_pointer(
    client: TestClient, make_call: Any, started_at: str
) -> None:
    response = client.post("/v1/calls", json=make_call(started_at=started_at))
    assert _pointers(_problem(response, 422)) == ["/started_at"]


def test_a_missing_external_id_is_422_at_its_pointer(client: TestClient, make_call: Any) -> None:
    body = make_call()
    del body["external_id"]
    response = client.post("/v1/calls", json=body)
    assert _pointers(_problem(response, 422)) == ["/external_id"]


def test_every_invalid_field_is_named(client: TestClient, make_call: Any) -> None:
    body = make_call(duration_s=-1, manager_id="", unknown_field=1)
    response = client.post("/v1/calls", json=body)
    assert sorted(_pointers(_problem(response, 422))) == [
        "/duration_s",
        "/manager_id",
        "/unknown_field",
    ]


def test_an_unknown_checklist_is_404(client: TestClient, make_call: Any) -> None:
    response = client.post("/v1/calls", json=make_call(checklist="no_such_list"))
    assert _pointers(_problem(response, 404)) == ["/checklist"]


def test_an_unknown_manager_speaker_is_422(client: TestClient, make_call: Any) -> None:
    response = client.post("/v1/calls", json=make_call(manager_speaker="Робот"))
    assert _pointers(_problem(response, 422)) == ["/manager_speaker"]


def test_metadata_above_16_kb_is_422(client: TestClient, make_call: Any) -> None:
    response = client.post("/v1/calls", json=make_call(metadata={"blob": "x" * 17000}))
    assert _pointers(_problem(response, 422)) == ["/metadata"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"manager_id": "m\x00"},
        {"metadata": {"note": "a\x00b"}},
        {"external_id": "\ud800"},
    ],
)
def test_text_postgresql_cannot_store_is_422_not_a_database_error(
    client: TestClient, make_call: Any, overrides: dict[str, Any]
) -> None:
    content = json.dumps(make_call(**overrides))
    response = client.post(
        "/v1/calls", content=content, headers={"content-type": "application/json"}
    )
    assert _pointers(_problem(response, 422)) == [f"/{next(iter(overrides))}"]


def test_an_integer_beyond_64_bits_in_metadata_is_422(client: TestClient, make_call: Any) -> None:
    response = client.post("/v1/calls", json=make_call(metadata={"n": 2**70}))
    assert _pointers(_problem(response, 422)) == ["/metadata"]


def test_nan_in_metadata_is_422(client: TestClient, make_call: Any) -> None:
    content = json.dumps(make_call()).replace('"metadata": {', '"metadata": {"x": NaN, ')
    response = client.post(
        "/v1/calls", content=content, headers={"content-type": "application/json"}
    )
    assert _pointers(_problem(response, 422)) == ["/metadata"]


def test_query_parameters_are_validated_by_name(client: TestClient) -> None:
    response = client.get("/v1/calls", params={"limit": 501, "cursor": "garbage"})
    assert _pointers(_problem(response, 422)) == ["limit"]
    response = client.get("/v1/calls", params={"cursor": "garbage"})
    assert _pointers(_problem(response, 422)) == ["cursor"]


def test_an_unknown_call_id_is_404_and_an_absurd_one_422(client: TestClient) -> None:
    _problem(client.get("/v1/calls/999999999"), 404)
    _problem(client.get(f"/v1/calls/{2**70}"), 422)


def test_unknown_routes_and_methods_are_problems_too(client: TestClient) -> None:
    _problem(client.get("/v2/nothing"), 404)
    response = client.patch("/v1/calls")
    _problem(response, 405)
    assert response.headers["allow"] == "DELETE, GET, OPTIONS, POST"


def test_a_put_with_a_body_is_405_naming_the_methods_not_415(client: TestClient) -> None:
    response = client.put("/v1/calls/1", content=b"hello", headers={"content-type": "text/plain"})
    body = _problem(response, 405)
    assert response.headers["allow"] == "DELETE, GET, OPTIONS"
    assert "DELETE, GET, OPTIONS" in body["detail"]


def test_options_lists_every_method_of_the_path(client: TestClient) -> None:
    response = client.options("/v1/calls")
    assert response.status_code == 204
    assert response.headers["allow"] == "DELETE, GET, OPTIONS, POST"


@pytest.mark.parametrize("started_at", [1700000000, 1700000000.5, "1700000000", "9999999999"])
def test_a_started_at_that_is_a_bare_number_is_422_not_unix_time(
    client: TestClient, make_call: Any, started_at: object
) -> None:
    response = client.post("/v1/calls", json=make_call(started_at=started_at))
    body = _problem(response, 422)
    assert _pointers(body) == ["/started_at"]
    assert "not a number" in body["errors"][0]["reason"]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("manager_id", "sales/anna", "'/'"),
        ("team_id", "north\\south", "'/'"),
        ("source", "pbx/1", "'/'"),
        ("manager_id", "..", "'..'"),
        ("manager_id", ".", "'..'"),
        ("team_id", "north\tsouth", "control characters"),
        ("team_id", "north\nsouth", "control characters"),
        ("source", "pbx\x7f", "control characters"),
        ("external_id", "pbx-1\r\n", "control characters"),
        ("manager_id", " anna", "space"),
        ("external_id", "pbx-1 ", "space"),
        ("manager_id", "anna ", "space"),
    ],
)
def test_an_id_that_cannot_be_used_in_a_later_url_is_422_naming_the_field(
    client: TestClient, make_call: Any, field: str, value: str, reason: str
) -> None:
    response = client.post("/v1/calls", json=make_call(**{field: value}))
    body = _problem(response, 422)
    assert _pointers(body) == [f"/{field}"]
    assert reason in body["errors"][0]["reason"]


def test_cyrillic_spaced_and_dotted_ids_are_accepted_and_usable_in_urls(
    client: TestClient, make_call: Any
) -> None:
    call = make_call(manager_id="Анна Петрова", team_id="отдел.продаж", source="АТС-1")
    assert client.post("/v1/calls", json=call).status_code == 201
    # No URL path carries a call's external_id, and `callqa import` makes it a relative path.
    assert client.post("/v1/calls", json=make_call(external_id="week1/call.txt")).status_code == 201
    trends = client.get("/v1/managers/Анна Петрова/trends", params={"bucket": "week"})
    assert trends.status_code == 200, trends.text


def test_a_body_that_is_not_utf8_is_400_with_the_offending_byte(client: TestClient) -> None:
    content = b'{"external_id": "\xff\xfe"}'
    response = client.post("/v1/calls", content=content, headers={"content-type": JSON})
    body = _problem(response, 400)
    reason = "byte 0xff at offset 17 is not valid UTF-8"
    assert body["errors"] == [{"pointer": "", "reason": reason}]


def test_json_nested_beyond_the_parser_is_400_with_a_reason(client: TestClient) -> None:
    content = b'{"metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = client.post("/v1/calls", content=content, headers={"content-type": JSON})
    body = _problem(response, 400)
    assert _pointers(body) == [""]
    assert "nested too deeply" in body["errors"][0]["reason"]


def test_invalid_json_is_400_with_the_reason_and_position(client: TestClient) -> None:
    response = client.post("/v1/calls", content=b'{"a": tru}', headers={"content-type": JSON})
    body = _problem(response, 400)
    assert body["errors"] == [{"pointer": "", "reason": "Expecting value at character 6"}]
