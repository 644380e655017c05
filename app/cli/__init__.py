"""The `callqa` command line: one typer app, one module per command group."""

from app.cli.main import app, main

__all__ = ["app", "main"]
