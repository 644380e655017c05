"""Specs: `callqa checklists push FILE` stores a version as the API does, on the test's session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import app, scope
from app.services import checklists
from tests.api.test_checklists_api import CLINIC

runner = CliRunner()


class _SessionDatabase:
    """A Database look-alike whose unit of work is a savepoint of the test's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @contextmanager
    def session_scope(self) -> Iterator[Session]:
        with self.session.begin_nested():
            yield self.session


@pytest.fixture(autouse=True)
def cli_on_test_session(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    @contextmanager
    def database(*, upgrade: bool = False) -> Iterator[Any]:
        yield _SessionDatabase(session)

    monkeypatch.setattr(scope, "cli_database", database)


def test_push_prints_key_and_version_and_stores_it(tmp_path: Path, session: Session) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(CLINIC, encoding="utf-8")

    first = runner.invoke(app, ["checklists", "push", str(path)])
    again = runner.invoke(app, ["checklists", "push", str(path)])

    assert first.exit_code == 0, first.output
    key, version = first.stdout.split()
    assert key == "clinic_intake"
    assert checklists.detail(session, "clinic_intake")["version"] == version
    assert again.stdout.split() == [key, version]
    assert "stored before" in again.stderr


def test_push_of_a_broken_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(CLINIC.replace("category: history", "category: allergies"), encoding="utf-8")

    result = runner.invoke(app, ["checklists", "push", str(path)])

    assert result.exit_code == 2
    assert "line 23 (/items/1/category): unknown category 'allergies'" in result.stderr
