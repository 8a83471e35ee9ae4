"""Development keys of the local stack (kept in .local/keys.json) and staff tokens signed with them.

    python -m infra.mint_token --role manager [--subject alice] [--state-dir .local]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
from pathlib import Path

DEFAULT_STATE_DIR = os.environ.get("LOCAL_STATE_DIR", ".local")
ROLES = ("agent", "manager", "admin")


def local_keys(state_dir: str | Path = DEFAULT_STATE_DIR, create: bool = False) -> dict[str, str]:
    """{"jwt_secret", "token_secret", "twilio_auth_token"}: the staff-token signing key, the customer-token HMAC key
    and the key local Twilio webhooks are signed with."""
    path = Path(state_dir) / "keys.json"
    fresh = {"jwt_secret": secrets.token_urlsafe(48), "token_secret": secrets.token_urlsafe(48),
             "twilio_auth_token": secrets.token_hex(16)}
    if path.exists():
        stored = json.loads(path.read_text())
        if set(fresh) <= set(stored) or not create:
            return stored
        keys = {**fresh, **stored}  # keys.json from an older version: add the new keys
    elif not create:
        raise SystemExit(f"{path} does not exist: start the local stack first (make run)")
    else:
        keys = fresh
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys, indent=2))
    path.chmod(0o600)
    return keys


def mint(role: str, subject: str | None = None, state_dir: str | Path = DEFAULT_STATE_DIR,
         ttl_seconds: int = 12 * 3600) -> str:
    from chalicelib.web.auth import mint_local_token

    return mint_local_token(local_keys(state_dir)["jwt_secret"], subject or f"local-{role}", role,
                            ttl_seconds=ttl_seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print a staff token for the local stack")
    parser.add_argument("--role", choices=ROLES, default="agent")
    parser.add_argument("--subject", help="the staff user's id (default local-<role>)")
    parser.add_argument("--ttl", type=int, default=12 * 3600, help="seconds until it expires")
    parser.add_argument("--state-dir", default=DEFAULT_STATE_DIR)
    args = parser.parse_args(argv)
    print(mint(args.role, args.subject, args.state_dir, args.ttl))


if __name__ == "__main__":
    main()
