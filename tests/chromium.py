"""Debian's headless Chromium, as the browser tests drive it (--dump-dom, --screenshot).

Needs /usr/bin/chromium (`apt-get update && apt-get install -y chromium`); a test fails, rather
than skips, when it is missing.
"""

from __future__ import annotations

import re
import subprocess
from html import unescape
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


def chromium(profile: Path, *args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a fresh profile; fails the test on a non-zero exit."""
    assert CHROMIUM.exists(), "install Chromium: apt-get update && apt-get install -y chromium"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def console(stderr: str) -> list[str]:
    """The page's console messages in Chromium's log (--enable-logging=stderr)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


_VISIBLE_TEXT = """<script>
window.addEventListener('load', () => {
  const pre = document.createElement('pre');
  pre.id = 'visible-text';
  pre.textContent = document.body.innerText;
  document.body.appendChild(pre);
});
</script>"""


def visible_text(profile: Path, page: Path) -> str:
    """The text a person reads on a saved page (the body's innerText, as Chromium lays it out)."""
    probe = page.with_name(page.stem + "-text.html")
    html = page.read_text(encoding="utf-8")
    probe.write_text(html.replace("</body>", _VISIBLE_TEXT + "</body>"), encoding="utf-8")
    dom = chromium(profile, "--dump-dom", probe.as_uri()).stdout
    found = re.search(r'<pre id="visible-text">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    return unescape(found.group(1))


def strings_of(value: object) -> list[str]:
    """Every string inside a JSON value (the data a page shows: names, phrases, titles)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_of(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_of(v)]
    return []


def without(text: str, data: list[str]) -> str:
    """`text` with each data string removed, longest first (so a phrase goes before its words)."""
    for item in sorted({d for d in data if d.strip()}, key=len, reverse=True):
        text = text.replace(item, " ")
    return text
