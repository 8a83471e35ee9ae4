"""Staff authentication. In AWS, API Gateway's Cognito authorizer has already verified the JWT and we read its
claims; locally the same bearer JWT is checked here against a development signing key. Roles = Cognito groups."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Mapping

from ..config import settings

LOCAL_ISSUER = "complaints-local"
LOCAL_AUDIENCE = "complaints-staff"
ROLES = ("agent", "manager", "admin")
ROLE_RANK = {"agent": 1, "manager": 2, "admin": 3}


class Unauthenticated(Exception):
    pass


class Forbidden(Exception):
    pass


@dataclass(frozen=True)
class StaffUser:
    id: str
    email: str | None
    roles: tuple[str, ...]

    @property
    def role(self) -> str:
        return max(self.roles, key=ROLE_RANK.__getitem__)

    def require(self, minimum: str) -> None:
        if ROLE_RANK[self.role] < ROLE_RANK[minimum]:
            raise Forbidden(f"this action needs the {minimum} role or higher; you are {self.role}")


def cognito_authorizer():
    """The Chalice authorizer for staff routes in AWS (None locally, where `authenticate` checks the token)."""
    if os.environ.get("AUTH_MODE", "local") != "cognito":
        return None
    from chalice import CognitoUserPoolAuthorizer

    pool_arn = os.environ.get(
        "COGNITO_USER_POOL_ARN", "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_replacedbyinfra"
    )
    return CognitoUserPoolAuthorizer("StaffUserPool", provider_arns=[pool_arn])


def authenticate(headers: Mapping[str, str], request_context: Mapping[str, Any]) -> StaffUser:
    if settings().auth_mode == "cognito":
        claims = (request_context.get("authorizer") or {}).get("claims") or {}
        if not claims:
            raise Unauthenticated("missing or invalid bearer token")
    else:
        claims = _verify_local(headers)
    return _user_from_claims(claims)


def _verify_local(headers: Mapping[str, str]) -> dict[str, Any]:
    secret = settings().local_jwt_secret
    header = headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing bearer token: send 'Authorization: Bearer <jwt>'")
    if not secret:
        raise Unauthenticated("local authentication is not configured (LOCAL_JWT_SECRET is unset)")
    import jwt  # only the local stack verifies tokens itself; in AWS the Cognito authorizer does

    try:
        return jwt.decode(
            token.strip(), secret, algorithms=["HS256"], audience=LOCAL_AUDIENCE, issuer=LOCAL_ISSUER,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as error:
        raise Unauthenticated(f"invalid bearer token: {error}") from error


def _user_from_claims(claims: Mapping[str, Any]) -> StaffUser:
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):  # API Gateway passes Cognito groups as one string, e.g. "[agent manager]" or "agent"
        groups = groups.strip("[]").replace(",", " ").split()
    roles = tuple(g for g in groups if g in ROLES)
    if not roles:
        raise Forbidden("your account has no staff role (agent, manager or admin)")
    # Cognito's user name is the staff directory id; local development tokens carry it as the subject.
    return StaffUser(id=str(claims.get("cognito:username") or claims.get("sub")), email=claims.get("email"), roles=roles)


def mint_local_token(secret: str, subject: str, role: str, email: str | None = None, ttl_seconds: int = 12 * 3600) -> str:
    """A development token with the same claims shape as Cognito's ID token."""
    import jwt

    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    now = int(time.time())
    claims = {
        "sub": subject,
        "email": email or f"{subject}@example.com",
        "cognito:groups": [role],
        "iss": LOCAL_ISSUER,
        "aud": LOCAL_AUDIENCE,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
