"""Server-rendered pages for customers: accessible, mobile-friendly, no JavaScript. Every value is escaped."""
from __future__ import annotations

from html import escape
from typing import Any, Mapping

from ..domain.stages import DEFAULT_CATEGORIES
from .schemas import ErrorResponse, PublicStatus, SubmissionAccepted

_STYLE = """
body{font:1rem/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}
main{max-width:40rem;margin:0 auto;padding:1rem 1.25rem 3rem;background:#fff;min-height:100vh}
h1{font-size:1.6rem;margin-top:.5rem}label{display:block;font-weight:600;margin-top:1rem}
input,select,textarea{width:100%;box-sizing:border-box;font:inherit;padding:.6rem;border:2px solid #5c5c5c;border-radius:4px}
input[type=checkbox]{width:auto;margin-right:.5rem;transform:scale(1.3)}
.check{display:flex;align-items:flex-start;font-weight:400}
:focus{outline:3px solid #ffbf47;outline-offset:1px}
.hint{color:#505a5f;font-weight:400;font-size:.95rem}.err{color:#b10e1e;font-weight:600}
[aria-invalid=true]{border-color:#b10e1e}
.summary{border:4px solid #b10e1e;padding:1rem;margin:1rem 0}
button{margin-top:1.5rem;font:inherit;font-weight:600;padding:.75rem 1.5rem;border:0;border-radius:4px;background:#00703c;color:#fff}
.ref{font-size:1.4rem;font-weight:700;letter-spacing:.05em}ol.history{padding-left:1.2rem}
"""


def _page(title: str, body: str, lang: str = "en") -> str:
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main id="main">{body}</main></body></html>'
    )


_FIELDS = (
    # name, label, hint, input html (with {attrs})
    ("name", "Your name", "", '<input id="name" name="name" autocomplete="name" maxlength="200" required {attrs}>'),
    ("email", "E-mail", "We reply here. Give an e-mail or a phone number.",
     '<input id="email" name="email" type="email" autocomplete="email" maxlength="254" {attrs}>'),
    ("phone", "Phone (optional)", "International format, e.g. +44 20 7946 0958.",
     '<input id="phone" name="phone" type="tel" autocomplete="tel" maxlength="32" {attrs}>'),
    ("subject", "Subject", "", '<input id="subject" name="subject" maxlength="200" required {attrs}>'),
    ("description", "What happened?", "Include dates, order numbers and amounts if you can.",
     '<textarea id="description" name="description" rows="8" maxlength="5000" required {attrs}>{value}</textarea>'),
)


def complaint_form(values: Mapping[str, Any] | None = None, errors: Mapping[str, str] | None = None) -> str:
    values, errors = values or {}, errors or {}
    parts = ["<h1>Make a complaint</h1>",
             "<p>Tell us what went wrong. We reply with a reference so you can follow your complaint.</p>"]
    if errors:
        items = "".join(f'<li><a href="#{escape(f)}">{escape(f)}: {escape(m)}</a></li>' for f, m in errors.items())
        parts.append(
            '<div class="summary" role="alert" aria-labelledby="error-title">'
            f'<h2 id="error-title">There is a problem</h2><ul>{items}</ul></div>'
        )
    parts.append('<form method="post" action="complaints" accept-charset="utf-8" novalidate>')
    for name, label, hint, control in _FIELDS:
        described = []
        parts.append(f'<label for="{name}">{escape(label)}</label>')
        if hint:
            parts.append(f'<div class="hint" id="{name}-hint">{escape(hint)}</div>')
            described.append(f"{name}-hint")
        if name in errors:
            parts.append(f'<div class="err" id="{name}-error">{escape(errors[name])}</div>')
            described.append(f"{name}-error")
        value = str(values.get(name) or "")
        attrs = f'value="{escape(value)}"' if name != "description" else ""
        if described:
            attrs += f' aria-describedby="{" ".join(described)}"'
        if name in errors:
            attrs += ' aria-invalid="true"'
        parts.append(control.format(attrs=attrs, value=escape(value)))
    options = ['<option value="">Not sure</option>'] + [
        f'<option value="{c}"{" selected" if values.get("category") == c else ""}>{c.replace("_", " ").capitalize()}</option>'
        for c in DEFAULT_CATEGORIES
    ]
    parts.append(f'<label for="category">Category (optional)</label><select id="category" name="category">{"".join(options)}</select>')
    consent_error = f'<div class="err" id="consent-error">{escape(errors["consent"])}</div>' if "consent" in errors else ""
    parts.append(
        f'<fieldset style="border:0;padding:0;margin-top:1rem"><legend class="hint">Consent</legend>{consent_error}'
        '<label class="check" for="consent"><input type="checkbox" id="consent" name="consent" value="true" required>'
        "I agree that you store and process this complaint to handle it.</label></fieldset>"
        '<button type="submit">Send complaint</button></form>'
    )
    return _page("Make a complaint", "".join(parts))


def submission_page(accepted: SubmissionAccepted) -> str:
    body = (
        "<h1>Thank you: we have your complaint</h1>"
        f'<p>Your reference is <span class="ref">{escape(accepted.reference)}</span>.</p>'
        "<p>Keep this page's link: it is the only way to see your complaint's status without signing in.</p>"
        f'<p><a href="{escape(accepted.status_url)}">See the status of your complaint</a></p>'
    )
    return _page(f"Complaint {accepted.reference} received", body)


_STATUS_TEXT = {
    "received": "Received: we are registering it",
    "new": "Registered: waiting for an agent",
    "acknowledged": "Acknowledged: an agent is looking at it",
    "in_progress": "In progress",
    "waiting_on_customer": "Waiting for your reply",
    "resolved": "Resolved",
    "closed": "Closed",
    "invalid": "Not registered: it did not contain a complaint",
    "spam": "Held for review",
}


def status_page(status: PublicStatus) -> str:
    rows = "".join(
        f'<li><time datetime="{e.at.isoformat()}">{e.at:%Y-%m-%d %H:%M} UTC</time>: {escape(e.message or e.type)}</li>'
        for e in status.history
    )
    subject = f"<p>Subject: {escape(status.subject)}</p>" if status.subject else ""
    body = (
        f'<h1>Complaint <span class="ref">{escape(status.reference)}</span></h1>{subject}'
        f"<p><strong>Status:</strong> {escape(_STATUS_TEXT.get(status.status, status.status))}</p>"
        f'<h2>History</h2><ol class="history">{rows or "<li>Nothing yet.</li>"}</ol>'
    )
    return _page(f"Complaint {status.reference}", body)


def error_page(status: int, error: ErrorResponse, submitted: Mapping[str, Any] | None = None) -> str:
    if status == 400 and error.fields:
        return complaint_form(values=submitted, errors=error.fields)
    body = f"<h1>{escape(error.message)}</h1><p><a href=\"/\">Make a complaint</a></p>"
    return _page("Not found" if status == 404 else "Error", body)
