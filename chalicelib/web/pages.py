"""Customer pages: the complaint form, the page after sending it, the status page and the error page. Accessible,
mobile-friendly, no JavaScript. Each function gathers what its template (templates/customer/) shows, in English or
Chinese; the templates escape every value."""
from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any, Mapping, Sequence

from ..domain.customer_messages import outcome_text
from ..i18n import N_, gettext_for, negotiate
from .render import render
from .schemas import ErrorResponse, PublicStatus, SubmissionAccepted

STATUS_TEXT = {
    "received": N_("Received: we are registering it"),
    "new": N_("Registered: waiting for an agent"),
    "acknowledged": N_("Acknowledged: an agent is looking at it"),
    "in_progress": N_("In progress"),
    "waiting_on_customer": N_("Waiting for your reply"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "invalid": N_("Not registered: it did not contain a complaint"),
    "spam": N_("Held for review"),
    "duplicate": N_("Joined to your earlier complaint"),
}
# What the customer reads for a validation message of the API, by field (other messages are shown as they are).
_FIELD_TEXT = {
    "name": N_("Enter your name"),
    "email": N_("Enter an e-mail address in the right format, like name@example.com"),
    "phone": N_("Enter a phone number in international format, like +44 20 7946 0958"),
    "category": N_("Choose a category from the list"),
    "consent": N_("Tick the box to agree that we store and process your complaint"),
}
# What the form asks for that the JSON API leaves to screening (a browser's customer can fix it at once).
_MISSING = {
    "name": N_("Enter your name"),
    "email": N_("Enter an e-mail address or a phone number so we can reply"),
    "subject": N_('Enter a subject: a few words, like "Parcel not delivered"'),
    "description": N_("Tell us what happened"),
    "consent": N_("Tick the box to agree that we store and process your complaint"),
}
FORM_ORDER = ("name", "email", "phone", "subject", "description", "category", "consent")
NO_CONTACT = "give an e-mail address or a phone number so we can reply"  # schemas.ComplaintSubmission's own check
NOT_A_COMPLAINT = "not_a_complaint: "  # + the validity screen's reason (in the catalogs)
_TOO_LONG = re.compile(r"at most (\d+) characters")


def page_language(request: Any, form: Mapping[str, Any] | None = None) -> str:
    """The `lang` query parameter or form field (the page's language switch), or the form's `language` (the
    customer's choice, or their complaint's language), if we have it; else the browser's language."""
    asked = ((request.query_params or {}).get("lang"), (form or {}).get("lang"), (form or {}).get("language"))
    return negotiate(request.headers.get("accept-language"), asked)


def offered_categories(language: str) -> list[tuple[str, str]]:
    """The categories the configuration in force offers on the form, named in `language`."""
    from ..wiring import services

    return services.live_config.current().form_categories(language)


def complaint_form(values: Mapping[str, Any] | None = None, errors: Mapping[str, str] | None = None,
                   categories: Sequence[tuple[str, str]] | None = None, language: str = "en") -> str:
    """The form. `categories`: the select's (value, label) pairs, labels in `language`; default: those in force.
    A `language` value (the language the customer chose) is posted back in a hidden field."""
    return render("customer/complaint_form.html", language, values=values or {},
                  errors=customer_errors(errors or {}, language, values if errors else None),
                  categories=offered_categories(language) if categories is None else categories, here="./")


def customer_errors(errors: Mapping[str, str], language: str,
                    submitted: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The API's field messages in plain words and in `language`, by the id of the field they are about, in the
    form's order; with `submitted`, every field the form needs and did not get is named too (on the first try)."""
    text = gettext_for(language)
    plain: dict[str, str] = {}
    for field, message in errors.items():
        if message == NO_CONTACT or field == "body" and NO_CONTACT in message:
            field, message = "email", text(_MISSING["email"])
        elif message.startswith(NOT_A_COMPLAINT):
            message = text(N_("Describe the problem in a few words. %(why)s")) % {
                "why": text(message.removeprefix(NOT_A_COMPLAINT))}
        elif limit := _TOO_LONG.search(message):
            message = text(N_("Use %(count)s characters or fewer")) % {"count": limit.group(1)}
        elif field in _FIELD_TEXT:
            message = text(_FIELD_TEXT[field])
        plain.setdefault(field, message)
    for field in missing_fields(submitted) if submitted is not None else ():
        plain.setdefault(field, text(_MISSING[field]))
    return {field: plain[field] for field in sorted(plain, key=_form_position)}


def missing_fields(submitted: Mapping[str, Any]) -> list[str]:
    """The form's required fields left blank (e-mail stands for "e-mail or phone")."""
    blank = [name for name in ("name", "subject", "description") if not str(submitted.get(name) or "").strip()]
    if not str(submitted.get("email") or "").strip() and not str(submitted.get("phone") or "").strip():
        blank.append("email")
    if str(submitted.get("consent") or "").strip().lower() not in ("true", "on", "1", "yes"):
        blank.append("consent")
    return blank


def _form_position(field: str) -> int:
    return FORM_ORDER.index(field) if field in FORM_ORDER else len(FORM_ORDER)


def submission_page(accepted: SubmissionAccepted, language: str = "en", upload: Any = None) -> str:
    return render("customer/submitted.html", language, accepted=accepted, upload=upload,
                  status_url=f"{accepted.status_url}&lang={language}")


# What the customer's page says after they did something there: (text, whether it is an error).
NOTICES = {
    "sent": (N_("Thank you: your message was sent. We will reply soon."), False),
    "empty": (N_("Write a message or add a file before you send."), True),
    "closed": (N_("This complaint is closed. To tell us about a new problem, make a new complaint."), True),
    "not_yet": (N_("We are still registering your complaint. Try again in a minute."), True),
    "solved": (N_("Thank you: we have closed your complaint."), False),
    "not_resolved": (N_("This complaint is not waiting for your confirmation."), True),
    "upload_ok": (N_("Your file is ready. Write your message below and select Send."), False),
    "upload_wrong_type": (N_("The file must be a photo (JPEG, PNG or HEIC) or a PDF."), True),
    "upload_too_large": (N_("The file must be smaller than 10 MB."), True),
    "upload_empty": (N_("The file is empty. Choose another one."), True),
    "upload_missing": (N_("The upload did not finish. Try again."), True),
    "upload_removed": (N_("The file was removed."), False),
}


def status_page(status: PublicStatus, language: str = "en", token: str = "", notice: str | None = None,
                upload: Any = None, pending: Sequence[Any] = (), message_id: str = "", links: Any = None) -> str:
    """The complaint's page: its status (an outcome in the words of the acknowledgement), the customer's text, the
    conversation, and the reply box with uploads. Our own fixed texts are translated; what people wrote is shown
    as written."""
    text = gettext_for(language)
    history = [SimpleNamespace(at=e.at, author=e.author, attachments=e.attachments,
                               text=text(e.message) if e.message else "") for e in status.history]
    outcome = outcome_text(status.status, status.reference, status.reason, status.duplicate_of, text)
    said, is_error = NOTICES.get(notice or "", (None, False))
    return render("customer/status.html", language, status=status, history=history, token=token,
                  status_text=text(STATUS_TEXT.get(status.status, status.status)), outcome=outcome,
                  original_url=links.status(status.duplicate_of) if links and status.duplicate_of else None,
                  notice=text(said) if said else None, notice_is_error=is_error, upload=upload, pending=pending,
                  message_id=message_id, replies_open=status.status in REPLY_STATUSES,
                  here="", query={"token": token})


REPLY_STATUSES = frozenset({"new", "acknowledged", "in_progress", "waiting_on_customer", "resolved"})


def error_page(status: int, error: ErrorResponse, submitted: Mapping[str, Any] | None = None,
               language: str = "en") -> str:
    if status == 400 and error.fields:
        return complaint_form(values=submitted, errors=error.fields, language=language)
    return render("customer/error.html", language, status=status, message=error.message)
