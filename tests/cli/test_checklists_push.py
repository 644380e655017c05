"""Specs: `callqa checklists push FILE` stores a version as the API does, on the test's session."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import app
from app.services import access, checklists
from app.tenancy import Tenant
from tests.api.test_checklists_api import CLINIC

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("cli_on_test_session")


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
    assert "line 23 (/items/1/category): неизвестная категория «allergies»" in result.stderr


def test_push_with_org_stores_the_version_for_that_organisation_only(
    tmp_path: Path, session: Session
) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(CLINIC, encoding="utf-8")

    result = runner.invoke(app, ["checklists", "push", "--org", "acme", str(path)])

    assert result.exit_code == 0, result.output
    key, version = result.stdout.split()
    acme, globex = Tenant("acme"), Tenant("globex")
    assert checklists.detail(session, key, tenant=acme)["version"] == version
    assert [c["key"] for c in checklists.latest(session, tenant=globex)].count(key) == 0
    assert [c["key"] for c in checklists.latest(session)].count(key) == 0


def test_push_with_an_org_that_does_not_exist_creates_it_as_keys_create_does(
    tmp_path: Path, session: Session
) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(CLINIC, encoding="utf-8")
    assert "initech" not in {o["id"] for o in access.list_organisations(session)}

    first = runner.invoke(app, ["checklists", "push", "--org", "initech", str(path)])
    again = runner.invoke(app, ["checklists", "push", "--org", "initech", str(path)])

    assert first.exit_code == 0, first.output
    assert "организация 'initech' создана" in first.stderr
    assert again.exit_code == 0, again.output
    assert "initech" not in again.stderr
    assert "initech" in {o["id"] for o in access.list_organisations(session)}
    assert checklists.detail(session, "clinic_intake", tenant=Tenant("initech"))


def test_push_with_a_malformed_org_exits_2_and_stores_nothing(
    tmp_path: Path, session: Session
) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(CLINIC, encoding="utf-8")

    result = runner.invoke(app, ["checklists", "push", "--org", "no such org", str(path)])

    assert result.exit_code == 2
    assert "'no such org'" in result.stderr
    assert "no such org" not in {o["id"] for o in access.list_organisations(session)}
    assert [c["key"] for c in checklists.latest(session, tenant=Tenant("no such org"))].count(
        "clinic_intake"
    ) == 0
