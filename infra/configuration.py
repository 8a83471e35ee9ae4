"""`make config-export` / `make config-import FILE=… [APPLY=1]`: the SLA and routing configuration of the running
local stack as a TOML file kept under version control, and back.

export writes the version in force (default: standard output). import validates the file, prints the differences
and what they do to open complaints, and saves it as the next version only with --apply (APPLY=1). In AWS the same
command runs with --aws, on the credentials and CONFIG_TABLE of the shell."""
from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path


def live_config(state_dir: Path | None):
    if state_dir is not None:
        from infra.replay import connect

        connect(state_dir)
    from chalicelib.wiring import services

    services.reset()
    return services.live_config


def main(argv: list[str] | None = None, out=print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--state-dir", default=Path(".local"), type=Path, help="the running local stack's state")
    where.add_argument("--aws", action="store_true", help="the AWS account of this shell's credentials")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write the configuration in force")
    export.add_argument("file", nargs="?", type=Path)
    load = commands.add_parser("import", help="preview a TOML file against the configuration in force; --apply saves")
    load.add_argument("file", type=Path)
    load.add_argument("--apply", action="store_true")
    load.add_argument("--note", default=None)
    args = parser.parse_args(argv)

    from chalicelib.domain.errors import ConcurrentModification, InvalidCommand

    live = live_config(None if args.aws else args.state_dir)
    if args.command == "export":
        version = live.version()
        if args.file:
            args.file.write_text(version.text, encoding="utf-8")
            out(f"wrote version {version.version} ({version.action} by {version.saved_by}) to {args.file}")
        else:
            sys.stdout.write(version.text)
        return 0
    text = args.file.read_text(encoding="utf-8")
    try:
        preview = live.preview(text, _open_counts)
    except InvalidCommand as error:
        out(f"{args.file} is refused; nothing was saved:")
        for field, message in (error.fields or {"text": str(error)}).items():
            out(f"  {field}: {message}")
        return 1
    if not preview.changed:
        out(f"{args.file} is the same as version {preview.current.version} in force; nothing to do")
        return 0
    out("\n".join(preview.diff))
    out("\nWhat it does:\n" + "\n".join(f"- {effect}" for effect in preview.effects or ["(comments only)"]))
    if not args.apply:
        out(f"\nPreview only: run again with --apply (make config-import FILE={args.file} APPLY=1) to save it.")
        return 0
    try:
        saved = live.save(text, f"cli:{getpass.getuser()}", preview.current.version, args.note or f"import {args.file.name}")
    except ConcurrentModification as error:
        out(f"not saved: {error}")
        return 1
    out(f"saved as version {saved.version}: in force everywhere within 60 s")
    return 0


def _open_counts(teams):
    from chalicelib.web.configuration import open_complaints

    return open_complaints(teams)


if __name__ == "__main__":
    sys.exit(main())
