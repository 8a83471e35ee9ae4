"""Customer routes: the form, submitting a complaint, and its status page. Handlers stay thin."""
from __future__ import annotations

import uuid
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint

from ..domain.errors import NotFound
from ..domain.lifecycle import CUSTOMER_FACING
from ..domain.model import Channel, Event, IntakeMessage, Sender, Visibility
from ..domain.reference import is_reference, new_reference
from ..domain.tokens import access_token, same_text, token_matches
from ..observability import logger, metrics
from ..wiring import services
from . import pages
from .http import FORM, JSON, RequestInvalid, accepts_html, html_response, json_response, public_url, route
from .render import LANGUAGES, N_
from .schemas import ComplaintSubmission, ErrorResponse, PublicEvent, PublicStatus, StatusQuery, SubmissionAccepted

public_routes = Blueprint(__name__)


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
    now = services.clock.now()
    reference = new_reference(now)
    message = IntakeMessage(
        channel=Channel.WEB,
        channel_message_id=str(uuid.uuid4()),
        sender=Sender(name=body.name, email=body.email, phone=body.phone),
        subject=body.subject,
        text=body.description,
        received_at=now,
        language=body.language or _language(request.headers),
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
        return html_response(pages.submission_page(accepted, language), 202)
    return json_response(accepted, 202)


@route(
    public_routes, "/complaints/{reference}", "GET",
    summary="A complaint's status and public history, for the customer holding its access token",
    tag="customers", query=StatusQuery, html=True, responses={200: PublicStatus, 404: ErrorResponse},
)
def complaint_status(request: Any, reference: str, query: StatusQuery):
    status = customer_view(reference, query.token)
    if accepts_html(request.headers):
        return html_response(pages.status_page(status, pages.page_language(request), query.token))
    return json_response(status)


def customer_view(reference: str, token: str) -> PublicStatus:
    """The same 404 for an unknown reference and a wrong token, so neither leaks whether a complaint exists."""
    secret = services.token_secret
    hidden = NotFound("no complaint matches this reference and token")
    if not is_reference(reference) or not token:
        raise hidden
    complaint = services.repository.find(reference)
    if complaint is None:
        # A valid token proves we issued this reference: the complaint is still on the intake queue.
        if same_text(access_token(secret, reference), token):
            return PublicStatus(reference=reference, status="received", history=[])
        raise hidden
    if not token_matches(secret, reference, token, complaint.token_hash):
        raise hidden
    history = [
        PublicEvent(at=e.at, type=e.type, message=public_text(e))
        for e in services.repository.history(reference)
        if e.visibility == Visibility.PUBLIC
    ]
    return PublicStatus(
        reference=reference, status=complaint.status.value, subject=complaint.subject,
        created_at=complaint.created_at, updated_at=complaint.updated_at, history=history,
    )


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
