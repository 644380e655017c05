"""Security headers on every response, and a strict Content-Security-Policy on HTML pages.

Pages are server-rendered with inline styles and inline SVG and load nothing else, so their
policy allows inline styles and data: images and nothing more (no script at all; forms post
only to callqa itself: the call page's correction forms). /docs and /redoc run the bundled
Swagger UI and ReDoc scripts and keep only the frame and type headers.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_DOCS = ("/docs", "/redoc")


class SecurityHeaders:
    """Adds the headers as the response starts (pure ASGI: errors answered early get them too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = not scope["path"].startswith(_DOCS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS.items():
                    headers.setdefault(name, value)
                if page and headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = PAGE_CSP
            await send(message)

        await self.app(scope, receive, with_headers)
