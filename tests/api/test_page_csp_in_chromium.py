"""HTML pages are served with a strict Content-Security-Policy that their inline styles and SVG
live with: Chromium shows the call page and the report under that policy with no console error
(and the same pages under a policy without inline styles do log refusals, so the check sees)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.chromium import chromium, console


def _with_policy(html: str, policy: str) -> str:
    """The page with `policy` in a meta tag (frame-ancestors is header-only, so left out)."""
    kept = "; ".join(p for p in policy.split("; ") if not p.startswith("frame-ancestors"))
    meta = f'<meta http-equiv="Content-Security-Policy" content="{kept}">'
    return html.replace("<head>", f"<head>{meta}", 1)


def _console(tmp_path: Path, name: str, html: str) -> list[str]:
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    shot = chromium(
        tmp_path / f"profile-{name}",
        "--enable-logging=stderr",
        "--v=0",
        f"--screenshot={tmp_path / f'{name}.png'}",
        "--window-size=1280,2000",
        page.as_uri(),
    )
    return console(shot.stderr)


@pytest.mark.parametrize("page", ["call", "report"])
def test_pages_render_under_their_csp_without_console_errors(
    client: TestClient, make_call: Any, tmp_path: Path, page: str
) -> None:
    stored = client.post("/v1/calls", json=make_call(manager_id="m-csp"))
    path = {
        "call": f"/calls/{stored.json()['id']}",
        "report": "/v1/managers/m-csp/report?format=html&from=2026-03-01&to=2026-03-10",
    }[page]
    answer = client.get(path)
    assert answer.status_code == 200
    policy = answer.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy

    assert _console(tmp_path, "served", _with_policy(answer.text, policy)) == []
    stricter = policy.replace("style-src 'unsafe-inline'", "style-src 'none'")
    refused = _console(tmp_path, "stricter", _with_policy(answer.text, stricter))
    assert any("Content Security Policy" in line for line in refused)
