"""/docs and /redoc work with no internet: their scripts and styles come from callqa (the pinned
fastapi-offline package), and Chromium, with every other host unresolvable, renders the
operations from /openapi.json."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

from tests.chromium import chromium

# Every host but the server's fails to resolve: the browser is offline but for callqa.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
        return body


def _rendered(live_server: str, page: str, profile: Path) -> str:
    return chromium(
        profile, OFFLINE, "--virtual-time-budget=15000", "--dump-dom", f"{live_server}{page}"
    ).stdout


def test_the_docs_pages_load_nothing_from_other_hosts(live_server: str) -> None:
    for page in ("/docs", "/redoc"):
        html = _get(live_server + page).decode()
        assets = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
        assert assets, html
        assert all(a.startswith("/static-offline-docs/") for a in assets), assets
        assert all(len(_get(live_server + asset)) > 1000 for asset in assets)


def test_swagger_ui_lists_the_operations_offline(live_server: str, tmp_path: Path) -> None:
    dom = _rendered(live_server, "/docs", tmp_path / "profile")

    paths = set(re.findall(r'data-path="([^"]+)"', dom))
    assert {"/v1/calls", "/v1/calls/{call_id}", "/calls/{call_id}", "/healthz"} <= paths, dom[:3000]
    assert "HTML pages for people" in dom


def test_redoc_lists_the_operations_offline(live_server: str, tmp_path: Path) -> None:
    dom = _rendered(live_server, "/redoc", tmp_path / "profile")

    assert "Score a call and store it" in dom, dom[:3000]
    assert "HTML pages for people" in dom
