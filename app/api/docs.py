"""What /docs and /redoc show: tag descriptions. Their scripts come from the pinned
`fastapi-offline` package and are served by callqa itself, so the pages work without internet."""

from __future__ import annotations

from typing import Any

OPENAPI_TAGS: list[dict[str, Any]] = [
    {
        "name": "calls",
        "description": "Ingest transcripts (one, or a batch of up to 1,000): each is scored "
        "against its checklist and stored; read stored calls back with their score, evidence "
        "and utterances.",
    },
    {
        "name": "scoring",
        "description": "Score a transcript without storing it (a dry run), and list the "
        "formats and checklists the engine reads.",
    },
    {
        "name": "checklists",
        "description": "Checklists as data: versions, the latest of each, and which one a team "
        "or the whole company scores with.",
    },
    {
        "name": "trends",
        "description": "Per-manager and per-team series by day, week or month, leaderboards, "
        "the most frequent forbidden phrases, and the trainer report (JSON, HTML, CSV).",
    },
    {
        "name": "calibration",
        "description": "Reviewers correct calls (corrections sit beside the machine's answers); "
        "calibration measures the machine against them: precision, recall, agreement, kappa.",
    },
    {
        "name": "webhooks",
        "description": "Receivers told when a call is scored or red, a violation is found or "
        "a job ends: signed JSON POSTs, retried for a day, with a delivery log.",
    },
    {
        "name": "pages",
        "description": "HTML pages for people: a stored call with its marked transcript, "
        "evidence, score and metrics; printable, with no script.",
    },
    {
        "name": "health",
        "description": "Liveness (/healthz) and readiness (/readyz) for orchestrators.",
    },
]
