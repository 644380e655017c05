"""`callqa checklists list|show|validate|push`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.cli import scope
from app.cli.main import app, examples
from app.engine import EngineError, get_checklist, list_checklists
from app.engine.checklist import load_checklist
from app.engine.errors import ChecklistError
from app.i18n import _
from app.services import access, checklists
from app.services.errors import CallqaError
from app.services.wording import checklist_problem, engine_reason
from app.tenancy import DEFAULT_ORGANISATION, Tenant

checklists_app = typer.Typer(
    help="List, show, validate and push checklists.",
    no_args_is_help=True,
    epilog=examples(
        "callqa checklists list",
        "callqa checklists show realty_phone",
        "callqa checklists validate my_checklist.yaml",
        "callqa checklists push my_checklist.yaml",
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
        Console(stderr=True).print(f"[red]callqa: {engine_reason(exc)}[/red]")
        raise typer.Exit(2) from None
    print(json.dumps(checklist.to_dict(), ensure_ascii=False, indent=2))


@checklists_app.command("validate", epilog=examples("callqa checklists validate my_checklist.yaml"))
def validate_command(path: Annotated[str, typer.Argument(help="A checklist YAML file.")]) -> None:
    """Check a checklist file; every mistake is printed with its line. Exit 2 if any."""
    try:
        load_checklist(path)
    except ChecklistError as exc:
        for problem in [checklist_problem(p) for p in exc.problems] or [engine_reason(exc)]:
            print(f"{path}: {problem}")
        raise typer.Exit(2) from None
    print(f"{path}: {_('valid')}")


@checklists_app.command(
    "push",
    epilog=examples(
        "callqa checklists push my_checklist.yaml",
        "callqa checklists push team_never_say.yaml   # extends: realty_phone",
        "callqa checklists push --org acme acme_phone.yaml",
    ),
)
def push_command(
    path: Annotated[Path, typer.Argument(help="A checklist file: YAML, or JSON (.json).")],
    org: Annotated[
        str,
        typer.Option(
            help="The organisation whose checklist it is (others do not see it); created if "
            "needed, as by callqa keys create --org."
        ),
    ] = DEFAULT_ORGANISATION,
) -> None:
    """Store a checklist as a version of an organisation in the database (as POST
    /v1/checklists with its admin key); prints its key and version. Exit 2 with every mistake
    and its line if it is not valid."""
    try:
        document = path.read_bytes()
    except OSError as exc:
        scope.err.print(f"[red]callqa: {path}: cannot be read ({exc.strerror})[/red]")
        raise typer.Exit(2) from None
    media: checklists.Media = "json" if path.suffix.lower() == ".json" else "yaml"
    try:
        tenant = Tenant(org)
        with (
            scope.cli_database(upgrade=True) as database,
            database.session_scope(tenant) as session,
        ):
            new_org = access.ensure_organisation(session, org)
            pushed, created = checklists.push(session, document, media, tenant=tenant)
    except CallqaError as exc:
        raise scope.fail(exc) from None
    if new_org:  # a mistyped --org shows here
        scope.err.print(
            _(
                "organisation %(organisation)r created (callqa orgs list shows them all)",
                organisation=org,
            )
        )
    print(f"{pushed['key']} {pushed['version']}")
    scope.err.print("new version" if created else "stored before; now the latest again")
