"""Twilio's incoming-SMS webhook. Only requests signed with the account's auth token are trusted; the answer is
TwiML (a reply for HELP and START, nothing otherwise). twilio is imported on use: it must not slow cold starts."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from chalice import Blueprint, Response

from ..config import twilio_auth_token
from ..domain.sms import InboundSms, media_attachment
from ..observability import logger
from ..phones import sender_phone
from ..wiring import services
from .auth import Forbidden
from .http import FORM, XML, parse_body, public_url, route
from .schemas import ErrorResponse, TwilioInboundSms

sms_routes = Blueprint(__name__)
PATH = "/sms/twilio"


def verify_twilio_signature(request: Any) -> None:
    from twilio.request_validator import RequestValidator, get_signature_algorithm

    signature = request.headers.get("x-twilio-signature")
    if not signature:
        raise Forbidden("the request has no X-Twilio-Signature")
    algorithm = get_signature_algorithm(request.headers.get("x-twilio-webhooks-signature-settings"))
    if not RequestValidator(twilio_auth_token()).validate(_webhook_url(request), parse_body(request), signature,
                                                         algorithm):
        raise Forbidden("the X-Twilio-Signature does not match this request")


def _webhook_url(request: Any) -> str:
    """The URL Twilio called (and signed): the public URL of this route, with the query string as sent."""
    query = urlencode(request.query_params or {})
    return public_url(request, PATH) + (f"?{query}" if query else "")


@route(
    sms_routes, PATH, "POST",
    summary="Twilio incoming-SMS webhook (form-encoded, signed with X-Twilio-Signature); answers with TwiML",
    tag="channels", body=TwilioInboundSms, content_types=(FORM,), verify=verify_twilio_signature, text_media=XML,
    responses={200: None, 400: ErrorResponse, 403: ErrorResponse},
)
def twilio_inbound(request: Any, body: TwilioInboundSms):
    from twilio.twiml.messaging_response import MessagingResponse

    extra = body.model_extra or {}
    media = tuple(media_attachment(str(extra[f"MediaUrl{i}"]), extra.get(f"MediaContentType{i}"), i)
                  for i in range(min(body.NumMedia, 10)) if extra.get(f"MediaUrl{i}"))
    sms = InboundSms(
        provider="twilio", message_id=body.MessageSid, phone=sender_phone(body.From), text=body.Body,
        received_at=datetime.now(timezone.utc), media=media,
    )
    outcome = services.sms_intake.receive(sms)
    logger.info("sms received", extra={"provider": "twilio", "action": outcome.action})
    twiml = MessagingResponse()
    if outcome.reply:
        twiml.message(outcome.reply)
    return Response(body=str(twiml), status_code=200, headers={"Content-Type": f"{XML}; charset=utf-8"})

