"""`callqa retention run`: remove transcripts and evidence texts older than the retention
period now (the job worker also does it hourly)."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli import scope
from app.cli.main import app, examples
from app.services import retention
from app.settings import get_settings

retention_app = typer.Typer(
    help="Personal data retention (CALLQA_RETENTION_DAYS).",
    no_args_is_help=True,
    epilog=examples("callqa retention run --dry-run", "callqa retention run"),
)
app.add_typer(retention_app, name="retention")


@retention_app.command(
    "run",
    epilog=examples(
        "CALLQA_RETENTION_DAYS=365 callqa retention run --dry-run", "callqa retention run"
    ),
)
def run_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count the calls, remove nothing.")
    ] = False,
) -> None:
    """Remove the texts of calls older than the retention period; numbers and roll-ups stay."""
    settings = get_settings()
    with scope.cli_database(upgrade=True) as database:
        done = retention.run(database.session_scope, settings, dry_run=dry_run)
    if not done:
        scope.err.print("retention: no period set (CALLQA_RETENTION_DAYS); nothing removed")
    verb = "would remove" if dry_run else "removed"
    for expired in done:
        typer.echo(
            f"{expired.organisation_id}: {verb} the texts of {expired.calls} calls "
            f"older than {expired.days} days"
        )
