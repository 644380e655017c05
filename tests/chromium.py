"""Debian's headless Chromium, as the browser tests drive it (--dump-dom, --screenshot).

Needs /usr/bin/chromium (`apt-get update && apt-get install -y chromium`); a test fails, rather
than skips, when it is missing.
"""

from __future__ import annotations

import subprocess
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
