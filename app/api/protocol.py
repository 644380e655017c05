"""The HTTP/1.1 connection uvicorn runs for callqa: the limits a slow or odd client meets
before a request reaches the app.

uvicorn's httptools protocol buffers headers of any size and count and waits forever for a
request that stops half-way, so each of 300 half-sent requests would hold a connection, its
buffers and a task for good. Here a request must arrive whole within CALLQA_BODY_TIMEOUT_S of
its first byte (else 408), and its headers stay within 16 KB and 100 fields (else 431); both
answers are problem+json and close the connection. Other connections are not slowed: every
check is a counter or a timer on the event loop. uvicorn's own options do not cover this:
`h11_max_incomplete_event_size` exists for the slower h11 parser only and answers 400,
`timeout_keep_alive` runs only between requests, and `limit_concurrency` would let half-sent
requests take every slot and turn new clients away.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.api.errors import PROBLEM_JSON, problem_body
from app.i18n import _
from app.services.errors import CallqaError, HeadersTooLarge, RequestTimeout
from app.settings import get_settings

MAX_HEADER_BYTES = 16 * 1024
MAX_HEADER_FIELDS = 100
# After a refusal the client may still be sending; closing with its bytes unread would reset
# the connection and could destroy our answer before it is read, so read and drop them a while.
_LINGER_S = 2.0


class _Refused(Exception):
    """Raised in a parser callback to stop parsing; the refusal itself is kept on the protocol."""


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline per request and limits on headers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timeout_s = get_settings().body_timeout_s
        self._deadline: asyncio.TimerHandle | None = None
        self._reading_headers = False
        self._header_bytes = 0
        self._refusal: CallqaError | None = None
        self._answered = False

    # The parser calls these while uvicorn's data_received feeds it.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_headers = True
        self._header_bytes = 0
        self._cancel_deadline()
        self._deadline = self.loop.call_later(self._timeout_s, self._too_slow)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        if len(self.headers) > MAX_HEADER_FIELDS:
            self._stop(
                HeadersTooLarge(_("more than %(limit)s header fields", limit=MAX_HEADER_FIELDS))
            )

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        size = len(self.url) + sum(len(name) + len(value) for name, value in self.headers)
        if size > MAX_HEADER_BYTES:
            self._stop(self._headers_too_large())
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._cancel_deadline()

    # The transport calls these.
    def data_received(self, data: bytes) -> None:
        if self._answered:
            return  # lingering after a refusal: drop what the client still sends
        super().data_received(data)
        if self._reading_headers and not self.transport.is_closing():
            # Still inside the headers after all of `data`: every byte of it was header.
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES:
                self._answer(self._headers_too_large())

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a parser error; a callback of ours that stopped it says why."""
        if self._refusal is None:
            super().send_400_response(msg)
        else:
            self._answer(self._refusal)

    # Ours.
    def _headers_too_large(self) -> HeadersTooLarge:
        return HeadersTooLarge(
            _("the request line and headers exceed %(limit)s bytes", limit=MAX_HEADER_BYTES)
        )

    def _stop(self, refusal: CallqaError) -> None:
        self._refusal = refusal
        raise _Refused(refusal.detail)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        cycle = None if self._reading_headers else self.cycle
        if cycle is not None and cycle.response_started:
            # The app answered before the body was in (a 413): close once the answer is out.
            if cycle.response_complete:
                self.transport.close()
            cycle.keep_alive = False
            return
        if cycle is not None:
            cycle.disconnected = True  # the app reading this body gets http.disconnect
            cycle.message_event.set()
        seconds = f"{self._timeout_s:g}"
        self._answer(
            RequestTimeout(
                _("the request was not received whole within %(seconds)s s", seconds=seconds)
            )
        )

    def _answer(self, error: CallqaError) -> None:
        """Send `error` as problem+json and close the connection."""
        self._cancel_deadline()
        if self._answered or self.transport.is_closing():
            return
        self._answered = True
        instance = self.scope.get("path") or self.url.partition(b"?")[0].decode("latin-1")
        body = json.dumps(problem_body(error, instance)).encode()
        phrase = HTTPStatus(error.status).phrase
        head = [
            f"HTTP/1.1 {error.status} {phrase}",
            f"content-type: {PROBLEM_JSON}",
            f"content-length: {len(body)}",
            "connection: close",
        ]
        default = b"".join(b"%s: %s\r\n" % pair for pair in self.server_state.default_headers)
        self.transport.write("\r\n".join(head).encode() + b"\r\n" + default + b"\r\n" + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_LINGER_S, self.transport.close)
