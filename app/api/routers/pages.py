"""Pages for people: GET /calls/{id}, a stored call as one printable HTML page."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.api.deps import SettingsDep, TenantDep, TxDep, require
from app.api.responses import problems
from app.api.routers.calls import CallId
from app.services import call_page
from app.services.audit import audited

router = APIRouter(prefix="/calls", tags=["pages"], dependencies=[require("read")])


@router.get(
    "/{call_id}",
    summary="Call page",
    response_class=HTMLResponse,
    responses={
        200: {"description": "The call page.", "content": {"text/html": {}}},
        **problems(404, 422, 503),
    },
)
async def call_page_html(
    call_id: CallId, tx: TxDep, settings: SettingsDep, tenant: TenantDep
) -> HTMLResponse:
    """The whole transcript with each question marked by category and each forbidden phrase
    struck through beside its replacement; the items with links to their evidence; score,
    grade and talk metrics. Links are absolute when CALLQA_PUBLIC_URL is set."""
    read = audited(tenant, "call.read", f"/calls/{call_id}", call_page.load_call, call_id)
    call = await tx.run(read, call_id, tenant)
    page = await tx.in_thread(partial(call_page.render_call_page, call, settings.base_url))
    return HTMLResponse(page)
