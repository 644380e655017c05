"""`callqa serve` with no database configured starts its own PostgreSQL and takes calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import callqa_serve, embedded_env


@pytest.fixture
def served(data_dir: Path, tmp_path: Path, unused_port: int) -> Iterator[tuple[str, Path]]:
    """`callqa serve` as a process on the embedded default; yields (base URL, its log)."""
    log_path = tmp_path / "serve.log"
    with callqa_serve(embedded_env(data_dir), unused_port, log_path):
        yield f"http://127.0.0.1:{unused_port}", log_path


def test_serve_on_the_embedded_default_scores_and_stores_a_posted_call(
    served: tuple[str, Path], make_call: Any
) -> None:
    base_url, log_path = served
    body = make_call()

    with httpx.Client(base_url=base_url, timeout=30) as client:
        created = client.post("/v1/calls", json=body)
        assert created.status_code == 201, created.text
        fetched = client.get(created.headers["location"])
        ready = client.get("/readyz")

    assert fetched.json()["transcript"] == body["transcript"]
    assert fetched.json()["score"] == created.json()["score"]
    assert ready.status_code == 200
    log = log_path.read_text()
    assert "embedded PostgreSQL: data lives in" in log
    assert "migrations applied" in log
