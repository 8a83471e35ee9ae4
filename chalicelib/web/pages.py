"""Customer pages: the complaint form, the page after sending it, the status page and the error page. Accessible,
mobile-friendly, no JavaScript. Each function gathers what its template (templates/customer/) shows, in English or
Chinese; the templates escape every value."""
from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from .render import N_, gettext_for, negotiate, render
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
}
# What the customer reads for a validation message of the API, by field (other messages are shown as they are).
_FIELD_TEXT = {
    "name": N_("Enter your name"),
    "email": N_("Enter an e-mail address in the right format, like name@example.com"),
    "phone": N_("Enter a phone number in international format, like +44 20 7946 0958"),
    "category": N_("Choose a category from the list"),
    "consent": N_("Tick the box to agree that we store and process your complaint"),
}
NO_CONTACT = "give an e-mail address or a phone number so we can reply"  # schemas.ComplaintSubmission's own check
_TOO_LONG = re.compile(r"at most (\d+) characters")


def page_language(request: Any, form: Mapping[str, Any] | None = None) -> str:
    """The `lang` query parameter or the form's `language` field, if we have it; else the browser's language."""
    asked = ((request.query_params or {}).get("lang"), (form or {}).get("language"))
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
                  errors=customer_errors(errors or {}, language),
                  categories=offered_categories(language) if categories is None else categories, here="./")


def customer_errors(errors: Mapping[str, str], language: str) -> dict[str, str]:
    """The API's field messages in plain words and in `language`, by the id of the field they are about."""
    text = gettext_for(language)
    plain: dict[str, str] = {}
    for field, message in errors.items():
        if message == NO_CONTACT:
            field, message = "email", text(N_("Enter an e-mail address or a phone number so we can reply"))
        elif limit := _TOO_LONG.search(message):
            message = text(N_("Use %(count)s characters or fewer")) % {"count": limit.group(1)}
        elif field in _FIELD_TEXT:
            message = text(_FIELD_TEXT[field])
        plain.setdefault(field, message)
    return plain


def submission_page(accepted: SubmissionAccepted, language: str = "en") -> str:
    return render("customer/submitted.html", language, accepted=accepted,
                  status_url=f"{accepted.status_url}&lang={language}")


def status_page(status: PublicStatus, language: str = "en", token: str = "") -> str:
    """The status and public history. A history line in the catalog (our own fixed texts) is translated; what an
    agent wrote is shown as written."""
    text = gettext_for(language)
    history = [(e.at, text(e.message) if e.message else e.type) for e in status.history]
    return render("customer/status.html", language, status=status, history=history,
                  status_text=text(STATUS_TEXT.get(status.status, status.status)), here="", query={"token": token})


def error_page(status: int, error: ErrorResponse, submitted: Mapping[str, Any] | None = None,
               language: str = "en") -> str:
    if status == 400 and error.fields:
        return complaint_form(values=submitted, errors=error.fields, language=language)
    return render("customer/error.html", language, status=status, message=error.message)
