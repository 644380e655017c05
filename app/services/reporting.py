"""The reporting views' read-only access (`callqa db grant-reporting`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.db import access
from app.db import reporting as db
from app.i18n import _
from app.services.errors import NotFound


def grant_reporting(session: Session, role: str, organisation: str | None = None) -> None:
    """Let an existing role read the `reporting` views (and only the columns under them);
    NotFound when the role does not exist (create it first, with its password), or the
    organisation it is to see."""
    if not db.role_exists(session, role):
        raise NotFound(
            _(
                "no database role %(role)r: CREATE ROLE %(name)s LOGIN PASSWORD '…' first",
                role=role,
                name=role,
            )
        )
    if organisation is not None and access.get_organisation(session, organisation) is None:
        raise NotFound(_("no organisation %(organisation)r", organisation=organisation))
    db.grant_reporting(session, role, organisation)
