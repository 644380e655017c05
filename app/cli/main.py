"""The root typer app. Command modules register themselves on import below."""

from importlib.metadata import version
from typing import Annotated

import typer
from rich.markup import escape

app = typer.Typer(
    name="callqa",
    help="Score call transcripts against checklists and keep per-manager trends.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def examples(*command_lines: str) -> str:
    """A command's `--help` epilog: example command lines, shown as typed."""
    return "[bold]Examples[/bold]\n\n" + "\n".join(f"$ {escape(c)}" for c in command_lines)


def _print_version(value: bool) -> None:
    if value:
        print(f"callqa {version('callqa')}")
        raise typer.Exit()


@app.callback(
    epilog=examples(
        "callqa score call.txt",
        "callqa serve --port 8000",
        "callqa score --help",
    )
)
def root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Score call transcripts against checklists and keep per-manager trends."""


def main() -> None:
    """Console-script entry point."""
    app()


# Command modules: each adds its commands to `app`.
from app.cli import access as _access  # noqa: E402, F401
from app.cli import checklists as _checklists  # noqa: E402, F401
from app.cli import db as _db  # noqa: E402, F401
from app.cli import import_calls as _import_calls  # noqa: E402, F401
from app.cli import jobs as _jobs  # noqa: E402, F401
from app.cli import report as _report  # noqa: E402, F401
from app.cli import retention as _retention  # noqa: E402, F401
from app.cli import score as _score  # noqa: E402, F401
from app.cli import serve as _serve  # noqa: E402, F401
