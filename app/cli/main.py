"""The root typer app. Command modules register themselves on import below."""

import typer

app = typer.Typer(
    name="callqa",
    help="Score call transcripts against checklists and keep per-manager trends.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Console-script entry point."""
    app()


# Command modules: each adds its commands to `app`.
from app.cli import checklists as _checklists  # noqa: E402, F401
from app.cli import db as _db  # noqa: E402, F401
from app.cli import import_calls as _import_calls  # noqa: E402, F401
from app.cli import report as _report  # noqa: E402, F401
from app.cli import score as _score  # noqa: E402, F401
from app.cli import serve as _serve  # noqa: E402, F401
