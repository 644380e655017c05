"""Retention: transcripts and evidence texts older than an organisation's retention period are
removed, their numbers, scores and roll-ups kept, so trends and reports stay whole while the
personal data goes; the call page and reports then say the examples were removed.

Each organisation is worked in transactions of its own (row-level security sees one at a
time), a batch of calls each, so a large first run never holds many locks for long.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.db import retention as db
from app.settings import Settings
from app.tenancy import LOCAL, Tenant

BATCH = 1000
REMOVED_NOTE = "примеры удалены по сроку хранения"
"""What the call page and reports say where texts were removed by retention."""

TenantScope = Callable[[Tenant], AbstractContextManager[Session]]
"""Opens a unit of work in one organisation (`Database.session_scope`)."""


def retention_days_for(own: int | None, settings: Settings) -> int | None:
    """The retention period of an organisation, None to keep texts: its own (`callqa orgs set
    --retention-days`), else CALLQA_RETENTION_DAYS."""
    return settings.retention_days if own is None else own


@dataclass(frozen=True, slots=True)
class Expired:
    """Calls of one organisation whose texts were (or, in a dry run, would be) removed."""

    organisation_id: str
    days: int
    calls: int


def run(
    scope: TenantScope, settings: Settings, *, dry_run: bool = False, now: datetime | None = None
) -> list[Expired]:
    """Remove (or, with `dry_run`, count) the texts of every organisation's calls older than
    its retention period."""
    with scope(LOCAL) as session:
        organisations = db.organisations(session)
    done = []
    for org, own in organisations:
        days = retention_days_for(own, settings)
        if days is None:
            continue
        before = (now or datetime.now(UTC)) - timedelta(days=days)
        tenant = Tenant(org)
        if dry_run:
            with scope(tenant) as session:
                calls = db.count_expired(session, org, before)
        else:
            calls, removed = 0, BATCH
            while removed == BATCH:
                with scope(tenant) as session:
                    removed = db.remove_texts(session, org, before, BATCH)
                calls += removed
        done.append(Expired(org, days, calls))
    return done
