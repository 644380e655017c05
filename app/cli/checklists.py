"""`callqa checklists list|show|validate`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.cli.main import app, examples
from app.engine import EngineError, get_checklist, list_checklists
from app.engine.checklist import validate_checklist_file

checklists_app = typer.Typer(
    help="List, show and validate checklists.",
    no_args_is_help=True,
    epilog=examples(
        "callqa checklists list",
        "callqa checklists show realty_phone",
        "callqa checklists validate my_checklist.yaml",
    ),
)
app.add_typer(checklists_app, name="checklists")


@checklists_app.command("list", epilog=examples("callqa checklists list"))
def list_command() -> None:
    """The built-in checklists with their versions."""
    table = Table("key", "version", "items", "title", box=None)
    for c in list_checklists():
        table.add_row(c.key, c.version, str(len(c.items)), c.title)
    Console().print(table)


@checklists_app.command(
    "show", epilog=examples("callqa checklists show realty_phone > realty_phone.json")
)
def show_command(key: Annotated[str, typer.Argument(help="A built-in checklist key.")]) -> None:
    """A checklist as JSON: items, categories, forbidden phrases with replacements."""
    try:
        checklist = get_checklist(key)
    except EngineError as exc:
        Console(stderr=True).print(f"[red]callqa: {exc.reason}[/red]")
        raise typer.Exit(2) from None
    print(json.dumps(checklist.to_dict(), ensure_ascii=False, indent=2))


@checklists_app.command("validate", epilog=examples("callqa checklists validate my_checklist.yaml"))
def validate_command(path: Annotated[str, typer.Argument(help="A checklist YAML file.")]) -> None:
    """Check a checklist file; every mistake is printed with its line. Exit 2 if any."""
    problems = validate_checklist_file(path)
    for problem in problems:
        print(f"{path}: {problem}")
    if problems:
        raise typer.Exit(2)
    print(f"{path}: valid")
