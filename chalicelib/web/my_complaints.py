"""\"My complaints\": a customer asks for a sign-in link for their e-mail address or phone number, opens it (a button
press, so a mail scanner that fetches links does not use it up), and sees every complaint of that contact across
channels. Handlers stay thin: the codes and sessions are chalicelib/domain/customer_access.py's."""
from __future__ import annotations

import uuid
from typing import Any

from chalice import Blueprint, Response

from ..domain.customer_access import LINK_LIFETIME, SESSION_LIFETIME, Contact
from ..domain.customer_messages import sign_in_message
from ..i18n import N_, gettext_for
from ..observability import logger
from ..wiring import services
from . import pages
from .http import FORM, JSON, RequestInvalid, html_response, parse_body, public_url, route
from .render import render
from .sessions import cookie_header, cookie_value, secure_cookies

my_routes = Blueprint(__name__)
COOKIE = "customer_session"
LISTED = 50  # newest complaints shown; each contact's index is read at most this far


@route(my_routes, "/my", "GET", summary="Ask for a sign-in link to see all your complaints", tag="customers",
       html=True, responses={200: None})
def ask_for_link(request: Any):
    if _contact(request) is not None:
        return _redirect(request, "/my/complaints")
    return _page(request, "customer/my_ask.html", values={}, errors={})


@route(my_routes, "/my/link", "POST", summary="Send a sign-in link to an e-mail address or phone number that has "
       "complaints (the page says the same whether it has or not). Form field `contact`; one that is neither an "
       "e-mail address nor a phone number that exists is a 400 page that says so", tag="customers",
       content_types=(FORM, JSON), html=True, responses={200: None, 400: None})
def send_link(request: Any):
    typed = str(_form(request).get("contact") or "").strip()
    contact = _parse_contact(typed)
    if contact is None:
        return _page(request, "customer/my_ask.html", 400, values={"contact": typed}, errors={"contact": _(request, N_(
            "Enter the e-mail address or mobile number you used, like name@example.com or +44 7700 900123"))})
    if services.repository.for_customer(contact.email, contact.phone, limit=1) and _within_limit(contact):
        _send(request, contact)
    return _page(request, "customer/my_sent.html", contact=typed, minutes=int(LINK_LIFETIME.total_seconds() // 60))


@route(my_routes, "/my/sign-in", "GET", summary="The sign-in link's page: a button that uses the link",
       tag="customers", html=True, responses={200: None})
def open_link(request: Any):
    return _page(request, "customer/my_continue.html", code=(request.query_params or {}).get("code", ""))


@route(my_routes, "/my/sign-in", "POST", summary="Use a sign-in link (once): a session cookie, then the list. Form "
       "field `code`; a code that is unknown, used or expired is a 400 page that offers a new link",
       tag="customers", content_types=(FORM, JSON), html=True, responses={303: None, 400: None})
def use_link(request: Any):
    redeemed = services.customer_access.redeem(str(_form(request).get("code") or ""))
    if redeemed is None:
        return _page(request, "customer/my_ask.html", 400, values={}, errors={}, expired=True)
    secret = redeemed[0]
    cookie = cookie_header(COOKIE, secret, secure_cookies(), int(SESSION_LIFETIME.total_seconds()))
    return _redirect(request, "/my/complaints", cookie)


@route(my_routes, "/my/complaints", "GET", summary="Every complaint of the signed-in customer's e-mail or phone",
       tag="customers", html=True, responses={200: None, 303: None})
def list_complaints(request: Any):
    contact = _contact(request)
    if contact is None:
        return _redirect(request, "/my")
    complaints = services.repository.for_customer(contact.email, contact.phone, limit=LISTED)
    language = _language(request)
    rows = [(c, services.links.status(c.reference) + f"&lang={language}",
             _(request, pages.STATUS_TEXT.get(c.status.value, c.status.value))) for c in complaints]
    return _page(request, "customer/my_list.html", rows=rows, contact=contact.email or contact.phone)


@route(my_routes, "/my/sign-out", "POST", summary="End the customer's session", tag="customers",
       content_types=(FORM, JSON), html=True, responses={303: None})
def sign_out(request: Any):
    services.customer_access.end(cookie_value(request.headers, COOKIE))
    return _redirect(request, "/my", cookie_header(COOKIE, "", secure_cookies(), 0))


def _parse_contact(typed: str) -> Contact | None:
    from ..phones import normalize_phone
    from .schemas import normalize_email

    try:
        return Contact(email=normalize_email(typed)) if "@" in typed else Contact(phone=normalize_phone(typed))
    except ValueError:
        return None


def _within_limit(contact: Contact) -> bool:
    day = f"{services.clock.now():%Y-%m-%d}"
    return services.sign_in_limiter.allow(f"sign-in:{contact.email or contact.phone}", day, uuid.uuid4().hex)


def _send(request: Any, contact: Contact) -> None:
    from ..adapters.notifiers import OutgoingMessage

    code = services.customer_access.issue_link(contact)
    words = sign_in_message(public_url(request, f"/my/sign-in?code={code}"), int(LINK_LIFETIME.total_seconds() // 60),
                            contact.channel, _language(request))
    services.transport.deliver(OutgoingMessage("", "sign_in", contact.channel, contact.email or contact.phone or "",
                                               words.subject, words.text, 0))
    logger.info("sign-in link sent", extra={"channel": contact.channel})


def _contact(request: Any) -> Contact | None:
    return services.customer_access.contact(cookie_value(request.headers, COOKIE))


def _page(request: Any, template: str, status: int = 200, **context: Any) -> Response:
    page = render(template, _language(request),
                  root=public_url(request, ""), here=public_url(request, "/my"), query={}, **context)
    return html_response(page, status, {"Cache-Control": "no-store"})


def _redirect(request: Any, path: str, cookie: str | None = None) -> Response:
    headers = {"Location": public_url(request, path), "Cache-Control": "no-store",
               "Content-Type": "text/html; charset=utf-8"}
    if cookie:
        headers["Set-Cookie"] = cookie
    return Response(body="", status_code=303, headers=headers)


def _(request: Any, text: str) -> str:
    return gettext_for(_language(request))(text)


def _language(request: Any) -> str:
    return pages.page_language(request, _form(request))


def _form(request: Any) -> dict[str, Any]:
    try:
        return parse_body(request) if request.method == "POST" else {}
    except RequestInvalid:
        return {}

