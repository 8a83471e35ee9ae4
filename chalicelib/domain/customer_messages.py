"""The words of every message we send a customer, in their language (English or Chinese, through the catalogs)
and shaped for the channel: the acknowledgement of each intake outcome with the link to the complaint's page, the
framing of a staff reply, the survey invitation, the sign-in link to "my complaints", and the answers to SMS
keywords. The customer's pages show an outcome in the same words (`outcome_text`)."""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from ..i18n import N_, gettext_for
from .model import Complaint, Status
from .reference import is_reference
from .tokens import access_token

UNPROCESSABLE = "unprocessable"  # the start of the screening reason of a message that could not be processed
SHORT_CODE_LENGTH = 10  # characters of the short link's HMAC: 50 bits


@dataclass(frozen=True)
class Message:
    subject: str  # e-mail only
    text: str


@dataclass(frozen=True)
class CustomerLinks:
    """The customer's links to a complaint's page: the full one (with its access token) for e-mail and pages, and
    a short one on our own domain for SMS, which redirects to the full one."""

    base_url: str
    secret: bytes

    def status(self, reference: str) -> str:
        return f"{self.base_url.rstrip('/')}/complaints/{reference}?token={access_token(self.secret, reference)}"

    def short(self, reference: str) -> str:
        return f"{self.base_url.rstrip('/')}/s/{short_code(self.secret, reference)}"

    def reference_of(self, code: str) -> str | None:
        """The reference a short code stands for, if the code is ours (constant-time check)."""
        code = (code or "").upper()
        reference = f"CMP-{code[:8]}-{code[8:13]}"
        if len(code) != 13 + SHORT_CODE_LENGTH or not is_reference(reference):
            return None
        return reference if hmac.compare_digest(short_code(self.secret, reference), code) else None


def short_code(secret: bytes, reference: str) -> str:
    """The reference's date and suffix, then an HMAC of it in base32: 23 characters, case-insensitive."""
    digest = hmac.new(secret, f"short-link:{reference}".encode(), hashlib.sha256).digest()
    return reference[4:].replace("-", "") + base64.b32encode(digest).decode()[:SHORT_CODE_LENGTH]


def invalid_reasons() -> frozenset[str]:
    """Why a message was not registered, as the validity screen says it (in the catalogs). Loaded on use: the
    screen's rules are not needed at the API's cold start."""
    from ..triage.validity import REASONS

    return frozenset(REASONS.values())


def outcome_text(status: str, reference: str, reason: str | None, duplicate_of: str | None,
                 _: Callable[[str], str]) -> str | None:
    """What happened to a message that is not an ordinary complaint (duplicate, not registered, held as spam), in
    the words the acknowledgement and the customer's page share; None for an ordinary complaint."""
    if status == Status.DUPLICATE.value and duplicate_of:
        return _("We already have your complaint %(original)s about this, so we have added your message to it. "
                 "Please keep using the reference %(original)s.") % {"original": duplicate_of}
    if status == Status.INVALID.value and (reason or "").startswith(UNPROCESSABLE):
        return _("We received your message but could not process it automatically. Our team will look at it.")
    if status == Status.INVALID.value:
        why = _(reason) if reason in invalid_reasons() else _("It does not describe a problem we can look into.")
        return _("We could not register your message as a complaint. %(why)s Please write again with a short "
                 "description of the problem.") % {"why": why}
    if status == Status.SPAM.value:
        return _("Your message is being checked by a person before we register it.")
    return None


def message(complaint: Complaint, kind: str, text: str, channel: str, links: CustomerLinks | None) -> Message:
    """The message of `kind` about `complaint`, in the complaint's language. `text` is what staff wrote (or the
    survey's invitation); an acknowledgement is worded here from the complaint's outcome."""
    _ = gettext_for(complaint.language)
    values = {"reference": complaint.reference, "subject": complaint.subject}
    if kind == "acknowledgement":
        return _acknowledgement(complaint, channel, links, _)
    if kind == "survey":
        return Message(_("How did we do?"), text)
    if channel == "sms" or links is None:
        return Message(_("Re: %(subject)s") % values, text)
    footer = _("See your complaint, add photos or reply online: %(link)s") % {"link": links.status(complaint.reference)}
    return Message(_("Re: %(subject)s") % values, f"{text.rstrip()}\n\n--\n{footer}")


def _acknowledgement(complaint: Complaint, channel: str, links: CustomerLinks | None,
                     _: Callable[[str], str]) -> Message:
    reference = complaint.duplicate_of if complaint.status == Status.DUPLICATE and complaint.duplicate_of \
        else complaint.reference
    values = {"reference": complaint.reference, "subject": complaint.subject}
    outcome = outcome_text(complaint.status.value, complaint.reference, complaint.screening_reason,
                           complaint.duplicate_of, _)
    if channel == "sms":
        opening = f"{outcome} {_('Reference: %(reference)s') % values}" if outcome else \
            _("We received your complaint %(reference)s.") % values
        follow = _(" Follow it here: %(link)s") % {"link": links.short(reference)} if links else ""
        return Message("", opening + follow)
    if outcome:
        subject = _("About your message")
        thanks, about = _("Thank you for writing to us."), _("Reference: %(reference)s") % values
        text = f"{thanks} {outcome}\n\n{about}"
    else:
        subject = _("We received your complaint")
        text = _("Thank you, we have received your complaint \"%(subject)s\". Your reference is %(reference)s. "
                 "We will reply as soon as we can.") % values
    if links:
        text += "\n\n" + _("Follow your complaint, add photos or reply online: %(link)s") % {
            "link": links.status(reference)}
    return Message(subject, text)


def survey_invitation(reference: str, link: str, expires_at: datetime, language: str | None) -> str:
    _ = gettext_for(language)
    return _("How did we do with your complaint %(reference)s? Please tell us in one minute: %(link)s (the link "
             "works once, until %(date)s).") % {"reference": reference, "link": link,
                                                 "date": expires_at.strftime("%Y-%m-%d")}


def sign_in_message(link: str, minutes: int, channel: str, language: str | None) -> Message:
    """The link to "my complaints" (single use, short-lived)."""
    _ = gettext_for(language)
    values = {"link": link, "minutes": minutes}
    if channel == "sms":
        return Message("", _("Your complaints: %(link)s (works once, for %(minutes)s minutes)") % values)
    return Message(_("Your link to your complaints"),
                   _("Open this link to see all your complaints. It works once, for %(minutes)s minutes:\n\n"
                     "%(link)s\n\nIf you did not ask for it, you can ignore this message.") % values)


# Answers to SMS keywords, in the language of the keyword.
KEYWORD_REPLIES = {
    "help": N_("Complaints service: reply to this number to add to your complaint, quoting its reference "
               "(e.g. CMP-20261122-7QF3K) if you have one. Reply STOP to stop messages, START to resume."),
    "start": N_("You will receive SMS messages about your complaints again. Reply STOP to stop, HELP for help."),
}


def keyword_reply(action: str, language: str | None) -> str | None:
    text = KEYWORD_REPLIES.get(action)
    return gettext_for(language)(text) if text else None
