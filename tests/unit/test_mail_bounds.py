"""Parsing is bounded and loses no text: many parts, deep HTML, encoded addresses, and output that never breaks."""
import base64
import json
import subprocess
import sys
import time

import pytest

from chalicelib.mail.parse import MAX_ATTACHMENTS, parse_email

HEAD = "From: Ada <ada@example.com>\r\nTo: care@example.com\r\nSubject: Refund\r\n"


def many_parts(count: int) -> bytes:
    part = ("--B\r\nContent-Type: text/plain; name=a.txt\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\n"
            "x\r\n")
    return (HEAD + "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
            "My refund is missing\r\n" + part * count + "--B--\r\n").encode()


@pytest.mark.parametrize("count", [3, 10_000])
def test_attachment_names_stay_unique_and_a_huge_mail_is_cut_and_says_so(count):
    started = time.perf_counter()
    parsed = parse_email(many_parts(count))
    elapsed = time.perf_counter() - started
    names = [a.filename for a in parsed.attachments]
    assert len(set(names)) == len(names) == min(count, MAX_ATTACHMENTS)
    assert names[:3] == ["a.txt", "a (2).txt", "a (3).txt"]
    assert parsed.text == "My refund is missing"
    if count > MAX_ATTACHMENTS:
        assert any("not listed" in p or "not read" in p for p in parsed.problems)
    assert elapsed < 5  # was 14 s for 10,000 parts: the name de-duplication was quadratic


def test_html_with_hundreds_of_unclosed_tags_keeps_its_text():
    html = "<html><body>" + "<div>" * 300 + "my refund is missing"
    raw = (HEAD + "Content-Type: text/html; charset=utf-8\r\n\r\n" + html).encode()
    parsed = parse_email(raw)
    assert parsed.text == "my refund is missing" and parsed.html_only


@pytest.mark.parametrize("display, expected", [("Li <li@example.cn>", ("Li", "li@example.cn")),
                                               ("李 <li@example.cn>", ("李", "li@example.cn")),
                                               ("not an address", (None, None))])
def test_a_from_that_is_one_encoded_word_is_decoded_or_refused(display, expected):
    encoded = base64.b64encode(display.encode()).decode()
    raw = f"From: =?utf-8?b?{encoded}?=\r\nTo: c@example.com\r\nSubject: x\r\n\r\nMy parcel never came\r\n".encode()
    parsed = parse_email(raw)
    assert (parsed.from_name, parsed.from_address) == expected
    assert "=?" not in (parsed.from_address or "")


@pytest.mark.parametrize("encoding", ["ascii", "utf-8", "latin-1"])
def test_parse_email_prints_valid_text_in_any_terminal_encoding(tmp_path, encoding):
    mail = tmp_path / "broken.eml"
    mail.write_bytes(b"From: =?utf-8?b?5p2O?= <li@example.cn>\r\nSubject: \xff\xfe =?utf-8?b?7aCA?=\r\n"
                     b"Content-Type: text/plain; charset=utf-8\r\n\r\n\xed\xa0\x80 refund \xff\r\n")
    result = subprocess.run([sys.executable, "-m", "chalicelib.cli", "parse-email", str(mail)], capture_output=True,
                            env={"PYTHONIOENCODING": encoding, "PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode == 0 and result.stderr == b""
    record = json.loads(result.stdout.decode(encoding))
    assert record["from"] == "li@example.cn" and "refund" in record["text"]
