"""`callqa orgs create|list|set` and `callqa keys create|list|revoke`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from app.cli import scope
from app.cli.main import app, examples
from app.services import access
from app.services.errors import CallqaError
from app.tenancy import DEFAULT_ORGANISATION

T = TypeVar("T")

orgs_app = typer.Typer(
    help="Organisations (tenants) and their settings.",
    no_args_is_help=True,
    epilog=examples(
        "callqa orgs create acme --retention-days 365 --mask",
        "callqa orgs set acme --rate-limit 500",
        "callqa orgs list",
    ),
)
keys_app = typer.Typer(
    help="API keys: requests send `Authorization: Bearer <key>`.",
    no_args_is_help=True,
    epilog=examples(
        "callqa keys create --scope admin",
        "callqa keys create --org acme --scope ingest --name telephony",
        "callqa keys create --org acme --scope read --team north --team south --name trainers",
        "callqa keys list",
        "callqa keys revoke 3",
    ),
)
app.add_typer(orgs_app, name="orgs")
app.add_typer(keys_app, name="keys")

RetentionOpt = Annotated[
    int | None, typer.Option(min=1, help="Keep transcripts this many days (numbers stay).")
]
MaskOpt = Annotated[
    bool | None, typer.Option("--mask/--no-mask", help="Mask personal data at ingest.")
]
RateOpt = Annotated[int | None, typer.Option(min=1, help="Requests per second per key.")]


def _unit(work: Callable[[Session], T]) -> T:
    """One unit of work on the migrated database; a service error exits with its message."""
    with scope.cli_database(upgrade=True) as database:
        try:
            with database.session_scope() as session:
                return work(session)
        except CallqaError as exc:
            raise scope.fail(exc) from None


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    table = Table(*columns, box=None)
    for row in rows:
        table.add_row(*("" if row[c] is None else _cell(row[c]) for c in columns))
    Console().print(table)


def _cell(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


_ORG_COLUMNS = ("id", "retention_days", "mask", "rate_limit", "created_at")


@orgs_app.command("create", epilog=examples("callqa orgs create acme --retention-days 365"))
def orgs_create(
    org: Annotated[str, typer.Argument(help="Organisation id.")],
    retention_days: RetentionOpt = None,
    mask: MaskOpt = None,
    rate_limit: RateOpt = None,
) -> None:
    """Create an organisation (or change an existing one's settings)."""
    out = _unit(
        lambda s: access.create_organisation(
            s, org, retention_days=retention_days, mask=mask, rate_limit=rate_limit
        )
    )
    _table([out], _ORG_COLUMNS)


@orgs_app.command("set", epilog=examples("callqa orgs set acme --no-mask --rate-limit 500"))
def orgs_set(
    org: Annotated[str, typer.Argument(help="Organisation id.")],
    retention_days: RetentionOpt = None,
    mask: MaskOpt = None,
    rate_limit: RateOpt = None,
) -> None:
    """Change an organisation's settings (only the options given)."""
    out = _unit(
        lambda s: access.set_organisation(
            s, org, retention_days=retention_days, mask=mask, rate_limit=rate_limit
        )
    )
    _table([out], _ORG_COLUMNS)


@orgs_app.command("list", epilog=examples("callqa orgs list"))
def orgs_list() -> None:
    """Every organisation with its settings."""
    _table(_unit(access.list_organisations), _ORG_COLUMNS)


_KEY_COLUMNS = ("id", "organisation", "name", "scopes", "teams", "created_at", "revoked_at")


@keys_app.command(
    "create",
    epilog=examples(
        "callqa keys create --scope admin",
        "callqa keys create --org acme --scope read --team north --name trainers",
    ),
)
def keys_create(
    scopes: Annotated[
        list[str],
        typer.Option("--scope", help="ingest, read, review (read + corrections) or admin."),
    ],
    org: Annotated[
        str, typer.Option(help="Organisation (created if needed).")
    ] = DEFAULT_ORGANISATION,
    teams: Annotated[
        list[str] | None, typer.Option("--team", help="Only these teams (default: all).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="What the key is for.")] = None,
) -> None:
    """Create a key; its secret is printed once, alone on the last line, and stored only
    as its SHA-256."""
    key, secret = _unit(
        lambda s: access.create_key(s, organisation=org, scopes=scopes, teams=teams, name=name)
    )
    scope.err.print(
        f"key {key['id']} of {key['organisation']}: {', '.join(key['scopes'])}"
        + (f" (teams {', '.join(key['teams'])})" if key["teams"] else "")
        + " — keep the secret below, it is not shown again"
    )
    print(secret)


@keys_app.command("list", epilog=examples("callqa keys list", "callqa keys list --org acme"))
def keys_list(
    org: Annotated[str | None, typer.Option(help="Only this organisation's keys.")] = None,
) -> None:
    """Keys (never their secrets), oldest first."""
    _table(_unit(lambda s: access.list_keys(s, org)), _KEY_COLUMNS)


@keys_app.command("revoke", epilog=examples("callqa keys revoke 3"))
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id.")]) -> None:
    """Revoke a key; running servers refuse it and the share links it made within
    CALLQA_KEY_CACHE_S seconds."""
    key = _unit(lambda s: access.revoke_key(s, key_id))
    scope.err.print(f"key {key['id']} revoked")
