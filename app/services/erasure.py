"""Erasing a call (personal data): the call, its questions, violations, every score version,
its webhook deliveries (their payloads hold the call) and its share of every roll-up go in one
transaction, and a tombstone of its platform id stays, so
a late retry of its ingest answers 410 instead of bringing the data back.

Locks are taken in the order of every write: the call's row first, then its roll-up rows in
key order (the one write path, `call_writes`), so an erasure racing an ingest or another
erasure of the same call waits instead of deadlocking; the second erasure finds nothing (404).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from app.db import call_writes
from app.db import calls as repo
from app.db import corrections as corrections_db
from app.db import webhooks as webhooks_db
from app.db.call_writes import RollupDelta
from app.db.models import Call
from app.i18n import _
from app.services import corrections, records
from app.services.errors import NotFound
from app.tenancy import LOCAL, Tenant


def erase_call(session: Session, call_id: int, *, tenant: Tenant = LOCAL) -> None:
    """Erase one of the tenant's calls; NotFound if it may see no such call."""
    call = repo.lock_call(session, call_id, tenant)
    if call is None:
        raise NotFound(_("no call with id %(call)s", call=call_id))
    call_writes.remove_from_rollups(session, call.organisation_id, _contributions(session, call))
    webhooks_db.remove_call(session, call.organisation_id, call.id)
    repo.erase_call(session, call)


def _contributions(session: Session, call: Call) -> list[RollupDelta]:
    """What the call adds to the roll-ups: each score, as held (its corrections applied), to
    its version's series, and each checklist's latest score to the latest series."""
    org = call.organisation_id
    reviewed = corrections_db.list_corrections(session, org, call.id)
    at = (call.manager_id, call.team_id, call.started_at, org)
    deltas: dict[str, RollupDelta] = {}  # by checklist key, the latest score's last
    out = []
    for stored in repo.get_scores(session, call.id, Tenant(org)):
        score = call.score if stored.score is None else stored.score
        delta = records.score_delta(corrections.held_score(session, org, score, reviewed), *at)
        out.append(delta)
        deltas[stored.checklist_key] = delta
    return out + [replace(d, latest=True) for d in deltas.values()]


def erase_by_external_id(
    session: Session, source: str, external_id: str, *, tenant: Tenant = LOCAL
) -> None:
    """Erase the tenant's call with this platform id, as `erase_call` does."""
    call_id = repo.find_call_id(session, source, external_id, tenant)
    if call_id is None:
        raise NotFound(
            _(
                "no call with external_id %(external_id)r from source %(source)r",
                external_id=external_id,
                source=source,
            )
        )
    erase_call(session, call_id, tenant=tenant)
