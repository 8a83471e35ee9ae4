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
    """{"jwt_secret": ..., "token_secret": ...}: the staff-token signing key and the customer-token HMAC key."""
    path = Path(state_dir) / "keys.json"
    if path.exists():
        return json.loads(path.read_text())
    if not create:
        raise SystemExit(f"{path} does not exist: start the local stack first (make run)")
    keys = {"jwt_secret": secrets.token_urlsafe(48), "token_secret": secrets.token_urlsafe(48)}
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
