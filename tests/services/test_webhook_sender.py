"""The sender of webhook deliveries against receivers that end kept-alive connections: a
delivery is not failed because the receiver closed an idle connection, and one the receiver
never answers is failed with the reason, not sent twice."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from app.services import webhooks
from app.settings import Settings

ANSWER = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"


def _read_request(conn: socket.socket) -> bytes:
    """One request (headers and Content-Length body), or b"" once the client closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


@contextmanager
def raw_receiver(
    serve: Callable[[socket.socket, list[bytes]], None],
) -> Iterator[tuple[str, list[bytes]]]:
    """A loopback receiver running `serve` on each connection; its URL and the requests."""
    got: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                serve(conn, got)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook", got
    finally:
        listener.close()


def _send(url: str, between: Callable[[], object] = lambda: None) -> tuple[int | None, str | None]:
    """Two deliveries on one sender: the second's outcome (the first is answered 204)."""
    with webhooks.http_client(Settings(webhook_timeout_s=2)) as sender:
        first = sender.post(url, {"X-Callqa-Delivery": "a"}, b'{"n":1}')
        between()
        second = sender.post(url, {"X-Callqa-Delivery": "b"}, b'{"n":2}')
    assert first == (204, None)
    return second


def test_a_receiver_that_closes_each_kept_alive_connection_still_gets_every_delivery() -> None:
    closed = threading.Event()

    def answer_once_then_close(conn: socket.socket, got: list[bytes]) -> None:
        if request := _read_request(conn):  # answers as HTTP/1.1 (kept alive), then hangs up
            got.append(request)
            conn.sendall(ANSWER)
        conn.close()
        closed.set()

    with raw_receiver(answer_once_then_close) as (url, got):
        assert _send(url, between=lambda: closed.wait(10)) == (204, None)
    assert [r.split(b"\r\n\r\n")[1] for r in got] == [b'{"n":1}', b'{"n":2}']
    assert b"X-Callqa-Delivery: b" in got[1]


def test_a_receiver_that_hangs_up_on_a_fresh_connection_fails_the_delivery() -> None:
    def keep_then_hang_up(conn: socket.socket, got: list[bytes]) -> None:
        while request := _read_request(conn):
            got.append(request)
            if len(got) > 1:  # the second delivery: no answer
                return
            conn.sendall(ANSWER)

    with raw_receiver(keep_then_hang_up) as (url, got):
        status, error = _send(url)
    assert status is None
    assert error is not None and error.startswith("RemoteDisconnected")
    assert len(got) == 2  # the kept connection was alive: sent once, not again


def test_credentials_in_the_url_are_sent_as_basic_authentication_to_its_path() -> None:
    def answer(conn: socket.socket, got: list[bytes]) -> None:
        while request := _read_request(conn):
            got.append(request)
            conn.sendall(ANSWER)

    with raw_receiver(answer) as (url, got):
        with_credentials = url.replace("http://", "http://hooks:p%40ss@") + "?from=callqa"
        with webhooks.http_client(Settings(webhook_timeout_s=2)) as sender:
            assert sender.post(with_credentials, {}, b"{}") == (204, None)
            assert sender.post(url, {}, b"{}") == (204, None)
    assert got[0].startswith(b"POST /hook?from=callqa HTTP/1.1\r\n")
    credentials = base64.b64encode(b"hooks:p@ss")
    assert b"\r\nauthorization: basic " + credentials.lower() + b"\r\n" in got[0].lower()
    assert b"authorization" not in got[1].lower()
