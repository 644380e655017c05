"""Readiness: is the database reachable, and is its schema the one this code expects?"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db import calls as repo
from app.db import migrate
from app.i18n import _
from app.services.errors import ServiceUnavailable


@lru_cache(maxsize=1)
def expected_revision() -> str | None:
    """The migrations' head (read from disk once per process)."""
    return migrate.head_revision()


def check_ready(session: Session) -> str | None:
    """The current revision; ServiceUnavailable if the DB is down or not at head."""
    try:
        repo.ping(session)
        current = migrate.current_revision(session.connection())
    except DBAPIError as exc:
        raise ServiceUnavailable(_("the database is unreachable")) from exc
    head = expected_revision()
    if current != head:
        raise ServiceUnavailable(
            _(
                "the database schema is at %(current)s, this code needs %(head)s; "
                "run `callqa db upgrade`",
                current=current or _("no revision"),
                head=head,
            )
        )
    return current
