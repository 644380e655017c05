"""`callqa import PATH...`: bulk import of transcript files through the ingest service.

Each file is one call and one transaction, so a bad file never takes others down and an
interrupted import resumes by running it again. The external id is the SHA-256 of the file's
bytes by default (`--external-id hash`): the same recording imported twice, from any folder, is
stored once; `--external-id path` uses the path relative to the PATH given instead. The start
time comes from a timestamp in the file name (`2026-03-14_1530_call.txt`, `20260314T153000`)
with `--started-at-from-filename`, else from the file's modification time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy.exc import InterfaceError, OperationalError

from app.cli import scope
from app.cli.main import app, examples
from app.db.session import Database
from app.engine import EngineError
from app.engine.readers.decode import decode_bytes
from app.i18n import _, ngettext, number
from app.services import ingest
from app.services.errors import CallqaError, Conflict, ServiceUnavailable
from app.services.periods import zone_of
from app.services.schemas import CallIn
from app.services.wording import engine_reason
from app.settings import get_settings

SUFFIXES = {".txt", ".text", ".vtt", ".srt", ".json", ".ndjson", ".log", ".tsv"}
# 2026-03-14_1530, 2026-03-14T15:30:00, 20260314T153000, 20260314_1530, or a bare date.
_STAMP = re.compile(
    r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[T_ .-]?(\d{2})[-:.h]?(\d{2})(?:[-:.m]?(\d{2}))?)?(?!\d)"
)


class IdFrom(StrEnum):
    hash = "hash"
    path = "path"


@dataclass(frozen=True, slots=True)
class Source:
    """A file to import and the path it is known by (relative to the PATH given)."""

    path: Path
    relative: str


def collect(paths: list[Path]) -> list[Source]:
    """Files named, and transcript files under folders named (hidden ones skipped), sorted."""
    out: list[Source] = []
    for root in paths:
        if root.is_dir():
            for f in sorted(root.rglob("*")):
                rel = f.relative_to(root)
                hidden = any(part.startswith(".") for part in rel.parts)
                if f.is_file() and not hidden and f.suffix.lower() in SUFFIXES:
                    out.append(Source(f, rel.as_posix()))
        else:
            out.append(Source(root, root.name))
    return out


def stamp_from_name(name: str, zone: ZoneInfo) -> datetime | None:
    """The first valid timestamp in a file name, read in `zone`; None if there is none."""
    for m in _STAMP.finditer(name):
        y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
        try:
            return datetime.combine(datetime(y, mo, d).date(), time(hh, mm, ss), tzinfo=zone)
        except ValueError:
            continue
    return None


def started_at(source: Source, zone: ZoneInfo, from_name: bool) -> tuple[datetime, bool]:
    """(start, whether it came from the name); the file's mtime in `zone` otherwise."""
    if from_name:
        stamp = stamp_from_name(source.path.name, zone)
        if stamp is not None:
            return stamp, True
    return datetime.fromtimestamp(source.path.stat().st_mtime, tz=zone).replace(
        microsecond=0
    ), False


def build_call(source: Source, data: bytes, when: datetime, options: dict[str, Any]) -> CallIn:
    """The ingest request of one file (raises EngineError, ValidationError)."""
    digest = hashlib.sha256(data).hexdigest()
    external_id = f"sha256:{digest}" if options["id_from"] is IdFrom.hash else source.relative
    return CallIn.model_validate(
        {
            "external_id": external_id,
            "source": options["source"],
            "manager_id": options["manager_id"],
            "manager_name": options["manager_name"],
            "team_id": options["team_id"],
            "checklist": options["checklist"],
            "format": options["format"],
            "manager_speaker": options["manager_speaker"],
            "started_at": when,
            "transcript": decode_bytes(data),
            "metadata": {"file": source.relative, "sha256": digest},
        }
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, Conflict):
        return _(
            "%(detail)s: imported before with other options (team, checklist, start time)",
            detail=exc.detail,
        )
    if isinstance(exc, CallqaError):
        fields = "; ".join(
            f"{e.get('pointer') or ''} {e.get('reason', '')}".strip()
            for e in exc.errors
            if e.get("reason") != exc.detail
        )
        return f"{exc.detail} ({fields})" if fields else exc.detail
    if isinstance(exc, EngineError):
        return engine_reason(exc)
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)


def import_one(database: Database, source: Source, options: dict[str, Any]) -> tuple[str, bool]:
    """Import one file in its own transaction: ('created' or 'existing', dated by its name)."""
    data = source.path.read_bytes()
    when, named = started_at(source, options["zone"], options["from_name"])
    call = build_call(source, data, when, options)
    with database.session_scope() as session:
        done = ingest.ingest_call(session, call)
    return ("created" if done.created else "existing"), named


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]Importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[name]}"),
        console=scope.err,
        disable=not scope.err.is_terminal,
    )


@app.command(
    "import",
    epilog=examples(
        "callqa import calls/ --manager-id anna --started-at-from-filename",
        "callqa import call.vtt --manager-id anna --checklist spin_classic",
    ),
)
def import_command(
    paths: Annotated[list[Path], typer.Argument(help="Transcript files or folders.")],
    manager_id: Annotated[str, typer.Option(help="The manager every call belongs to.")],
    team_id: Annotated[str | None, typer.Option(help="The manager's team.")] = None,
    manager_name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    checklist: Annotated[
        str | None,
        typer.Option(help="Checklist to score with; default: the team's, else the default one."),
    ] = None,
    started_at_from_filename: Annotated[
        bool,
        typer.Option(
            "--started-at-from-filename", help="Take the start from a timestamp in the file name."
        ),
    ] = False,
    tz: Annotated[
        str | None, typer.Option(help="Zone of file-name times and mtimes (CALLQA_TIMEZONE).")
    ] = None,
    external_id: Annotated[
        IdFrom, typer.Option(help="hash: SHA-256 of the file; path: its relative path.")
    ] = IdFrom.hash,
    source: Annotated[str, typer.Option(help="Source the external ids belong to.")] = "import",
    format: Annotated[str, typer.Option("--format", help="Reader; auto detects.")] = "auto",
    manager_speaker: Annotated[str | None, typer.Option(help="Manager's speaker label.")] = None,
) -> None:
    """Score and store a folder of transcripts; exit 2 if any file failed."""
    try:
        zone = zone_of(tz, get_settings().timezone)
    except CallqaError as exc:
        raise scope.fail(exc) from None
    files = collect(paths)
    if not files:
        scope.err.print(f"[red]callqa: {_('no transcript files found')}[/red]")
        raise typer.Exit(2)
    options = {
        "zone": zone,
        "from_name": started_at_from_filename,
        "id_from": external_id,
        "source": source,
        "manager_id": manager_id,
        "manager_name": manager_name,
        "team_id": team_id,
        "checklist": checklist,
        "format": format,
        "manager_speaker": manager_speaker,
    }
    counts = {"created": 0, "existing": 0, "by_mtime": 0}
    failures: list[tuple[str, str]] = []
    with scope.cli_database(upgrade=True) as database, _progress() as progress:
        task = progress.add_task("import", total=len(files), name="")
        for src in files:
            progress.update(task, name=src.relative)
            try:
                status, named = import_one(database, src, options)
                counts[status] += 1
                counts["by_mtime"] += not named
            except (OperationalError, InterfaceError):
                raise scope.fail(ServiceUnavailable(_("the database is unavailable"))) from None
            except (CallqaError, EngineError, ValidationError, OSError) as exc:
                failures.append((src.relative, _reason(exc)))
            progress.advance(task)
    _summary(len(files), counts, failures, started_at_from_filename)
    if failures:
        raise typer.Exit(2)


def _summary(
    total: int, counts: dict[str, int], failures: list[tuple[str, str]], from_name: bool
) -> None:
    if failures:
        table = Table(title=_("Not imported"), title_justify="left", show_lines=False)
        table.add_column(_("file"), overflow="fold")
        table.add_column(_("why"), overflow="fold")
        for name, reason in failures:
            table.add_row(name, reason)
        scope.err.print(table)
    scope.err.print(
        ngettext(
            "%(n)s file: %(created)s imported, %(existing)s already stored, %(failed)s failed",
            "%(n)s files: %(created)s imported, %(existing)s already stored, %(failed)s failed",
            total,
            created=number(counts["created"]),
            existing=number(counts["existing"]),
            failed=number(len(failures)),
        )
    )
    if from_name and counts["by_mtime"]:
        scope.err.print(
            ngettext(
                "%(n)s file had no timestamp in the name and was dated by its modification time",
                "%(n)s files had no timestamp in the name and were dated by their modification "
                "time",
                counts["by_mtime"],
            )
        )
