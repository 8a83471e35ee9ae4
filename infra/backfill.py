"""`make backfill`: writes the inbox's derived index keys on open complaints saved before those indexes existed
(chalicelib.adapters.index_backfill). Against the running local stack by default; with --aws, against the tables
that the environment names (COMPLAINTS_TABLE, AWS credentials and region), after a deployment."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", default=".local", type=Path)
    parser.add_argument("--aws", action="store_true", help="use the environment's AWS tables, not the local stack")
    args = parser.parse_args(argv)
    if not args.aws:
        from infra.replay import connect

        connect(args.state_dir)
    from chalicelib.adapters.index_backfill import backfill_derived_keys

    outcome = backfill_derived_keys()
    print(f"open complaints read: {outcome.open_seen}; keys written: {outcome.updated}; "
          f"members' load counters set: {outcome.members_counted}; "
          f"changed meanwhile (stamped by their own save): {outcome.changed_meanwhile}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
