"""A batch's answer closes its connection; a single call's keeps it open.

With several worker processes, a kept-alive connection brings all of a platform's batches to
the worker that accepted it (two clients' batches ran 99% in one of two workers); a new
connection per batch is accepted by a worker free to take it. Single calls are short, and a
platform sending many keeps its connection.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit


def _connection(base_url: str) -> http.client.HTTPConnection:
    url = urlsplit(base_url)
    return http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)


def _post(conn: http.client.HTTPConnection, path: str, body: dict[str, Any]) -> Any:
    headers = {"Content-Type": "application/json"}
    conn.request("POST", path, body=json.dumps(body, ensure_ascii=False).encode(), headers=headers)
    answer = conn.getresponse()
    answer.read()
    return answer


def test_a_batch_answer_closes_its_connection_so_the_next_batch_is_accepted_afresh(
    live_server: str, make_call: Any
) -> None:
    conn = _connection(live_server)
    answer = _post(conn, "/v1/calls/batch", {"calls": [make_call(), make_call()]})

    assert answer.status == 207
    assert answer.getheader("Connection") == "close"
    assert conn.sock is None  # http.client closed it, as the answer said

    again = _post(conn, "/v1/calls/batch", {"calls": [make_call()]})  # on a new connection
    assert again.status == 207
    conn.close()


def test_a_single_call_answer_keeps_its_connection_open(live_server: str, make_call: Any) -> None:
    conn = _connection(live_server)
    first = _post(conn, "/v1/calls", make_call())
    sock = conn.sock

    second = _post(conn, "/v1/calls", make_call())

    assert (first.status, second.status) == (201, 201)
    assert first.getheader("Connection") != "close"
    assert sock is not None and conn.sock is sock  # the same connection carried both
    conn.close()
