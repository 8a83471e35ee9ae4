"""CSAT surveys: signed, expiring, single-use links, and the validation of an answer.

Token: "v1.<payload>.<signature>", payload = base64url(JSON {"ref", "jti", "iat", "exp"}), signature =
base64url(HMAC-SHA256(secret, "csat-survey:" + "v1." + payload)). The token carries the complaint reference and
its expiry; jti is a random id the storage layer marks used (a conditional put on `claim.used_key`), so a link
works once. verify() checks shape, signature, then expiry; whether it was used is the caller's check.

An answer: score 1-5; a reason (REASONS) is required for a score of 1 or 2; an optional comment of at most 2000
characters; optional not_solved, meaning the customer says the problem is not solved (the complaint reopens).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from chalicelib.domain.errors import InvalidCommand

VERSION = "v1"
DEFAULT_TTL = timedelta(days=14)
REASONS = ("slow", "unresolved", "rude", "unclear", "other")
MAX_COMMENT = 2000
_CONTEXT = b"csat-survey:"
_B64URL = re.compile(r"[A-Za-z0-9_-]{2,}")


class SurveyTokenError(InvalidCommand):
    """The survey link cannot be used; `reason` is malformed | invalid | expired."""

    reason = "invalid"

    def __init__(self, message: str):
        super().__init__(message, field="token")


class SurveyTokenMalformed(SurveyTokenError):
    reason = "malformed"


class SurveyTokenInvalid(SurveyTokenError):
    reason = "invalid"


class SurveyTokenExpired(SurveyTokenError):
    reason = "expired"


@dataclass(frozen=True)
class SurveyClaim:
    reference: str
    token_id: str  # jti: mark it used when the answer is stored
    issued_at: datetime
    expires_at: datetime

    @property
    def used_key(self) -> str:
        """The marker key the storage layer writes once (condition: it does not exist yet)."""
        return f"survey#{self.token_id}"


@dataclass(frozen=True)
class IssuedSurvey:
    token: str
    claim: SurveyClaim


def issue(secret: bytes, reference: str, now: datetime, ttl: timedelta = DEFAULT_TTL,
          token_id: str | None = None) -> IssuedSurvey:
    """A signed survey token for `reference`, valid for `ttl` from `now` (times are kept to the second)."""
    if not reference or not reference.strip():
        raise ValueError("a survey needs the complaint reference")
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    issued = int(_utc(now).timestamp())
    expires = issued + int(ttl.total_seconds())
    claim = SurveyClaim(reference, token_id or secrets.token_urlsafe(12), _at(issued), _at(expires))
    body = {"ref": claim.reference, "jti": claim.token_id, "iat": issued, "exp": expires}
    payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    return IssuedSurvey(f"{VERSION}.{payload}.{_b64(_sign(secret, payload))}", claim)


def verify(secret: bytes, token: str, now: datetime) -> SurveyClaim:
    """The token's claim; raises SurveyTokenMalformed, SurveyTokenInvalid (bad signature) or SurveyTokenExpired."""
    parts = token.strip().split(".") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != VERSION or not all(_B64URL.fullmatch(p) for p in parts[1:]):
        raise SurveyTokenMalformed("this survey link is incomplete or damaged")
    _, payload, signature = parts
    try:
        given = _unb64(signature)
    except (binascii.Error, ValueError):
        raise SurveyTokenMalformed("this survey link is incomplete or damaged") from None
    if not hmac.compare_digest(given, _sign(secret, payload)):
        raise SurveyTokenInvalid("this survey link is not valid")
    try:
        body = json.loads(_unb64(payload))
        claim = SurveyClaim(str(body["ref"]), str(body["jti"]), _at(int(body["iat"])), _at(int(body["exp"])))
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise SurveyTokenMalformed("this survey link is incomplete or damaged") from None
    if _utc(now) >= claim.expires_at:
        raise SurveyTokenExpired("this survey link has expired")
    return claim


@dataclass(frozen=True)
class SurveyAnswer:
    score: int
    reason: str | None = None
    comment: str | None = None
    not_solved: bool = False  # the customer says it is not solved: reopen the complaint

    def __post_init__(self) -> None:
        if isinstance(self.score, bool) or not isinstance(self.score, int) or not 1 <= self.score <= 5:
            raise InvalidCommand("score must be a whole number from 1 to 5", field="score")
        if self.reason is not None and self.reason not in REASONS:
            raise InvalidCommand(f"reason must be one of {', '.join(REASONS)}", field="reason")
        if self.score <= 2 and self.reason is None:
            raise InvalidCommand("please tell us what went wrong (a reason is required for a score of 1 or 2)",
                                 field="reason")
        if self.comment is not None and len(self.comment) > MAX_COMMENT:
            raise InvalidCommand(f"the comment is longer than {MAX_COMMENT} characters", field="comment")
        if not isinstance(self.not_solved, bool):
            raise InvalidCommand("not_solved must be true or false", field="not_solved")

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> "SurveyAnswer":
        """From a form or JSON body: "4" is 4, blank reason/comment are absent, "on"/"true"/"1" are true."""
        score = data.get("score")
        if isinstance(score, str) and score.strip().isdigit():
            score = int(score.strip())
        reason, comment = (_blank_to_none(data.get(name)) for name in ("reason", "comment"))
        flag = data.get("not_solved", False)
        not_solved = flag.strip().lower() in ("1", "true", "on", "yes") if isinstance(flag, str) else flag
        return cls(score=score, reason=reason, comment=comment, not_solved=not_solved)

    def as_event_data(self) -> dict[str, Any]:
        """The data of the "survey_answered" history event (rollups count its score)."""
        return {"score": self.score, "reason": self.reason, "comment": self.comment, "not_solved": self.not_solved}


def _blank_to_none(value: Any) -> Any:
    return (value.strip() or None) if isinstance(value, str) else value


def _sign(secret: bytes, payload: str) -> bytes:
    if not secret:
        raise ValueError("a survey secret is required")
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, _CONTEXT + f"{VERSION}.{payload}".encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)
