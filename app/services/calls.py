"""Reading stored calls: one call in full, or a filtered page with a keyset cursor.

The cursor is opaque to clients (base64 of the last row's (started_at, id)), so paging stays
stable and index-driven however many calls arrive meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.db import calls as repo
from app.i18n import _
from app.services import corrections
from app.services.errors import InvalidInput, NotFound
from app.services.records import with_offset
from app.tenancy import LOCAL, Tenant


@dataclass(frozen=True, slots=True)
class CallPage:
    """One page of call summaries and the cursor of the next page (None at the end)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(started_at: datetime, call_id: int) -> str:
    """An opaque cursor pointing just past (started_at, id)."""
    raw = json.dumps([started_at.isoformat(), call_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor points past; InvalidInput if it was not made by us."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, call_id = json.loads(raw)
        position = datetime.fromisoformat(at), int(call_id)
    except (binascii.Error, ValueError, TypeError, OverflowError, RecursionError):
        position = None
    if position is None or position[0].tzinfo is None or not 0 < position[1] < 2**63:
        raise InvalidInput(
            _("the cursor is not one this API returned"),
            errors=[{"parameter": "cursor", "reason": _("malformed cursor")}],
        )
    return position


def summary(row: Any) -> dict[str, Any]:
    """The fields every call answer shares."""
    return {
        "id": row.id,
        "source": row.source,
        "external_id": row.external_id,
        "manager_id": row.manager_id,
        "manager_name": row.manager_name,
        "team_id": row.team_id,
        "started_at": with_offset(row.started_at, row.started_at_offset_min),
        "duration_s": row.duration_s,
        "checklist": {"key": row.checklist_key, "version": row.checklist_version},
        "total": row.total,
        "grade": row.grade,
    }


UTTERANCE_PAGE = 500
"""Utterances a call answer carries at most; the rest come page by page."""


def _next_page(call_id: int, offset: int, shown: int, total: int) -> str | None:
    """The URL of the next page of utterances, or None when none are left."""
    after = offset + shown
    if after >= total:
        return None
    return f"/v1/calls/{call_id}/utterances?offset={after}&limit={UTTERANCE_PAGE}"


def get_utterances(
    session: Session, call_id: int, offset: int, limit: int, *, tenant: Tenant = LOCAL
) -> dict[str, Any]:
    """A page of a stored call's parsed utterances, with the link to the next one."""
    found = repo.get_utterances(session, call_id, offset, limit, tenant)
    if found is None:
        raise NotFound(_("no call with id %(call)s", call=call_id))
    items, total = found
    return {
        "call_id": call_id,
        "offset": offset,
        "total": total,
        "items": items,
        "next": _next_page(call_id, offset, len(items), total),
    }


def get_call(session: Session, call_id: int, tenant: Tenant = LOCAL) -> dict[str, Any]:
    """A stored call with its transcript, its newest score with reviewers' corrections
    applied (`machine_score` as computed, `corrections[]`; and the versions it is scored
    under), metadata and the first UTTERANCE_PAGE utterances (`utterances_next` links the
    rest)."""
    call = repo.get_call(session, call_id, tenant)
    if call is None:
        raise NotFound(_("no call with id %(call)s", call=call_id))
    page = get_utterances(session, call_id, 0, UTTERANCE_PAGE, tenant=tenant)
    scores = repo.get_scores(session, call_id, tenant)
    latest = scores[-1] if scores else None
    shown = summary(call)
    if latest is not None:  # the newest version's figures
        checklist = {"key": latest.checklist_key, "version": latest.checklist_version}
        shown |= {"checklist": checklist, "total": latest.total, "grade": latest.grade}
    # A NULL score is the version the call was ingested with: its JSON is the call's.
    machine = call.score if latest is None or latest.score is None else latest.score
    view = corrections.corrected(session, call_id, machine, tenant)
    return {
        **shown,
        "total": view["score"]["total"],
        "grade": view["score"]["grade"],
        "format": call.format,
        "metadata": call.meta,
        "created_at": call.created_at,
        **view,
        "scores": [
            {
                "checklist": {"key": s.checklist_key, "version": s.checklist_version},
                "total": s.total,
                "grade": s.grade,
                "scored_at": s.scored_at,
            }
            for s in scores
        ],
        "utterances": page["items"],
        "utterances_total": page["total"],
        "utterances_next": page["next"],
        "transcript": call.transcript,
        "transcript_removed_at": call.transcript_removed_at,
    }


def _aware(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Naive filter times are read in the configured zone (CALLQA_TIMEZONE)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone)


def list_calls(
    session: Session,
    *,
    zone: ZoneInfo,
    manager_id: str | None = None,
    team_id: str | None = None,
    started_from: datetime | None = None,
    started_to: datetime | None = None,
    external_id: str | None = None,
    source: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
    tenant: Tenant = LOCAL,
) -> CallPage:
    """Calls newest first; `from` inclusive, `to` exclusive; `external_id` (with `source`)
    finds a call by the platform's own id."""
    rows = repo.list_calls(
        session,
        manager_id=manager_id,
        team_id=team_id,
        started_from=_aware(started_from, zone),
        started_to=_aware(started_to, zone),
        external_id=external_id,
        source=source,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
        tenant=tenant,
    )
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor(last.started_at, last.id)
    return CallPage([summary(r) for r in page], next_cursor)
