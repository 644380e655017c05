"""`callqa score`: score transcripts from files, folders or standard input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import track

from app.cli.main import app, examples
from app.cli.render import render_score
from app.engine import (
    ALL_SPEAKERS,
    Checklist,
    EngineError,
    get_checklist,
    load_checklist,
    score,
)
from app.i18n import _
from app.services.wording import engine_reason

_SUFFIXES = {".txt", ".vtt", ".srt", ".json", ".text", ".tsv", ".log", ""}


def resolve_checklist(value: str) -> Checklist:
    """A checklist from a built-in key or a YAML file path."""
    path = Path(value)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return load_checklist(path)
    return get_checklist(value)


def _expand(paths: list[str]) -> list[str]:
    files: list[str] = []
    for p in paths:
        path = Path(p)
        if p != "-" and path.is_dir():
            files += sorted(
                str(f)
                for f in path.rglob("*")
                if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in _SUFFIXES
            )
        else:
            files.append(p)
    return files


def _read(p: str) -> bytes:
    if p == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(p).read_bytes()
    except OSError as exc:
        raise EngineError(_("cannot read %(path)s: %(why)s", path=p, why=exc.strerror)) from exc


def _fail(message: str) -> None:
    Console(stderr=True).print(f"[red]callqa: {message}[/red]", highlight=False, soft_wrap=True)


@app.command(
    "score",
    epilog=examples(
        "callqa score call.txt",
        "callqa score call.vtt --checklist spin_classic --json",
        "callqa score calls/ --jsonl > scores.jsonl",
        "cat call.json | callqa score - --format deepgram --manager-speaker 0 --json",
    ),
)
def score_command(
    paths: Annotated[
        list[str], typer.Argument(help="Transcript files or folders; '-' reads standard input.")
    ],
    checklist: Annotated[
        str, typer.Option(help="A built-in checklist key or a YAML file.")
    ] = "realty_phone",
    format: Annotated[
        str, typer.Option("--format", help="auto, or a reader name to force.")
    ] = "auto",
    manager_speaker: Annotated[
        str | None,
        typer.Option(help="The manager's speaker label; '*' scores all speech as the manager's."),
    ] = None,
    single_speaker: Annotated[
        bool,
        typer.Option(
            "--single-speaker",
            help="Input without speaker labels: score all speech as the manager's "
            "(--manager-speaker '*').",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the score as JSON.")] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON line per file.")] = False,
) -> None:
    """Score transcripts against a checklist; exit code 2 on bad input."""
    if single_speaker:
        if manager_speaker not in (None, ALL_SPEAKERS):
            _fail(_("--single-speaker and --manager-speaker name different managers; give one"))
            raise typer.Exit(2)
        manager_speaker = ALL_SPEAKERS
    try:
        rules = resolve_checklist(checklist)
    except EngineError as exc:
        _fail(engine_reason(exc))
        raise typer.Exit(2) from None
    files = _expand(paths)
    if not files:
        _fail(_("no transcript files found"))
        raise typer.Exit(2)
    single = len(files) == 1 and not jsonl
    out = Console(highlight=False)
    results: list[dict[str, Any]] = []
    failed = 0
    show_progress = not single and sys.stderr.isatty()
    for path in track(
        files, description=_("Scoring"), console=Console(stderr=True), disable=not show_progress
    ):
        try:
            result = score(_read(path), rules, format=format, manager_speaker=manager_speaker)
        except EngineError as exc:
            failed += 1
            why = engine_reason(exc)
            _fail(f"{path}: {why}" if not single else why)
            if jsonl:
                line = {"path": path, "error": why, "error_code": exc.code}
                print(json.dumps(line, ensure_ascii=False))
            continue
        data = result.to_dict()
        if jsonl:
            print(json.dumps({"path": path, **data}, ensure_ascii=False), flush=True)
        elif as_json:
            results.append(data if single else {"path": path, **data})
        else:
            render_score(out, data, title=None if single else path)
    if as_json and not jsonl and results:
        print(json.dumps(results[0] if single else results, ensure_ascii=False, indent=2))
    if failed:
        raise typer.Exit(2)
