"""What an inbound e-mail is: a complaint, a reply to one, or machine mail that must not become a complaint.

Pure rules over a ParsedEmail (the lead also looks Message-IDs up in the message index; that is not here).
Order matters: SES verdicts, unreadable input, our own mail, reports (ARF before DSN, both are
multipart/report), read receipts, auto-replies, bulk mail (SES's own, newsletters, lists that take no posts), empty
mail, replies, and complaints last.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any, Mapping

from chalicelib.mail.markers import (
    OWN_MAILER_HEADER, reference_in_body, reference_in_message_id, reference_in_subject,
)
from chalicelib.mail.parse import ParsedEmail


class Kind(str, enum.Enum):
    COMPLAINT = "complaint"
    REPLY = "reply"
    AUTO_REPLY = "auto_reply"
    BULK = "bulk"
    BOUNCE = "bounce"
    FEEDBACK_REPORT = "feedback_report"
    SPAM = "spam"
    VIRUS = "virus"
    EMPTY = "empty"
    UNPARSEABLE = "unparseable"


@dataclass(frozen=True)
class Disposition:
    kind: Kind
    reason: str
    thread_reference: str | None = None  # the complaint this message belongs to, when it names one
    bounced_message_id: str | None = None  # for bounces: the Message-ID of the mail that could not be delivered
    may_auto_reply: bool = False  # True only for mail a person sent that does not ask to get no automatic reply
    diagnostic: str | None = None  # for bounces: the receiving server's SMTP answer, e.g. "550 5.1.1 User unknown"


MAILER_DAEMONS = frozenset({"mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "mdaemon"})
POSTMASTERS = frozenset({"postmaster", "mail-delivery-system", "bounce", "bounces", "mail-delivery"})
FEEDBACK_SENDERS = frozenset({"staff@hotmail.com", "complaints@email-abuse.amazonses.com"})
LIST_HEADERS = ("list_id", "list_unsubscribe", "list_post", "mailing_list", "x_mailing_list")
_OWN_HEADER = OWN_MAILER_HEADER.lower().replace("-", "_")
# Headers that mailing services put on what they send for their customers (campaigns, not a person's mail):
# Mailchimp, SendGrid, Mailgun, and the Certified Senders Alliance's bulk-sender whitelist. Not Feedback-ID: SES
# puts it on every mail it sends. The parser keeps only the headers its LOOP_HEADERS lists.
ESP_HEADERS = ("x_campaign", "x_campaignid", "x_mc_user", "x_sg_eid", "x_mailgun_sid", "x_csa_complaints")
AWS_SENDER_DOMAINS = ("amazonses.com", "amazonaws.com")  # SES and SNS notifications; nobody has a mailbox there
AWS_SENDERS = frozenset({"no-reply-aws@amazon.com"})  # AWS account and SES verification mail
_SES_SUBJECT = re.compile(r"^\s*amazon ses (test|setup notification)(\s*\([^()]*\))?\s*$", re.IGNORECASE)
_NOREPLY = re.compile(r"no[-_.]?reply|do[-_.]?not[-_.]?reply|^(newsletters?|news|notifications?|marketing|mailer)"
                      r"([-_.+]|$)")
# Display names that mail servers use for bounces (a whole name, so "Fast Mail Delivery Ltd" is not one).
_DAEMON_NAME = re.compile(r"^\s*(mail delivery (subsystem|system|service)|mailer[- ]?daemon|mail[- ]?daemon|"
                          r"internet mail delivery|mail administrator)\s*$", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliver(able|ed)|returned mail|delivery (status notification|failure|has failed|notification|"
    r"report|delayed)|mail delivery (failed|failure|system)|failure notice|non-?deliver|message (not delivered|"
    r"delivery failure)|delayed mail|warning: could not send|mail could not be delivered|"
    r"unzustellbar|nicht zustellbar|non remis|non distribuibile|no se (pudo|puede) entregar)", re.IGNORECASE)
_BOUNCE_BODY = re.compile(
    r"could not be delivered|couldn't be delivered|delivery (to the following recipients? )?(has )?failed|"
    r"undeliverable|permanent (fatal )?error|user unknown|mailbox (is )?(unavailable|full)|"
    r"this is the (mail system|qmail-send program)|wasn't able to deliver|returned mail|"
    r"message (was|could) not (be )?delivered|delivery status notification", re.IGNORECASE)
# Machine-readable DSN fields (RFC 3464) that some bounces carry as plain text.
_DSN_FIELD = re.compile(
    r"^(final-recipient|original-recipient|diagnostic-code|reporting-mta|action: *(failed|delayed)|"
    r"status: *[245]\.\d+\.\d+)", re.IGNORECASE | re.MULTILINE)
_ARF_FIELD = re.compile(r"^(user-agent|version|original-mail-from|original-rcpt-to|reported-domain|source-ip):",
                        re.IGNORECASE | re.MULTILINE)
_ARF_TYPE = re.compile(r"^feedback-type:", re.IGNORECASE | re.MULTILINE)
_ABUSE_REPORT = re.compile(r"this is an? (e-?mail )?abuse report|authentication[- ]failure report|"
                           r"email abuse complaint", re.IGNORECASE)
_JMRP_SUBJECT = re.compile(r"^\s*complaint about message from \d{1,3}(\.\d{1,3}){3}\b", re.IGNORECASE)  # Hotmail
_SES_NOTIFICATION = re.compile(r'"(?:notificationType|eventType)"\s*:\s*"(Bounce|Complaint)"')
_DIAGNOSTIC_CODE = re.compile(r"^\s*diagnostic-code:\s*(?:smtp\s*;\s*)?(\S[^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_SMTP_REPLY = re.compile(r"\b([45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b[^\r\n]*)")
_INLINE_MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(out of (the )?office\b|auto(matic|matische)?[- ]?(reply|response|antwort|risposta)\b|auto:|autoreply|"
    r"abwesenheit(snotiz)?\b|r[ée]ponse automatique|respuesta autom[áa]tica|risposta automatica|"
    r"automatisch antwoord|fuera de la oficina|vacation reply|自动回复|自動回覆|自動応答|自動返信|자동 ?응답)",
    re.IGNORECASE)


def classify(parsed: ParsedEmail, ses_verdicts: Mapping[str, Any] | None = None) -> Disposition:
    thread = thread_reference(parsed)
    verdict = _ses_verdict(ses_verdicts)
    if verdict:
        return Disposition(verdict, f"SES {verdict.value}Verdict FAIL", thread)
    if not parsed.has_headers and not parsed.full_text.strip() and not parsed.attachments:
        return Disposition(Kind.UNPARSEABLE, "; ".join(parsed.problems) or "nothing readable", thread)
    if _OWN_HEADER in parsed.loop_headers:
        return Disposition(Kind.AUTO_REPLY, "own mail", thread)
    feedback = _feedback_report(parsed)
    if feedback:
        return Disposition(Kind.FEEDBACK_REPORT, feedback, thread, _bounced_message_id(parsed))
    bounce = _bounce(parsed)
    if bounce:
        bounced = _bounced_message_id(parsed)
        return Disposition(Kind.BOUNCE, bounce, reference_in_message_id(bounced) or thread, bounced,
                           diagnostic=smtp_diagnostic(parsed.full_text))
    auto = _read_receipt(parsed) or _auto_reply(parsed)
    if auto:
        return Disposition(Kind.AUTO_REPLY, auto, thread)
    bulk = _bulk(parsed, thread)
    if bulk:
        return Disposition(Kind.BULK, bulk, thread)
    if not parsed.text.strip() and not parsed.attachments:
        return Disposition(Kind.EMPTY, "no text and no attachments", thread, may_auto_reply=False)
    may_reply = _may_auto_reply(parsed)
    if thread:
        return Disposition(Kind.REPLY, f"names complaint {thread}", thread, may_auto_reply=may_reply)
    return Disposition(Kind.COMPLAINT, "mail from a person", may_auto_reply=may_reply)


def thread_reference(parsed: ParsedEmail) -> str | None:
    """The complaint reference carried by our Message-ID (In-Reply-To, References newest first), the subject
    tag, or the body marker (usually in the quoted part, so the whole text is searched)."""
    for message_id in (parsed.in_reply_to, *reversed(parsed.references)):
        reference = reference_in_message_id(message_id)
        if reference:
            return reference
    return reference_in_subject(parsed.subject) or reference_in_body(parsed.full_text)


def _ses_verdict(verdicts: Mapping[str, Any] | None) -> Kind | None:
    """SES receipt verdicts: {"virusVerdict": {"status": "FAIL"}, ...}; a bare "FAIL" string is accepted too."""
    if not verdicts:
        return None
    for key, kind in (("virusVerdict", Kind.VIRUS), ("spamVerdict", Kind.SPAM)):
        value = verdicts.get(key)
        status = value.get("status") if isinstance(value, Mapping) else value
        if str(status or "").upper() == "FAIL":
            return kind
    return None


def _feedback_report(parsed: ParsedEmail) -> str | None:
    if parsed.report_type == "feedback-report" or "message/feedback-report" in parsed.part_types:
        return "ARF feedback report (RFC 5965)"
    if parsed.from_address in FEEDBACK_SENDERS or _JMRP_SUBJECT.search(parsed.subject):
        return "feedback loop report"
    if _ses_notification(parsed) == "Complaint":
        return "SES complaint notification"
    if _ARF_TYPE.search(parsed.full_text) and _ARF_FIELD.search(parsed.full_text):
        return "ARF fields in the text"
    enclosed = {"message/rfc822", "text/rfc822-headers"} & set(parsed.part_types)
    if enclosed and _ABUSE_REPORT.search(parsed.full_text[:5000]):
        return "abuse report with the reported message"
    return None


def _bounce(parsed: ParsedEmail) -> str | None:
    if parsed.report_type in ("delivery-status", "global-delivery-status") or (
            {"message/delivery-status", "message/global-delivery-status"} & set(parsed.part_types)):
        return "delivery status notification (RFC 3464)"
    if _ses_notification(parsed) == "Bounce":
        return "SES bounce notification"
    local = (parsed.from_address or "").partition("@")[0]
    if local in MAILER_DAEMONS or _DAEMON_NAME.search(parsed.from_name or ""):
        return f"sent by a mail delivery system ({parsed.from_address or parsed.from_name})"
    if len({m.group(1).lower() for m in _DSN_FIELD.finditer(parsed.full_text)}) >= 2:
        return "delivery status fields in the text"
    machine = (local in POSTMASTERS or parsed.return_path == ""
               or _header(parsed, "auto_submitted") not in ("", "no"))
    if machine and (_BOUNCE_SUBJECT.search(parsed.subject) or _BOUNCE_BODY.search(parsed.full_text[:5000])):
        return "bounce wording from a machine sender"
    return None


def _read_receipt(parsed: ParsedEmail) -> str | None:
    if parsed.report_type == "disposition-notification" or "message/disposition-notification" in parsed.part_types:
        return "read receipt (message disposition notification)"
    return None


def _auto_reply(parsed: ParsedEmail) -> str | None:
    """RFC 3834 and vendor headers; a typical subject counts only with a second, weaker signal."""
    auto_submitted = _header(parsed, "auto_submitted").split(";")[0].strip()
    if auto_submitted not in ("", "no"):
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("x_autoreply", "x_autorespond", "x_autoresponder", "x_autoreply_from", "x_mail_autoreply"):
        if _header(parsed, name) not in ("", "no", "false"):
            return f"{name.replace('_', '-').title()} header"
    if _header(parsed, "precedence") in ("auto_reply", "auto-reply"):
        return "Precedence: auto_reply"
    if _header(parsed, "x_apple_action") == "vacation" or _header(parsed, "x_autogenerated") == "reply":
        return "vacation responder header"
    weak = _weak_auto_signals(parsed)
    if _AUTO_REPLY_SUBJECT.search(parsed.subject) and (weak or parsed.in_reply_to or parsed.references):
        return f"auto-reply subject ({', '.join(weak) or 'a reply'})"
    return None


def _bulk(parsed: ParsedEmail, thread: str | None) -> str | None:
    """Mail sent to many rather than written to us: SES's own mail (its test and setup mails, AWS notifications),
    newsletters, announcement lists and campaigns.

    A list header alone does not make bulk mail. A discussion list or group (Google Groups, Mailman) relays a
    person's message with List-Id, List-Post and Precedence: list (older lists: bulk), and a customer may write to
    our address through one. So list mail (List-Id, List-Unsubscribe, Precedence: bulk/list/junk) is bulk only
    with a sign that nobody wrote it to us: a no-reply style sender, a list that takes no posts (no List-Post: a
    newsletter or announcement list), or a mailing service's campaign header. A person's mail that names one of
    our complaints is a reply, whatever list it came through."""
    address = parsed.from_address or ""
    local, _, domain = address.partition("@")
    if _SES_SUBJECT.search(parsed.subject):
        return f"Amazon SES's own mail ({parsed.subject.strip()})"
    if address in AWS_SENDERS or any(domain == d or domain.endswith("." + d) for d in AWS_SENDER_DOMAINS):
        return f"AWS notification from {address}"
    precedence = _header(parsed, "precedence")
    signals = [f"Precedence: {precedence}"] if precedence in ("bulk", "list", "junk") else []
    listed = [name for name in ("List-Id", "List-Unsubscribe") if _header(parsed, name.lower().replace("-", "_"))]
    if not (signals or listed):
        return None
    noreply = _NOREPLY.search(local)
    if thread and not noreply:
        return None
    esp = [name.replace("_", "-").title() for name in ESP_HEADERS if _header(parsed, name)]
    takes_posts = "list_post" in parsed.loop_headers and not _header(parsed, "list_post").startswith("no")
    if noreply:
        why = f"no-reply sender {address}"
    elif listed and not takes_posts:  # no List-Post, or RFC 2369's "List-Post: NO"
        why = "a list that takes no posts (no List-Post)"
    elif esp:  # e.g. a newsletter relayed by a group that is our address
        why = f"mailing service header {esp[0]}"
    else:  # a discussion list or group relaying a person's message
        return None
    return f"bulk mail: {why}; {', '.join(listed + signals)}"


def _weak_auto_signals(parsed: ParsedEmail) -> list[str]:
    """Signals that many machine messages carry, but that alone do not make one: Outlook sets
    X-Auto-Response-Suppress on ordinary mail, and mailing lists use Precedence: bulk/list."""
    signals = []
    if parsed.return_path == "":
        signals.append("null Return-Path")
    if _header(parsed, "precedence") in ("bulk", "junk", "list"):
        signals.append(f"Precedence: {_header(parsed, 'precedence')}")
    for name in ("x_auto_response_suppress", "x_ms_exchange_inbox_rules_loop"):
        if _header(parsed, name):
            signals.append(name.replace("_", "-").title())
    return signals


def _may_auto_reply(parsed: ParsedEmail) -> bool:
    """RFC 3834 §2: no automatic reply to bulk or list mail, to the null sender, or when the sender asks."""
    suppress = {v.strip() for v in _header(parsed, "x_auto_response_suppress").split(",")}
    return not (
        parsed.return_path == "" or not parsed.from_address
        or _header(parsed, "precedence") in ("bulk", "junk", "list", "auto_reply")
        or any(parsed.loop_headers.get(name) for name in LIST_HEADERS)
        or suppress & {"all", "autoreply", "oof"}
    )


def smtp_diagnostic(text: str) -> str | None:
    """The SMTP reply a bounce quotes: its DSN Diagnostic-Code, else the first "550 5.1.1 ..." line."""
    head = text[:20_000]
    found = _DIAGNOSTIC_CODE.search(head) or _SMTP_REPLY.search(head)
    return " ".join(found.group(1).split())[:200] if found else None


def _bounced_message_id(parsed: ParsedEmail) -> str | None:
    if parsed.enclosed_message_id:
        return parsed.enclosed_message_id
    found = _INLINE_MESSAGE_ID.search(parsed.full_text)  # the original's headers quoted in a text bounce
    return found.group(1) if found else None


def _ses_notification(parsed: ParsedEmail) -> str | None:
    found = _SES_NOTIFICATION.search(parsed.full_text[:5000])
    return found.group(1) if found else None


def _header(parsed: ParsedEmail, name: str) -> str:
    return (parsed.loop_headers.get(name) or "").strip().lower()
