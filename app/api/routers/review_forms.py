"""The call page's correction forms: POST /calls/{id}/corrections, plain HTML forms (no script).

The page offers them only when opened through a review share link (one made by a review or
admin key); each form carries the link's token in its action and a CSRF token bound to that
link in its body, so a page elsewhere cannot post with a link it does not hold. A correction
goes through the same service as POST /v1/calls/{id}/corrections, as the key that made the
link, and the answer is a 303 back to the page through the same link. A review key sent in a
header needs no CSRF token (no browser sends it by itself), as for the JSON API.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from app.api.auth import Authenticator
from app.api.correction_schemas import CorrectionIn
from app.api.deps import CallerDep, TenantDep, TxDep, require
from app.api.responses import problems
from app.api.routers.calls import CallId
from app.i18n import N_, _
from app.services import access, corrections, validation_words
from app.services.audit import audited
from app.services.corrections import NewCorrection
from app.services.errors import InvalidInput, UnsupportedMediaType

router = APIRouter(prefix="/calls", tags=["pages"], dependencies=[require("review")])
FORM = "application/x-www-form-urlencoded"
_FIELDS = 16
"""More fields than any form of the page has: a body of more is refused, not parsed."""
Op = Literal["correct", "undo", "review"]
_REASONS = {
    "integer": N_("a whole number"),
    "boolean": N_("true or false"),
    "span": N_("two whole numbers: start-end"),
    "op": N_("correct, undo or review"),
}


def _reason(kind: str) -> str:
    return _(_REASONS[kind])


def _invalid(field: str, reason: str) -> InvalidInput:
    return InvalidInput.at(
        f"/{field}",
        reason,
        _(
            "The correction was not saved: %(field)s must be %(reason)s.",
            field=field,
            reason=reason,
        ),
    )


def _integer(form: dict[str, str], field: str) -> int | None:
    value = form.get(field, "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise _invalid(field, _reason("integer"))
    return int(value)


def _boolean(form: dict[str, str], field: str) -> bool | None:
    value = form.get(field, "").strip()
    if not value:
        return None
    if value not in ("true", "false"):
        raise _invalid(field, _reason("boolean"))
    return value == "true"


def _span(form: dict[str, str]) -> tuple[int, int] | None:
    value = form.get("span", "").strip()
    if not value:
        return None
    start, _sep, end = value.partition("-")
    if not (start.isascii() and start.isdigit() and end.isascii() and end.isdigit()):
        raise _invalid("span", _reason("span"))
    if len(start) > 9 or len(end) > 9:
        raise _invalid("span", _reason("span"))
    return int(start), int(end)


def correction_of(form: dict[str, str]) -> NewCorrection:
    """The correction a form sends, checked as the JSON API checks one (422 naming the field,
    in the reader's language)."""
    text = {f: form[f] for f in ("target", "phrase", "item", "category", "note") if form.get(f)}
    fields: dict[str, Any] = {
        **text,
        "utterance": _integer(form, "utterance"),
        "span": _span(form),
        "valid": _boolean(form, "valid"),
        "passed": _boolean(form, "passed"),
    }
    try:
        c = CorrectionIn.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "target"
        raise _invalid(field, validation_words.reason(dict(first))) from None
    return c.new_correction()


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded body as one value per field (the last one given)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != FORM:
        raise UnsupportedMediaType(_("send the form as %(type)s", type=FORM))
    try:
        body = (await request.body()).decode()
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput(_("The form cannot be read: send it from the call page.")) from None
    return dict(pairs)


@router.post(
    "/{call_id}/corrections",
    summary="Correct a call from its page",
    status_code=303,
    response_class=Response,
    responses={
        303: {"description": "Saved: back to the call page, through the same link."},
        **problems(400, 403, 404, 409, 413, 415, 422, 503),
    },
)
async def correct_from_page(
    call_id: CallId, request: Request, caller: CallerDep, tenant: TenantDep, tx: TxDep
) -> Response:
    """One form of the call page: a correction (`target`, `utterance`, `span` start-end,
    `phrase`, `item`, `category`, `valid`, `passed`, `note`), `op=undo` with `correction`
    (its id), or `op=review` (reviewed, nothing to correct). Through a share link it needs
    the page's `csrf` token; 303 to the page."""
    form = await _form(request)
    page = back = f"/calls/{call_id}"
    if caller.share is not None:
        auth: Authenticator = request.app.state.auth
        secret = await auth.signing_secret(tenant.organisation_id, tx)
        access.check_csrf(secret, caller.share, form.get("csrf"))
        back += f"?share={quote(caller.share, safe='')}"
    op = form.get("op") or "correct"
    if op == "undo":
        correction = _integer(form, "correction")
        if correction is None:
            raise _invalid("correction", _reason("integer"))
        work: Any = audited(tenant, "call.correct", page, corrections.remove, call_id)
        await tx.run(work, call_id, correction, tenant)
    elif op == "review":
        work = audited(tenant, "call.review", page, corrections.review, call_id)
        await tx.run(work, call_id, tenant)
    elif op == "correct":
        wanted = [correction_of(form)]
        work = audited(tenant, "call.correct", page, corrections.add, call_id)
        await tx.run(work, call_id, wanted, tenant)
    else:
        raise _invalid("op", _reason("op"))
    return Response(status_code=303, headers={"Location": back})
