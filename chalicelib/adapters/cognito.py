"""Staff sign-in and invitations through a Cognito user pool (moto's cognito-idp locally: the same calls).

The console signs in with the app client's USER_PASSWORD_AUTH flow, server side, so the password never reaches
anything but Cognito and the tokens never reach the browser. MFA, when switched on for the pool, comes back as a
challenge like NEW_PASSWORD_REQUIRED (see README, "Staff sign-in")."""
from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

import boto3


class SignInRefused(Exception):
    """Wrong name or password, a disabled user, or a password the pool's policy refuses."""


@dataclass(frozen=True)
class SignInResult:
    username: str
    groups: tuple[str, ...] = ()
    access_token: str | None = None
    challenge: str | None = None  # e.g. NEW_PASSWORD_REQUIRED: answer it with complete_challenge
    challenge_session: str | None = None


class CognitoIdentity:
    def __init__(self, user_pool_id: str, client_id: str, client: Any = None):
        self.pool, self.client_id = user_pool_id, client_id
        self.cognito = client or boto3.client("cognito-idp")

    def sign_in(self, username: str, password: str) -> SignInResult:
        try:
            answer = self.cognito.initiate_auth(ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                                AuthParameters={"USERNAME": username, "PASSWORD": password})
        except (self.cognito.exceptions.NotAuthorizedException, self.cognito.exceptions.UserNotFoundException):
            raise SignInRefused("wrong sign-in name or password") from None
        return self._result(username, answer)

    def complete_new_password(self, username: str, challenge_session: str, new_password: str) -> SignInResult:
        try:
            answer = self.cognito.respond_to_auth_challenge(
                ClientId=self.client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge_session,
                ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password})
        except self.cognito.exceptions.InvalidPasswordException as error:
            raise SignInRefused(_message(error)) from None
        except (self.cognito.exceptions.NotAuthorizedException, self.cognito.exceptions.CodeMismatchException):
            raise SignInRefused("the sign-in took too long: sign in again with the temporary password") from None
        return self._result(username, answer)

    def sign_out(self, access_token: str) -> None:
        try:
            self.cognito.global_sign_out(AccessToken=access_token)
        except self.cognito.exceptions.NotAuthorizedException:
            pass  # expired or revoked already

    def invite(self, username: str, email: str, name: str, role: str) -> str:
        """Creates the user with a temporary password (returned; Cognito also e-mails it in AWS) in the role's group."""
        password = temporary_password()
        self.cognito.admin_create_user(
            UserPoolId=self.pool, Username=username, TemporaryPassword=password,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                            {"Name": "name", "Value": name}],
            DesiredDeliveryMediums=["EMAIL"])
        self.set_role(username, role)
        return password

    def set_role(self, username: str, role: str) -> None:
        groups = self.cognito.admin_list_groups_for_user(UserPoolId=self.pool, Username=username)["Groups"]
        for group in groups:
            if group["GroupName"] != role:
                self.cognito.admin_remove_user_from_group(UserPoolId=self.pool, Username=username,
                                                          GroupName=group["GroupName"])
        self.cognito.admin_add_user_to_group(UserPoolId=self.pool, Username=username, GroupName=role)

    def set_enabled(self, username: str, enabled: bool) -> None:
        if enabled:
            self.cognito.admin_enable_user(UserPoolId=self.pool, Username=username)
        else:
            self.cognito.admin_disable_user(UserPoolId=self.pool, Username=username)
            self.cognito.admin_user_global_sign_out(UserPoolId=self.pool, Username=username)

    def _result(self, username: str, answer: dict[str, Any]) -> SignInResult:
        if "ChallengeName" in answer:
            return SignInResult(username, challenge=answer["ChallengeName"], challenge_session=answer.get("Session"))
        tokens = answer["AuthenticationResult"]
        claims = _claims(tokens["IdToken"])  # straight from Cognito over TLS, in answer to our own call
        groups = claims.get("cognito:groups") or []
        return SignInResult(str(claims.get("cognito:username") or username), tuple(groups),
                            access_token=tokens["AccessToken"])


def temporary_password(length: int = 16) -> str:
    """Meets Cognito's default policy: upper, lower, digit and symbol."""
    pools = (string.ascii_uppercase, string.ascii_lowercase, string.digits, "!#%+-=?")
    chars = [secrets.choice(pool) for pool in pools]
    chars += [secrets.choice(string.ascii_letters + string.digits) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def _claims(id_token: str) -> dict[str, Any]:
    import jwt

    return jwt.decode(id_token, options={"verify_signature": False})


def _message(error: Exception) -> str:
    text = getattr(error, "response", {}).get("Error", {}).get("Message") or str(error)
    return text.removeprefix("Password does not conform to policy: ")
