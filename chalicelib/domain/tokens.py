"""Customer access tokens: an HMAC of the reference, so nothing secret is stored in plain text."""
from __future__ import annotations

import hashlib
import hmac


def access_token(secret: bytes, reference: str) -> str:
    return hmac.new(secret, f"complaint-access:{reference}".encode(), hashlib.sha256).hexdigest()[:32]


def token_fingerprint(token: str) -> str:
    """What we store: a one-way hash of the token, used to check it without keeping it."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(secret: bytes, reference: str, token: str | None, stored_fingerprint: str | None) -> bool:
    """Constant time, and False (never an error) for any token: empty, huge, non-ASCII or malformed."""
    if not token or not stored_fingerprint:
        return False
    return same_text(access_token(secret, reference), token) and \
        same_text(token_fingerprint(token), stored_fingerprint)


def same_text(expected: str, given: str) -> bool:
    """Constant-time comparison of any two strings (hmac.compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))
