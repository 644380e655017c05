"""Background jobs as a user sees them: start a rescoring, read its progress, cancel it; and
the work of one part, as the job worker runs it.

A rescoring covers the calls of a window (and optionally one team or manager) and scores each
again under a checklist version, adding that version's score beside the ones the call has. It
is split into parts of at most PART_SIZE calls (by id range), each a task on the job queue, so
several worker processes share it. A part works CHUNK calls at a time and only on calls that
lack a score under that version: stopped anywhere (a cancel, a killed worker), it resumes
without counting or storing any call twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db import jobs as db
from app.db.models import Job
from app.db.session import SessionScope
from app.i18n import _
from app.services import rescoring
from app.services.checklists import ChecklistFinder
from app.services.errors import Conflict, NotFound
from app.services.schemas import ScoreIn
from app.tenancy import DEFAULT_ORGANISATION, LOCAL, Tenant

log = logging.getLogger(__name__)

RESCORE = "rescore"
"""The job kind, the queue and the task of rescoring parts."""
RESCORE_TASK = "callqa.rescore_part"
PART_SIZE = 500
"""Calls of a part: one worker process scores a part, so parts must be many for a job to keep
every worker busy (at 5,000, a job of 6,000 calls was two parts, one of 1,000, and one of two
workers stood idle most of the job). A part's own cost (its job row, the checklist from the
cache, its finish) is a few ms beside a second or more of scoring."""
CHUNK = 200


@dataclass(frozen=True, slots=True)
class RescoreRequest:
    """What to rescore: a checklist (at a version, else its latest) and which calls."""

    checklist: str
    version: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    team_id: str | None = None
    manager_id: str | None = None


def job_view(job: Job) -> dict[str, Any]:
    """A job as `GET /v1/jobs/{id}` shows it."""
    return {
        "job_id": job.id,
        "kind": job.kind,
        "status": job.status,
        "params": job.params,
        "total": job.total,
        "done": job.done,
        "skipped": job.skipped,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def start_rescore(
    session: Session, request: RescoreRequest, *, tenant: Tenant = LOCAL
) -> dict[str, Any]:
    """Create a rescoring job and queue its parts, in the caller's transaction; a window with
    no calls gives a job that has already succeeded with total 0."""
    asked = ScoreIn(transcript=".", checklist=request.checklist, checklist_version=request.version)
    checklist = ChecklistFinder(session, tenant).for_request(asked)  # NotFound names the field
    params = {
        "checklist": checklist.key,
        "version": checklist.version,
        "from": _aware(request.start),
        "to": _aware(request.end),
        "team_id": request.team_id,
        "manager_id": request.manager_id,
    }
    org = tenant.organisation_id
    ranges = db.call_id_ranges(session, params, PART_SIZE, org)
    total = sum(n for _, _, n in ranges)
    job = db.create_job(session, RESCORE, _jsonable(params), total, len(ranges), org)
    for low, high, _count in ranges:
        args = {"job_id": job.id, "low": low, "high": high, "organisation_id": org}
        db.enqueue(session, RESCORE, RESCORE_TASK, args)
    return job_view(job)


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in params.items()}


def queue_stats(session: Session) -> list[tuple[str, int, float]]:
    """Per queue: parts due to run, and the wait of the oldest in seconds (for /metrics)."""
    return db.queue_stats(session)


def get_job(session: Session, job_id: int, *, tenant: Tenant = LOCAL) -> dict[str, Any]:
    """A job's status and progress; NotFound for an unknown id (or another organisation's)."""
    job = _find(session, job_id, tenant)
    return job_view(job)


def _find(session: Session, job_id: int, tenant: Tenant) -> Job:
    """The tenant's job: NotFound for an unknown id, another organisation's, or (a tenant
    narrowed to teams) one that is not of one of its teams, alike."""
    job = db.get_job(session, job_id, tenant.organisation_id)
    if job is None or not tenant.sees_team(job.params.get("team_id")):
        raise NotFound(_("no job with id %(job)s", job=job_id))
    return job


def cancel_job(session: Session, job_id: int, *, tenant: Tenant = LOCAL) -> dict[str, Any]:
    """Cancel a queued or running job (its parts stop at their next chunk; what they stored
    stays); Conflict when it has already ended."""
    job = _find(session, job_id, tenant)
    if not db.cancel_job(session, job_id, tenant.organisation_id):
        raise Conflict(
            _("job %(job)s has already ended (%(status)s)", job=job_id, status=job.status)
        )
    session.refresh(job)
    return job_view(job)


def _never(_: BaseException) -> bool:
    return False


def run_rescore_part(
    scope: SessionScope,
    job_id: int,
    low: int,
    high: int,
    organisation_id: str = DEFAULT_ORGANISATION,
    *,
    will_retry: Callable[[BaseException], bool] = _never,
) -> None:
    """Rescore the calls with ids in [low, high] of a job of `organisation_id` (`scope`'s
    transactions are in it), CHUNK at a time, each chunk read,
    scored and stored in a transaction of its own; stops when the job is cancelled.

    A part that fails marks the job failed with the reason (what it stored stays), unless
    `will_retry` says the queue runs it again (a transient database error, retries left):
    then the job stays as it is, and the retry resumes where the part stopped, counting no
    call twice."""
    try:
        _rescore_part(scope, job_id, low, high, organisation_id)
    except Exception as exc:
        if will_retry(exc):
            name = exc.__class__.__name__
            log.warning("job %d: part [%d, %d] met %s; it runs again", job_id, low, high, name)
            raise
        with scope() as session:
            db.fail_job(session, job_id, f"{exc.__class__.__name__}: {exc}")
        raise


def _rescore_part(
    scope: SessionScope, job_id: int, low: int, high: int, organisation_id: str
) -> None:
    with scope() as session:
        job = db.get_job(session, job_id, organisation_id)
        if job is None or job.status not in db.ACTIVE:
            return
        if job.status == "queued":
            db.mark_running(session, job_id)
        params = dict(job.params)
        checklist = ChecklistFinder(session, Tenant(organisation_id)).for_request(
            ScoreIn(
                transcript=".", checklist=params["checklist"], checklist_version=params["version"]
            )
        )
    after = low - 1
    while True:
        with scope() as session:
            if db.job_status(session, job_id) not in db.ACTIVE:
                return
            ids = db.calls_to_rescore(session, params, after, high, CHUNK, organisation_id)
            texts = rescoring.read_calls(session, ids, checklist, organisation_id)
        if not ids:
            break
        after = ids[-1]
        # Scored with no transaction open: a worker the machine starves holds no lock and
        # meets no idle-in-transaction timeout.
        scored = rescoring.score_calls(texts, len(ids), checklist)
        with scope() as session:
            db.commit_without_flush_wait(session)  # its roll-up row locks go at once
            counts = rescoring.store_scores(session, scored, organisation_id)
            # Calls scored under the version before (a resumed part) were counted then.
            db.add_progress(session, job_id, counts.scored, counts.skipped)
    with scope() as session:
        db.finish_part(session, job_id)
