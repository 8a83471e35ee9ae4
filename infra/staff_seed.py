"""The local stack's first staff: one member per role in the directory and in the Cognito user pool (moto), each
with a first password to change at the first sign-in. Idempotent: existing members and users are left alone.

moto keeps no state across restarts, so the pool is new at each start and the seeded users are created again with
the same first passwords (the directory itself is restored from the snapshot). Invited members need a new
invitation after a local restart; in AWS the pool keeps its users."""
from __future__ import annotations

import hashlib
import hmac

# The agent is customer-care's roster (the directory replaces a team's configured agents once it has members there);
# other teams keep the configuration's agents until staff are invited to them.
SEED = (  # id, name, role, teams, skills
    ("admin", "Ada Admin", "admin", (), ()),
    ("manager", "Mei Manager", "manager", (), ()),
    ("agent", "Alex Agent", "agent", ("customer-care",), ("general", "service_attitude", "policy")),
)


def first_password(secret: str, member_id: str) -> str:
    """Deterministic per machine (from the stack's key), so each start prints the same one; meets the pool policy."""
    digest = hmac.new(secret.encode(), f"first-password:{member_id}".encode(), hashlib.sha256).hexdigest()
    return f"First-{digest[:10]}-Pw"


def seed_staff(pool_id: str, secret: str) -> list[tuple[str, str, str]]:
    """Creates what is missing; returns (sign-in name, role, first password) for each seeded member."""
    import boto3

    from chalicelib.adapters.staff_store import DynamoStaffStore
    from chalicelib.domain.staff import StaffMember

    store, cognito, seeded = DynamoStaffStore(), boto3.client("cognito-idp"), []
    for member_id, name, role, teams, skills in SEED:
        email = f"{member_id}@example.com"
        if store.get(member_id) is None:
            store.save(StaffMember(member_id, name, email, role, teams=teams, skills=skills), None)
        password = first_password(secret, member_id)
        try:
            cognito.admin_get_user(UserPoolId=pool_id, Username=member_id)
        except cognito.exceptions.UserNotFoundException:
            cognito.admin_create_user(UserPoolId=pool_id, Username=member_id, TemporaryPassword=password,
                                      MessageAction="SUPPRESS",
                                      UserAttributes=[{"Name": "email", "Value": email},
                                                      {"Name": "email_verified", "Value": "true"},
                                                      {"Name": "name", "Value": name}])
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=member_id, GroupName=role)
        seeded.append((member_id, role, password))
    return seeded
