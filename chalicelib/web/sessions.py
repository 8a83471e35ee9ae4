"""Console sessions: a random secret in an HttpOnly cookie, the session on the server under a hash of it.

A session ends after IDLE without a request, after ABSOLUTE in any case, and at sign-out (deleted on the server,
and the identity provider's tokens revoked). Each session has its own CSRF token, which every state-changing form
carries. Before sign-in, the sign-in form's CSRF token is a double-submit cookie.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

COOKIE = "console_session"
PRE_COOKIE = "console_pre"  # the sign-in form's CSRF token, and the pending first-password challenge
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
CHALLENGE_LIFETIME = timedelta(minutes=5)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often


class SessionStore(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, body: dict[str, Any], expires_at: int) -> None: ...

    def delete(self, key: str) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Session:
    user_id: str
    role: str
    csrf: str
    created_at: str
    last_seen: str
    access_token: str | None = None  # the identity provider's, to revoke at sign-out; never sent to the browser


@dataclass(frozen=True)
class Challenge:
    """A sign-in waiting for a new password (Cognito's NEW_PASSWORD_REQUIRED)."""

    username: str
    session: str
    started_at: str


def key_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class Sessions:
    def __init__(self, store: SessionStore, clock: Clock):
        self.store, self.clock = store, clock

    def start(self, user_id: str, role: str, access_token: str | None) -> tuple[str, Session]:
        now = self.clock.now()
        secret = secrets.token_urlsafe(32)
        session = Session(user_id, role, secrets.token_urlsafe(24), now.isoformat(), now.isoformat(), access_token)
        self.store.put(key_of(secret), {"kind": "session", **asdict(session)}, int((now + ABSOLUTE).timestamp()))
        return secret, session

    def load(self, secret: str | None) -> Session | None:
        """The live session of this cookie secret, or None (ended, idle too long, past its lifetime)."""
        if not secret:
            return None
        key = key_of(secret)
        body = self.store.get(key)
        if not body or body.get("kind") != "session":
            return None
        session = Session(**{k: v for k, v in body.items() if k != "kind"})
        now = self.clock.now()
        if now - datetime.fromisoformat(session.created_at) >= ABSOLUTE or \
                now - datetime.fromisoformat(session.last_seen) >= IDLE:
            self.store.delete(key)
            return None
        if now - datetime.fromisoformat(session.last_seen) >= TOUCH_EVERY:
            session = Session(**{**asdict(session), "last_seen": now.isoformat()})
            expires = datetime.fromisoformat(session.created_at) + ABSOLUTE
            self.store.put(key, {"kind": "session", **asdict(session)}, int(expires.timestamp()))
        return session

    def end(self, secret: str | None) -> Session | None:
        session = self.load(secret)
        if secret:
            self.store.delete(key_of(secret))
        return session

    # -- before sign-in: the form's CSRF token and a pending new-password challenge ---------------------------------
    def pending(self, secret: str, challenge: Challenge) -> None:
        expires = self.clock.now() + CHALLENGE_LIFETIME
        self.store.put(key_of(secret), {"kind": "challenge", **asdict(challenge)}, int(expires.timestamp()))

    def take_pending(self, secret: str | None) -> Challenge | None:
        if not secret:
            return None
        body = self.store.get(key_of(secret))
        if not body or body.get("kind") != "challenge":
            return None
        challenge = Challenge(**{k: v for k, v in body.items() if k != "kind"})
        if self.clock.now() - datetime.fromisoformat(challenge.started_at) >= CHALLENGE_LIFETIME:
            self.store.delete(key_of(secret))
            return None
        return challenge

    def drop_pending(self, secret: str | None) -> None:
        if secret:
            self.store.delete(key_of(secret))


def secure_cookies() -> bool:
    """Cookies are Secure except over plain http (the local stack on 127.0.0.1); in AWS the API is https."""
    from ..config import settings

    return not settings().public_base_url.startswith("http://")


def cookie_header(name: str, value: str, secure: bool, max_age: int) -> str:
    flags = "; Secure" if secure else ""
    return f"{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{flags}"


def cookie_value(headers: Any, name: str) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    raw = next((v for k, v in dict(headers or {}).items() if k.lower() == "cookie"), "")
    jar = SimpleCookie()
    try:
        jar.load(raw or "")
    except CookieError:
        return None
    return jar[name].value if name in jar and jar[name].value else None
