"""The wheel works as `pip install callqa` leaves it: built from this checkout, installed into a
fresh virtual environment with the locked dependencies, and run from a folder far from the
repository, so the checklists, language data and migrations can only come from the wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import transcript_text
from tests.e2e.conftest import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]


def _uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    assert found, "uv must be on PATH to build and install the wheel"
    return found


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without this checkout's venv or database: only the wheel's callqa."""
    drop = {"VIRTUAL_ENV", "PYTHONPATH", "CALLQA_DATABASE_URL", "UV_PROJECT_ENVIRONMENT"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def _run(*argv: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `callqa` script of a fresh venv holding the wheel and the locked dependencies."""
    tmp = tmp_path_factory.mktemp("wheel")
    uv, python, requirements = _uv(), tmp / "venv" / "bin" / "python", tmp / "requirements.txt"

    def ok(*argv: str | Path) -> None:
        done = _run(uv, *argv, cwd=ROOT, env=_clean_env())
        assert done.returncode == 0, done.stderr

    ok("build", "--wheel", "--out-dir", tmp / "dist", ROOT)
    (wheel,) = (tmp / "dist").glob("callqa-*.whl")
    ok("export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "-o", requirements)
    ok("venv", "--python", sys.executable, tmp / "venv")
    ok("pip", "install", "--python", python, "--compile-bytecode", "-r", requirements, wheel)
    return tmp / "venv" / "bin" / "callqa"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working folder outside the repository."""
    assert ROOT not in tmp_path.parents
    return tmp_path


def test_the_installed_wheel_prints_its_version(installed: Path, elsewhere: Path) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

    done = _run(installed, "--version", cwd=elsewhere, env=_clean_env())

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"callqa {version}\n"


def test_the_installed_wheel_lists_the_built_in_checklists(
    installed: Path, elsewhere: Path
) -> None:
    done = _run(installed, "checklists", "list", cwd=elsewhere, env=_clean_env())

    assert done.returncode == 0, done.stderr
    for key in ("realty_phone", "spin_classic", "complaint"):
        assert key in done.stdout


def test_the_installed_wheel_scores_a_transcript_file(installed: Path, elsewhere: Path) -> None:
    call = elsewhere / "call.txt"
    call.write_text(transcript_text(), encoding="utf-8")

    done = _run(installed, "score", call, "--json", cwd=elsewhere, env=_clean_env())

    assert done.returncode == 0, done.stderr
    scored = json.loads(done.stdout)
    assert scored["checklist"]["key"] == "realty_phone"
    assert 0 < scored["total"] < 100


@pytest.fixture
def served_from_wheel(
    installed: Path, elsewhere: Path, make_scratch_database: Any
) -> Iterator[httpx.Client]:
    """`callqa serve` of the wheel on an empty database, which only the wheel's migrations fill."""
    port = free_port()
    log_path = elsewhere / "serve.log"
    with make_scratch_database("wheel", migrated=False) as url, log_path.open("w") as log:
        env = _clean_env(CALLQA_DATABASE_URL=url, CALLQA_DATA_DIR=str(elsewhere / "data"))
        process = subprocess.Popen(
            [str(installed), "serve", "--port", str(port)],
            cwd=elsewhere,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(base_url, process, log_path)
            with httpx.Client(base_url=base_url, timeout=10) as client:
                yield client
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_the_installed_wheel_serves_on_a_database_it_migrates_itself(
    served_from_wheel: httpx.Client,
) -> None:
    ready = served_from_wheel.get("/readyz")

    assert ready.status_code == 200, ready.text


def test_the_installed_wheel_serves_the_call_page_and_the_docs_assets(
    served_from_wheel: httpx.Client, make_call: Any
) -> None:
    stored = served_from_wheel.post("/v1/calls", json=make_call())
    assert stored.status_code == 201, stored.text

    page = served_from_wheel.get(f"/calls/{stored.json()['id']}")
    script = served_from_wheel.get("/static-offline-docs/swagger-ui-bundle.js")

    assert page.status_code == 200 and "<h2>Расшифровка</h2>" in page.text
    assert script.status_code == 200 and len(script.content) > 100_000
