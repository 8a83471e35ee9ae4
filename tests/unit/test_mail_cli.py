"""python -m chalicelib.cli parse-email: one JSON line per file, no traceback, exit 1 only for unread files."""
import json

import pytest

from chalicelib.cli import TEXT_PREVIEW_CHARS, main
from tests.unit.test_mail_parse import mime_mail, raw_mail

FIELDS = {"file", "disposition", "from", "subject", "text", "charset", "attachments", "thread_reference"}


def run(capsys, *argv):
    status = main(["parse-email", *map(str, argv)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return status, [json.loads(line) for line in captured.out.splitlines()]


def test_prints_one_json_line_per_file(tmp_path, capsys):
    complaint = mime_mail("My parcel never arrived. " * 40, subject="Parcel [CMP-20261122-7QF3K]")
    complaint.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="receipt.pdf")
    (tmp_path / "a.eml").write_bytes(complaint.as_bytes())
    (tmp_path / "b.eml").write_bytes(raw_mail("Away", headers={"Auto-Submitted": "auto-replied"}))
    status, records = run(capsys, tmp_path / "a.eml", tmp_path / "b.eml")
    assert status == 0 and [r["disposition"] for r in records] == ["reply", "auto_reply"]
    first = records[0]
    assert FIELDS <= set(first) and "error" not in first
    assert (first["from"], first["subject"], first["charset"]) == ("ada@example.com", "Parcel [CMP-20261122-7QF3K]",
                                                                   "utf-8")
    assert len(first["text"]) == TEXT_PREVIEW_CHARS and first["thread_reference"] == "CMP-20261122-7QF3K"
    assert first["attachments"] == [{"name": "receipt.pdf", "type": "application/pdf", "size": 8}]


def test_missing_files_get_an_error_line_and_exit_status_1(tmp_path, capsys):
    (tmp_path / "ok.eml").write_bytes(raw_mail("Hello"))
    status, records = run(capsys, tmp_path / "missing.eml", tmp_path / "ok.eml")
    assert status == 1
    assert records[0]["disposition"] == "unparseable" and "FileNotFoundError" in records[0]["error"]
    assert records[1]["disposition"] == "complaint"


def test_directories_are_walked_and_bad_content_is_just_unparseable(tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "garbage.bin").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "empty.eml").write_bytes(b"")
    status, records = run(capsys, tmp_path)
    assert status == 0
    assert [(r["file"].rsplit("/", 1)[-1], r["disposition"]) for r in records] == [
        ("empty.eml", "unparseable"), ("garbage.bin", "unparseable")]


@pytest.mark.parametrize("argv", [[], ["parse-email"], ["no-such-command"]])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and "Traceback" not in capsys.readouterr().err
