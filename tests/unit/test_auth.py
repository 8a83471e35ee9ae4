"""Staff authentication: local development JWTs and Cognito authorizer claims, mapped to roles."""
import time

import jwt
import pytest

from chalicelib.config import settings
from chalicelib.web.auth import (
    LOCAL_AUDIENCE,
    LOCAL_ISSUER,
    Forbidden,
    StaffUser,
    Unauthenticated,
    authenticate,
    mint_local_token,
)

SECRET = "test-jwt-signing-key-0123456789abcdef"  # LOCAL_JWT_SECRET in tests/conftest.py


@pytest.fixture(autouse=True)
def fresh_settings():
    settings.cache_clear()
    yield
    settings.cache_clear()


def bearer(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


def claims(**overrides) -> dict:
    now = int(time.time())
    values = {"sub": "agent-1", "email": "agent-1@example.com", "cognito:groups": ["agent"], "iss": LOCAL_ISSUER,
              "aud": LOCAL_AUDIENCE, "iat": now, "exp": now + 600}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
def test_a_minted_token_authenticates_with_its_role(role):
    user = authenticate(bearer(mint_local_token(SECRET, "sam", role)), {})
    assert user == StaffUser(id="sam", email="sam@example.com", roles=(role,))
    assert user.role == role


def test_minting_refuses_unknown_roles():
    with pytest.raises(ValueError, match="role must be one of"):
        mint_local_token(SECRET, "sam", "superuser")


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({}, "missing bearer token"),
        ({"authorization": ""}, "missing bearer token"),
        ({"authorization": "Bearer "}, "missing bearer token"),
        ({"authorization": "Basic c2FtOnNlY3JldA=="}, "missing bearer token"),
        (bearer("not-a-jwt"), "invalid bearer token"),
        (bearer(mint_local_token(SECRET, "sam", "agent", ttl_seconds=-60)), "expired"),
        (bearer(mint_local_token("some-other-signing-key-0123456789", "sam", "agent")), "Signature verification failed"),
        (bearer(jwt.encode(claims(aud="someone-else"), SECRET, algorithm="HS256")), "(?i)audience"),
        (bearer(jwt.encode(claims(iss="evil"), SECRET, algorithm="HS256")), "(?i)issuer"),
        (bearer(jwt.encode(claims(exp=None), SECRET, algorithm="HS256")), "exp"),
        (bearer(jwt.encode(claims(), None, algorithm="none")), "invalid bearer token"),
    ],
    ids=["none", "empty", "no-token", "basic", "garbage", "expired", "wrong-signature", "wrong-audience",
         "wrong-issuer", "no-expiry", "alg-none"],
)
def test_bad_tokens_are_unauthenticated(headers, reason):
    with pytest.raises(Unauthenticated, match=reason):
        authenticate(headers, {})


def test_without_a_configured_secret_nobody_gets_in(monkeypatch):
    monkeypatch.delenv("LOCAL_JWT_SECRET")
    with pytest.raises(Unauthenticated, match="not configured"):
        authenticate(bearer(mint_local_token(SECRET, "sam", "agent")), {})


@pytest.mark.parametrize("groups", [[], ["viewer"], None])
def test_a_valid_token_without_a_staff_group_is_forbidden(groups):
    token = jwt.encode(claims(**{"cognito:groups": groups}), SECRET, algorithm="HS256")
    with pytest.raises(Forbidden, match="no staff role"):
        authenticate(bearer(token), {})


def test_the_highest_role_counts_and_require_enforces_the_minimum():
    token = jwt.encode(claims(**{"cognito:groups": ["viewer", "agent", "manager"]}), SECRET, algorithm="HS256")
    user = authenticate(bearer(token), {})
    assert user.roles == ("agent", "manager") and user.role == "manager"
    user.require("agent")
    user.require("manager")
    with pytest.raises(Forbidden, match="needs the admin role or higher; you are manager"):
        user.require("admin")


# Cognito: API Gateway has verified the JWT; the handler reads the claims from the request context. -----------
@pytest.fixture
def cognito(monkeypatch):
    monkeypatch.setenv("AUTH_MODE", "cognito")
    settings.cache_clear()
    assert settings().auth_mode == "cognito"


def context(**claim_values) -> dict:
    return {"authorizer": {"claims": {"sub": "c0ffee", "email": "mo@example.com", **claim_values}}}


@pytest.mark.parametrize(
    "groups, roles",
    [
        ("agent", ("agent",)),
        ("[agent manager]", ("agent", "manager")),
        ("[admin]", ("admin",)),
        ("agent,manager", ("agent", "manager")),
        (["manager"], ("manager",)),
    ],
)
def test_cognito_claims_from_the_request_context(cognito, groups, roles):
    user = authenticate({}, context(**{"cognito:groups": groups}))
    assert user == StaffUser(id="c0ffee", email="mo@example.com", roles=roles)


@pytest.mark.parametrize("request_context", [{}, {"authorizer": None}, {"authorizer": {}}, {"authorizer": {"claims": {}}}])
def test_cognito_without_claims_is_unauthenticated(cognito, request_context):
    with pytest.raises(Unauthenticated):
        authenticate({}, request_context)


def test_cognito_mode_ignores_a_local_bearer_token(cognito):
    with pytest.raises(Unauthenticated):
        authenticate(bearer(mint_local_token(SECRET, "sam", "admin")), {})


def test_cognito_user_without_staff_group_is_forbidden(cognito):
    with pytest.raises(Forbidden):
        authenticate({}, context(**{"cognito:groups": "[customers]"}))
