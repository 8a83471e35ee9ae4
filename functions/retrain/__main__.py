"""Run the retraining function's actions from a shell, against AWS or the running local stack.

    python -m functions.retrain [--local-stack .local] retrain [--force] | rollback | activate VERSION | status
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.retrain", description=__doc__.splitlines()[0])
    parser.add_argument("--local-stack", type=Path, help="state folder of `make run` (its endpoints.json)")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("retrain").add_argument("--force", action="store_true", help="train even without new corrections")
    actions.add_parser("rollback")
    actions.add_parser("activate").add_argument("version", help='a published version, e.g. v3, or "builtin"')
    actions.add_parser("status")
    args = parser.parse_args(argv)
    if args.local_stack:
        from infra.replay import connect

        connect(args.local_stack)
        os.environ.setdefault("TRAIN_JOBS", "2")
    from functions.retrain.handler import handler

    event = {"action": args.action, "force": getattr(args, "force", False)}
    if args.action == "activate":
        event["version"] = None if args.version == "builtin" else args.version
    print(json.dumps(handler(event), indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
