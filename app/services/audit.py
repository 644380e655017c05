"""The audit log's use cases: record an access beside the work it audits; list entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from app.db import audit
from app.tenancy import Tenant

P = ParamSpec("P")
T = TypeVar("T")


def audited(
    tenant: Tenant,
    action: str,
    path: str,
    work: Callable[Concatenate[Session, P], T],
    call_id: int | None = None,
) -> Callable[Concatenate[Session, P], T]:
    """`work` that also writes its audit row in the same transaction (only if it succeeded)."""

    def run(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
        result = work(session, *args, **kwargs)
        audit.record(session, tenant, action, call_id=call_id, path=path)
        return result

    return run


def audit_entries(
    session: Session, tenant: Tenant, *, call_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """The organisation's audit entries, newest first."""
    return [
        {
            "key_id": e.key_id,
            "action": e.action,
            "call_id": e.call_id,
            "path": e.path,
            "at": e.at,
        }
        for e in audit.entries(session, tenant, call_id=call_id, limit=limit)
    ]
