"""The README's examples run as written, against a real `callqa serve` on a scratch database.

Marking: a fenced block is runnable when the line before its opening fence is exactly
`<!-- runnable -->` (an HTML comment, invisible on GitHub). ```bash blocks run in bash with
`set -euo pipefail`; ```python blocks run in this interpreter. The two set-up commands at the
very top (install and serve; install and test) are not marked: this test is itself what the
second one runs, and it starts the server of the first itself.

What the test changes, and why: `localhost:8000` becomes the port of its own server (parallel
runs must not collide); `curl` fails on an HTTP error (`--fail-with-body`), which a reader sees
anyway and a script would not notice; the blocks run in a scratch folder holding links to the
repository's `examples/` and `checklists/`, with `UV_PROJECT` pointing `uv run` at the checkout,
so the files they write (anna.html, scores.jsonl) do not land in the repository; the CLI
commands get the server's database in CALLQA_DATABASE_URL (a reader's both use the embedded one).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_no_wedge import Served

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARK = "<!-- runnable -->"
SETUP = (
    "python3 -m pip install -q uv && uv run --frozen callqa serve",
    "(command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq "
    "chromium)) && python3 -m pip install -q uv && uv run --frozen pytest -q",
)
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def runnable_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of every block whose opening fence follows the marker line."""
    return [
        (m.group(1), m.group(2))
        for m in _FENCE.finditer(text)
        if text[: m.start()].rstrip("\n").endswith(MARK)
    ]


BLOCKS = runnable_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_opens_with_the_two_set_up_commands() -> None:
    first = _FENCE.search(README.read_text(encoding="utf-8"))
    assert first is not None and first.group(1) == "bash"
    commands = [line.split("   #", 1)[0].strip() for line in first.group(2).splitlines()]
    assert commands == list(SETUP)


def test_the_readme_marks_its_examples_runnable() -> None:
    assert [lang for lang, _ in BLOCKS] == ["bash", "bash", "bash", "python"]


@pytest.fixture(scope="module")
def server(
    make_scratch_database: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """A `callqa serve --port N` process on a database of its own."""
    logs = tmp_path_factory.mktemp("readme-serve") / "serve.log"
    with make_scratch_database("readme") as url:
        served = Served(url, logs, workers=1)
        try:
            yield served
        finally:
            served.stop()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the blocks run: the repository's example files, and room for their output."""
    where = tmp_path_factory.mktemp("readme")
    for name in ("examples", "checklists"):
        (where / name).symlink_to(ROOT / name)
    return where


@pytest.mark.parametrize(("lang", "code"), BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_a_runnable_readme_block_runs(lang: str, code: str, server: Served, folder: Path) -> None:
    code = code.replace("localhost:8000", f"localhost:{server.port}")
    # The commands reach the server's database, as a reader's embedded one would.
    env = dict(os.environ, UV_PROJECT=str(ROOT), CALLQA_DATABASE_URL=server.database_url)
    if lang == "bash":
        prelude = 'set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n'
        command = ["bash", "-c", prelude + code]
    else:
        command = [sys.executable, "-c", code]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, f"{code}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
