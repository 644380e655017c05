"""Specs: `callqa keys` and `callqa orgs` on the test's session, and `callqa serve` refusing a
public address while no key exists."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import app as cli
from app.services import access
from tests.e2e.conftest import free_port

runner = CliRunner()
ROOT = Path(__file__).parents[2]
TEAMS = ("--team", "north", "--team", "south")
SERVE = (sys.executable, "-m", "app.cli", "serve")

pytestmark = pytest.mark.usefixtures("cli_on_test_session")


def test_keys_create_prints_the_secret_alone_on_the_last_line_and_it_works(
    client: TestClient, session: Session, app: FastAPI
) -> None:
    made = runner.invoke(cli, ["keys", "create", "--scope", "read", "--name", "trainers"])

    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("cq_") and len(secret) == 46
    assert "not shown again" in made.stderr
    [key] = access.list_keys(session)
    assert (key["organisation"], key["scopes"], key["name"]) == ("default", ["read"], "trainers")
    app.state.auth.clear()
    assert client.get("/v1/managers").status_code == 401  # local mode is over
    assert client.get("/v1/managers", headers={"Authorization": f"Bearer {secret}"}).is_success

    listed = runner.invoke(cli, ["keys", "list"])
    assert "trainers" in listed.stdout and secret not in listed.stdout
    revoked = runner.invoke(cli, ["keys", "revoke", str(key["id"])])
    assert revoked.exit_code == 0, revoked.output
    app.state.auth.clear()
    answer = client.get("/v1/managers", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401


def test_keys_create_makes_the_organisation_and_keeps_the_teams(session: Session) -> None:
    made = runner.invoke(
        cli,
        ["keys", "create", "--org", "acme", "--scope", "ingest", *TEAMS],
    )

    assert made.exit_code == 0, made.output
    [key] = access.list_keys(session, "acme")
    assert key["teams"] == ["north", "south"] and key["scopes"] == ["ingest"]
    assert "acme" in runner.invoke(cli, ["orgs", "list"]).stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--scope", "owner"], "каждая область доступа — одна из"),
        (["--scope", "read", "--team", ""], "хотя бы одну команду"),
        (["--scope", "read", "--org", "no spaces"], "неверная организация"),
    ],
)
def test_keys_create_refuses_bad_input_with_exit_2(
    args: list[str], says: str, session: Session
) -> None:
    made = runner.invoke(cli, ["keys", "create", *args])
    assert made.exit_code == 2
    assert says in made.stderr
    assert access.list_keys(session) == []


def test_orgs_create_and_set_change_the_settings(session: Session) -> None:
    created = runner.invoke(cli, ["orgs", "create", "acme", "--retention-days", "365", "--mask"])
    changed = runner.invoke(cli, ["orgs", "set", "acme", "--no-mask", "--rate-limit", "500"])

    assert created.exit_code == 0 and changed.exit_code == 0, created.output + changed.output
    [acme] = [o for o in access.list_organisations(session) if o["id"] == "acme"]
    assert (acme["retention_days"], acme["mask"], acme["rate_limit"]) == (365, False, 500)
    missing = runner.invoke(cli, ["orgs", "set", "nobody", "--mask"])
    assert missing.exit_code == 2 and "нет организации" in missing.stderr


def test_serve_on_a_public_address_without_a_key_refuses_and_says_how(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("serve_refuses") as url:
        env = {**os.environ, "CALLQA_DATABASE_URL": url}
        env.pop("CALLQA_AUTH", None)
        served = subprocess.run(
            [*SERVE, "--host", "0.0.0.0", "--port", str(free_port()), "--job-workers", "0"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert served.returncode == 1, served.stderr
    assert "callqa keys create --scope admin" in served.stderr
    assert "CALLQA_AUTH=off" in served.stderr
