"""\"My complaints\" without a password: a customer asks for a sign-in link for their e-mail address or phone
number; the link's code works once, for LINK_LIFETIME, and opens a short session (a cookie) that lists every
complaint of that contact. Only hashes of the code and of the session secret are stored."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=1)
LINKS_PER_DAY = 5  # per contact: the form cannot be used to flood someone's inbox


class Store(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, body: dict[str, Any], expires_at: int) -> None: ...

    def take(self, key: str) -> dict[str, Any] | None:
        """The item, deleted in the same step: of two concurrent takes, one gets it."""


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Contact:
    email: str | None = None
    phone: str | None = None

    @property
    def channel(self) -> str:
        return "email" if self.email else "sms"


def _key(kind: str, secret: str) -> str:
    return f"{kind}#{hashlib.sha256(secret.encode('utf-8', 'surrogatepass')).hexdigest()}"


class CustomerAccess:
    def __init__(self, store: Store, clock: Clock):
        self.store, self.clock = store, clock

    def issue_link(self, contact: Contact) -> str:
        """A new single-use code for this contact."""
        code = secrets.token_urlsafe(24)
        expires = self.clock.now() + LINK_LIFETIME
        self.store.put(_key("customer-link", code), {"kind": "customer_link", "email": contact.email,
                                                     "phone": contact.phone, "expires_at": expires.isoformat()},
                       int(expires.timestamp()))
        return code

    def redeem(self, code: str) -> tuple[str, Contact] | None:
        """A session secret for the code's contact; None for a code that is unknown, used or expired."""
        body = self.store.take(_key("customer-link", code)) if code else None
        if not body or body.get("kind") != "customer_link" or self._expired(body):
            return None
        contact = Contact(body.get("email"), body.get("phone"))
        secret = secrets.token_urlsafe(32)
        expires = self.clock.now() + SESSION_LIFETIME
        self.store.put(_key("customer-session", secret), {"kind": "customer_session", "email": contact.email,
                                                          "phone": contact.phone, "expires_at": expires.isoformat()},
                       int(expires.timestamp()))
        return secret, contact

    def contact(self, secret: str | None) -> Contact | None:
        """The contact a live session cookie stands for."""
        body = self.store.get(_key("customer-session", secret)) if secret else None
        if not body or body.get("kind") != "customer_session" or self._expired(body):
            return None
        return Contact(body.get("email"), body.get("phone"))

    def end(self, secret: str | None) -> None:
        if secret:
            self.store.take(_key("customer-session", secret))

    def _expired(self, body: dict[str, Any]) -> bool:  # the table's TTL deletes late: the time is checked here
        return self.clock.now() >= datetime.fromisoformat(body["expires_at"])
