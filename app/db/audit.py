"""The audit log: who (which key) read, exported or deleted which call, and when."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.db.models import AuditEntry
from app.tenancy import Tenant


def record(
    session: Session,
    tenant: Tenant,
    action: str,
    call_id: int | None = None,
    path: str | None = None,
) -> None:
    """One audit row in the caller's transaction (it is kept if and only if the work is)."""
    session.execute(
        insert(AuditEntry).values(
            organisation_id=tenant.organisation_id,
            key_id=tenant.key_id,
            action=action,
            call_id=call_id,
            path=path,
        )
    )


def entries(
    session: Session, tenant: Tenant, *, call_id: int | None, limit: int
) -> Sequence[AuditEntry]:
    """The organisation's newest entries first, optionally of one call."""
    stmt = select(AuditEntry).where(AuditEntry.organisation_id == tenant.organisation_id)
    if call_id is not None:
        stmt = stmt.where(AuditEntry.call_id == call_id)
    stmt = stmt.order_by(AuditEntry.id.desc()).limit(limit)
    return session.execute(stmt).scalars().all()
