"""Customer access tokens: an HMAC of the reference, so nothing secret is stored in plain text."""
from __future__ import annotations

import hashlib
import hmac


def access_token(secret: bytes, reference: str) -> str:
    return hmac.new(secret, f"complaint-access:{reference}".encode(), hashlib.sha256).hexdigest()[:32]


def token_fingerprint(token: str) -> str:
    """What we store: a one-way hash of the token, used to check it without keeping it."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(secret: bytes, reference: str, token: str | None, stored_fingerprint: str | None) -> bool:
    if not token or not stored_fingerprint:
        return False
    expected = access_token(secret, reference)
    return hmac.compare_digest(expected, token) and hmac.compare_digest(token_fingerprint(token), stored_fingerprint)
