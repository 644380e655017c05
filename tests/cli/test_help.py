"""Specs: `callqa --version`, and `--help` of every command shows how to call it."""

import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from app.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The argv prefix of every command and group under `command`, itself included."""
    paths = [path]
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            paths += _command_paths(sub, (*path, name))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


def test_version_prints_the_projects_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    result = runner.invoke(app, ["--version"])

    assert result.exit_code == 0, result.output
    assert result.output == f"callqa {project['version']}\n"


def test_every_command_group_is_walked() -> None:
    assert {" ".join(p) for p in COMMANDS} >= {
        "",
        "score",
        "serve",
        "db upgrade",
        "checklists list",
    }


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda p: " ".join(p) or "callqa")
def test_help_of_every_command_shows_an_example_of_it(argv: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*argv, "--help"])

    assert result.exit_code == 0, result.output
    assert "Examples" in result.output
    assert f"$ {' '.join(('callqa', *argv))}" in result.output
