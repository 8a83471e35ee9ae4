"""Operator commands: ``python -m chalicelib.cli COMMAND ...``.

parse-email FILE...   Parse and classify raw e-mail files (RFC 5322 bytes, e.g. .eml, or a bare winmail.dat).
                      A directory stands for every file below it; "-" reads standard input. Prints one JSON
                      object per file and line: file, disposition, reason, from, subject, text (first 500
                      characters of the extracted body), charset, attachments [{name, type, size}],
                      thread_reference, bounced_message_id, problems; plus "error" when the file could
                      not be read.
                      Judged by content alone (no SES spam/virus verdicts).

Exit status: 0 when every file was read (whatever its disposition); 1 when at least one file could not be read
(missing, a broken link, no permission) - it still gets its line, with disposition "unparseable" and an error;
2 for a usage error. No command prints a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Iterator, Sequence

TEXT_PREVIEW_CHARS = 500


def email_record(name: str, raw: bytes) -> dict[str, Any]:
    """The JSON line for one message."""
    from chalicelib.mail import classify, parse_email

    parsed = parse_email(raw)
    disposition = classify(parsed)
    return {
        "file": name,
        "disposition": disposition.kind.value,
        "reason": disposition.reason,
        "from": parsed.from_address,
        "subject": parsed.subject,
        "text": parsed.text[:TEXT_PREVIEW_CHARS],
        "charset": parsed.charset,
        "attachments": [{"name": a.filename, "type": a.content_type, "size": a.size} for a in parsed.attachments],
        "thread_reference": disposition.thread_reference,
        "bounced_message_id": disposition.bounced_message_id,
        "problems": list(parsed.problems),
    }


def error_record(name: str, error: str) -> dict[str, Any]:
    return {"file": name, "disposition": "unparseable", "reason": "file could not be read", "from": None,
            "subject": None, "text": "", "charset": None, "attachments": [], "thread_reference": None,
            "bounced_message_id": None, "problems": [], "error": error}


def parse_email_files(paths: Sequence[str]) -> Iterator[dict[str, Any]]:
    """One record per file; directories are walked in name order."""
    for name in paths:
        path = Path(name)
        if name != "-" and path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            yield from (_record_for(str(p)) for p in files)
        else:
            yield _record_for(name)


def _record_for(name: str) -> dict[str, Any]:
    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as error:
        return error_record(name, f"{type(error).__name__}: {error.strerror or error}")
    try:
        return email_record(name, raw)
    except Exception as error:  # parse_email never raises; this guards the promise of "no traceback"
        return error_record(name, f"{type(error).__name__}: {error}")


def _parse_email_command(args: argparse.Namespace) -> int:
    ascii_only = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "") != "utf8"
    status = 0
    for record in parse_email_files(args.files):
        _print_line(json.dumps(record, ensure_ascii=ascii_only))
        status = 1 if "error" in record else status
    return status


def _print_line(text: str) -> None:
    """One line in the terminal's encoding; what it cannot encode (a lone surrogate from a broken mail, a character
    outside the charset) is written as a backslash escape, so the output is always valid and never a traceback."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    data = (text + "\n").encode(encoding, "backslashreplace")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode(encoding))
    else:
        buffer.write(data)
    sys.stdout.flush()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description="Complaint service operator tools.",
                                     epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parse_email = commands.add_parser("parse-email", help="parse and classify raw e-mail files, one JSON line each")
    parse_email.add_argument("files", nargs="+", metavar="FILE", help="e-mail file, directory, or - for stdin")
    parse_email.set_defaults(handler=_parse_email_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
