"""Pages for people: GET /calls/{id}, a stored call as one printable HTML page."""

from __future__ import annotations

from functools import partial
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.api.auth import Authenticator
from app.api.deps import CallerDep, SettingsDep, TenantDep, TxDep, require
from app.api.responses import problems
from app.api.routers.calls import CallId
from app.services import access, call_page
from app.services.audit import audited
from app.services.call_page import ReviewForms

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
    call_id: CallId,
    request: Request,
    tx: TxDep,
    settings: SettingsDep,
    tenant: TenantDep,
    caller: CallerDep,
) -> HTMLResponse:
    """The whole transcript with each question marked by category and each forbidden phrase
    struck through beside its replacement; the items with links to their evidence; score,
    grade and talk metrics. Links are absolute when CALLQA_PUBLIC_URL is set. Opened through
    a review share link, it also offers the corrections as plain forms."""
    read = audited(tenant, "call.read", f"/calls/{call_id}", call_page.load_call, call_id)
    call = await tx.run(read, call_id, tenant)
    forms = None
    if caller.share is not None and caller.reviews_by_link:
        auth: Authenticator = request.app.state.auth
        secret = await auth.signing_secret(tenant.organisation_id, tx)
        action = (
            f"{settings.base_url}/calls/{call_id}/corrections?share={quote(caller.share, safe='')}"
        )
        forms = ReviewForms(action, access.csrf_token(secret, caller.share))
    render = partial(call_page.render_call_page, call, settings.base_url, forms)
    return HTMLResponse(await tx.in_thread(render))
