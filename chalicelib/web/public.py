"""Customer routes: the form, submitting a complaint, and its status page. Handlers stay thin."""
from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint, Response

from ..domain.errors import IllegalTransition, NotFound
from ..domain.lifecycle import CUSTOMER, CUSTOMER_FACING, Command
from ..domain.model import Channel, Complaint, Event, IntakeMessage, Sender, Status, Visibility
from ..domain.reference import is_reference, new_reference
from ..domain.tokens import access_token, same_text, token_matches
from ..i18n import LANGUAGES, N_, detect_language
from ..observability import logger, metrics
from ..wiring import services
from . import pages
from .http import (FORM, JSON, PAGE_HEADERS, RequestInvalid, accepts_html, html_response, json_response, parse_body,
                   public_url, route)
from .schemas import (ComplaintSubmission, CustomerReply, CustomerToken, ErrorResponse, PublicEvent, PublicStatus,
                      StatusQuery, SubmissionAccepted)

public_routes = Blueprint(__name__)
FORM_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


@route(public_routes, "/", "GET", summary="The complaint form", tag="customers", responses={200: None}, html=True)
def complaint_form(request: Any):
    chosen = (request.query_params or {}).get("lang")
    values = {"language": chosen} if chosen in LANGUAGES else {}  # posted back: the complaint's language too
    return html_response(pages.complaint_form(values, language=pages.page_language(request)))


@route(
    public_routes, "/complaints", "POST",
    summary="Submit a complaint (JSON or form-encoded); 202 with the reference and an access token",
    tag="customers", body=ComplaintSubmission, content_types=(JSON, FORM), html=True,
    responses={202: SubmissionAccepted, 400: ErrorResponse},
)
def submit_complaint(request: Any, body: ComplaintSubmission):
    if body.category and body.category not in dict(services.live_config.current().form_categories()):
        raise RequestInvalid({"category": "choose a category from the list, or leave it as 'Not sure'"})
    if accepts_html(request.headers):  # a person at a browser fixes the form now; an API client's text is screened
        _check_form(body)
    now = services.clock.now()
    reference = new_reference(now)
    message = IntakeMessage(
        channel=Channel.WEB,
        channel_message_id=str(uuid.uuid4()),
        sender=Sender(name=body.name, email=body.email, phone=body.phone),
        subject=body.subject,
        text=body.description,
        received_at=now,
        language=body.language or detect_language(f"{body.subject}\n{body.description}") or _language(request.headers),
        requested_category=body.category,
        reference=reference,
    )
    services.intake_queue.send(message)
    logger.set_correlation_id(reference)
    logger.info("complaint queued", extra={"channel": "web"})
    metrics.add_dimension(name="channel", value="web")
    metrics.add_metric(name="ComplaintsReceived", unit=MetricUnit.Count, value=1)
    token = access_token(services.token_secret, reference)
    accepted = SubmissionAccepted(
        reference=reference, status="received", status_url=_status_url(request, reference, token), access_token=token
    )
    if accepts_html(request.headers):
        language = pages.page_language(request, {"language": body.language})
        upload = _upload_form(request, reference, token, language)
        return html_response(pages.submission_page(accepted, language, upload), 202, _upload_headers(upload))
    return json_response(accepted, 202)


def _check_form(body: ComplaintSubmission) -> None:
    """What the form asks for beyond the API: a subject, and a description that describes a problem."""
    from ..triage.validity import check_validity  # on use: only a browser's form needs it here

    problems = {name: "required" for name in ("subject", "description") if not getattr(body, name).strip()}
    verdict = check_validity(body.description, body.subject)
    if "description" not in problems and not verdict.valid:
        problems["description"] = pages.NOT_A_COMPLAINT + (verdict.reason or "")
    if problems:
        raise RequestInvalid(problems)


@route(
    public_routes, "/complaints/{reference}", "GET",
    summary="A complaint's status and public history, for the customer holding its access token",
    tag="customers", query=StatusQuery, html=True, responses={200: PublicStatus, 404: ErrorResponse},
)
def complaint_status(request: Any, reference: str, query: StatusQuery):
    status = customer_view(reference, query.token)
    if accepts_html(request.headers):
        language = pages.page_language(request, {"language": status.language})
        upload = _upload_form(request, reference, query.token, language) if status.status in pages.REPLY_STATUSES else None
        page = pages.status_page(
            status, language, query.token, notice=(request.query_params or {}).get("notice"),
            upload=upload, pending=services.uploads.pending(reference) if upload else [], message_id=uuid.uuid4().hex,
            links=services.links)
        return html_response(page, headers=_upload_headers(upload))
    return json_response(status)


@route(public_routes, "/s/{code}", "GET", summary="A short link (in an SMS) to a complaint's page",
       tag="customers", html=True, responses={303: None, 404: ErrorResponse})
def short_link(request: Any, code: str):
    reference = services.links.reference_of(code)
    if reference is None:
        raise NotFound("this link is not one of ours, or it was cut short")
    return Response(body="", status_code=303, headers={"Location": services.links.status(reference),
                                                       "Content-Type": "text/html; charset=utf-8"})


@route(
    public_routes, "/complaints/{reference}/messages", "POST",
    summary="The customer writes again from their complaint's page, with the files uploaded for it; it continues "
            "the complaint as an e-mail or SMS reply does (202, or 303 back to the page from a browser)",
    tag="customers", body=CustomerReply, content_types=(JSON, FORM), html=True,
    responses={202: SubmissionAccepted, 400: ErrorResponse, 404: ErrorResponse},
)
def customer_reply(request: Any, reference: str, body: CustomerReply):
    complaint = customer_complaint(reference, body.token)
    back = _page_path(request, reference, body.token)
    if complaint is None or complaint.status.value not in pages.REPLY_STATUSES:
        return _back(request, back, "not_yet" if complaint is None else "closed", 409)
    message_id = body.message_id if FORM_ID.fullmatch(body.message_id or "") else uuid.uuid4().hex
    uploads = services.uploads
    files, pending = uploads.copy_for(reference, message_id) if uploads else ([], [])
    if not body.text.strip() and not files:
        return _back(request, back, "empty", 400)
    services.intake_queue.send(IntakeMessage(
        channel=Channel.WEB, channel_message_id=f"reply-{message_id}", sender=complaint.sender,
        subject=f"Re: {complaint.subject}", text=body.text.strip(), received_at=services.clock.now(),
        language=complaint.language, attachments=tuple(files), thread_reference=reference))
    if uploads:
        uploads.delete(pending)
    logger.info("customer wrote from the web", extra={"reference": reference, "files": len(files)})
    return _back(request, back, "sent", 202)


@route(public_routes, "/complaints/{reference}/solved", "POST",
       summary="The customer confirms a resolved complaint is solved: it is closed", tag="customers",
       body=CustomerToken, content_types=(JSON, FORM), html=True,
       responses={202: SubmissionAccepted, 404: ErrorResponse})
def customer_solved(request: Any, reference: str, body: CustomerToken):
    complaint = customer_complaint(reference, body.token)
    back = _page_path(request, reference, body.token)
    if complaint is None or complaint.status != Status.RESOLVED:
        return _back(request, back, "not_resolved", 409)
    try:
        services.complaint_service.perform(
            reference, Command("close", message="The customer confirmed that the problem is solved."), CUSTOMER)
    except IllegalTransition:
        return _back(request, back, "not_resolved", 409)
    return _back(request, back, "solved", 202)


@route(public_routes, "/complaints/{reference}/files", "GET",
       summary="Where S3 sends the browser after an upload: the file is checked by its content (a photo or a PDF, "
               "within the size limit), else deleted; then back to the complaint's page", tag="customers",
       html=True, responses={303: None, 404: ErrorResponse})
def uploaded_file(request: Any, reference: str):
    from ..adapters.web_uploads import UploadRefused, pending_prefix

    params = request.query_params or {}
    token, key = params.get("token", ""), params.get("key", "")
    customer_complaint(reference, token)
    back = _page_path(request, reference, token)
    if not key.startswith(pending_prefix(reference)) or services.uploads is None:
        return _back(request, back, "upload_missing", 303)
    try:
        services.uploads.check(key)
    except UploadRefused as refused:
        return _back(request, back, f"upload_{refused.code}", 303)
    return _back(request, back, "upload_ok", 303)


@route(public_routes, "/complaints/{reference}/files/remove", "POST",
       summary="The customer removes a file they uploaded but have not sent", tag="customers",
       body=CustomerToken, content_types=(FORM, JSON), html=True, responses={303: None, 404: ErrorResponse})
def remove_file(request: Any, reference: str, body: CustomerToken):
    customer_complaint(reference, body.token)
    key = parse_body(request).get("key", "")
    if services.uploads:
        services.uploads.remove(reference, key)
    back = _page_path(request, reference, body.token)
    return _back(request, back, "upload_removed", 303)


def _page_path(request: Any, reference: str, token: str) -> str:
    """The complaint's page, in the language of the page the customer came from."""
    form = parse_body(request) if request.method == "POST" else {}
    return f"/complaints/{reference}?{urlencode({'token': token, 'lang': pages.page_language(request, form)})}"


def _back(request: Any, path: str, notice: str, status: int) -> Response:
    """A browser goes back to the page, which says what happened; an API client gets the status and the notice."""
    if accepts_html(request.headers) or status == 303:
        return Response(body="", status_code=303, headers={
            "Location": public_url(request, f"{path}&notice={notice}#notice"), "Cache-Control": "no-store",
            "Content-Type": "text/html; charset=utf-8"})
    return json_response({"notice": notice}, status)


def _upload_form(request: Any, reference: str, token: str, language: str):
    if services.uploads is None:
        return None
    redirect = public_url(request, f"/complaints/{reference}/files?{urlencode({'token': token, 'lang': language})}")
    return services.uploads.form(reference, redirect)


def _upload_headers(form: Any) -> dict[str, str]:
    """The page's forms may post to the upload bucket (and nowhere else but here)."""
    if form is None:
        return {}
    origin = "/".join(form.url.split("/", 3)[:3])
    return {"Content-Security-Policy": PAGE_HEADERS["Content-Security-Policy"].replace(
        "form-action 'self'", f"form-action 'self' {origin}")}


def customer_complaint(reference: str, token: str) -> Complaint | None:
    """The complaint this token opens; None while it is still on the intake queue (a valid token proves we issued
    the reference). The same 404 for an unknown reference and a wrong token, so neither leaks whether a complaint
    exists."""
    secret = services.token_secret
    hidden = NotFound("no complaint matches this reference and token")
    if not is_reference(reference) or not token:
        raise hidden
    complaint = services.repository.find(reference)
    if complaint is None:
        if same_text(access_token(secret, reference), token):
            return None
        raise hidden
    if not token_matches(secret, reference, token, complaint.token_hash):
        raise hidden
    return complaint


def customer_view(reference: str, token: str) -> PublicStatus:
    complaint = customer_complaint(reference, token)
    if complaint is None:
        return PublicStatus(reference=reference, status="received", history=[])
    history = [
        PublicEvent(at=e.at, type=e.type, message=public_text(e),
                    author="customer" if e.type in CUSTOMER_EVENTS else "staff",
                    attachments=[str(a.get("name") or a.get("filename") or "") for a in e.data.get("attachments") or []])
        for e in services.repository.history(reference)
        if e.visibility == Visibility.PUBLIC
    ]
    reason = complaint.screening_reason if complaint.status == Status.INVALID else None
    return PublicStatus(
        reference=reference, status=complaint.status.value, subject=complaint.subject,
        created_at=complaint.created_at, updated_at=complaint.updated_at, description=complaint.description,
        language=complaint.language, duplicate_of=complaint.duplicate_of,
        reason=public_reason(reason) if reason else None, history=history,
    )


CUSTOMER_EVENTS = frozenset({"customer_message", "duplicate_received"})


def public_reason(reason: str) -> str:
    """A screening reason the customer may read: the validity screen's own words, never an internal error."""
    from ..domain.customer_messages import UNPROCESSABLE, invalid_reasons

    return UNPROCESSABLE if reason.startswith(UNPROCESSABLE) else reason if reason in invalid_reasons() else "other"


# What the customer reads for each public event. Staff text is shown only where it was written for the customer.
# The status page shows them in the customer's language (they are in the catalogs).
_PUBLIC_TEXT = {
    "acknowledge": N_("An agent has picked up your complaint."),
    "wait_on_customer": N_("We are waiting for your reply."),
    "resolve": N_("Your complaint has been resolved."),
    "close": N_("Your complaint has been closed."),
    "reopen": N_("Your complaint has been reopened."),
}


ACKNOWLEDGED = N_("We received your complaint and sent you an acknowledgement.")


def public_text(event: Event) -> str | None:
    if event.type in CUSTOMER_FACING and event.message:
        return event.message
    if event.type == "received" and (event.data or {}).get("acknowledgement"):
        return ACKNOWLEDGED  # issued with the stored complaint, sent right after
    return _PUBLIC_TEXT.get(event.type, event.message)


def _status_url(request: Any, reference: str, token: str) -> str:
    return public_url(request, f"/complaints/{reference}?token={token}")


def _language(headers: Any) -> str | None:
    accept = (headers.get("accept-language") or "").split(",")[0].split(";")[0].strip()
    return accept.split("-")[0].lower() or None if accept and accept != "*" else None
