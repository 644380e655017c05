"""The language of a request's words: its Accept-Language when callqa speaks it, else
CALLQA_LOCALE; set for everything the request runs (worker threads copy the context) and
echoed as Content-Language."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n


class RequestLanguage:
    """Pure ASGI middleware (outermost, so error pages are worded in the same language)."""

    def __init__(self, app: ASGIApp, *, default: str) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"accept-language"), b"")
        locale = i18n.from_accept_language(header.decode("latin-1")) or self.default

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"content-language", locale.encode())]
                message = {**message, "headers": headers}
            await send(message)

        with i18n.using(locale):
            await self.app(scope, receive, send_with_language)
