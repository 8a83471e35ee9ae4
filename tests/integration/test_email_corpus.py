"""The e-mail parser and classifier over every message in ../shared/data/emails (real mail nobody here wrote).

Every file gets a disposition without an exception, in-process and through the real command. Machine mail is
recognised per folder (at least 95 %), and mail that people sent is rarely taken for machine mail (at most 5 %).
Newsletters and SES's test mail are bulk; people's posts relayed by a mailing list are not.
Folders and their origins: emails/SOURCES.txt. Run with -s to see the measured rates.
"""
from __future__ import annotations

import collections
import json
import subprocess
import sys

import pytest

from chalicelib.cli import parse_email_files
from chalicelib.mail import Kind, parse_email
from tests.conftest import ROOT, SHARED_DATA

CORPUS = SHARED_DATA / "emails"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/data/emails is not on this machine")

MACHINE_KINDS = {Kind.AUTO_REPLY.value, Kind.BULK.value, Kind.BOUNCE.value, Kind.FEEDBACK_REPORT.value}
# Folders of machine mail and what each file in them is (flanker_bounce also holds two ARF complaints).
MACHINE_FOLDERS = {
    "sisimai_autoreply": "auto_reply", "sisimai_dsn": "bounce", "sisimai_ses": "bounce", "sisimai_misc": "bounce",
    "sisimai_arf": "feedback_report", "flanker_bounce": "bounce",
}
# Folders of mail that people (or spammers) sent; none of it should be judged machine mail...
PERSON_FOLDERS = (
    "spamassassin_nice", "spamassassin_cjk", "spamassassin_spam", "spamscope", "cpython", "flanker",
    "stalwart_rfc", "stalwart_hunnysoft", "stalwart_thirdparty", "stalwart_malformed", "aws_ses",
)
# ...except these test fixtures, which are machine reports by construction.
MACHINE_FIXTURES = {
    "cpython/msg_05.txt": "multipart/report delivery-status test message",
    "cpython/msg_16.txt": "delivery failure notice from postmaster",
    "cpython/msg_25.txt": "DSN from MAILER-DAEMON",
    "cpython/msg_42.txt": "from 'Mail Delivery Subsystem' with the returned message",
    "cpython/msg_43.txt": "DSN (banned file alert) from MAILER DAEMON",
    "flanker/disposition-notification.eml": "read receipt (RFC 8098)",
    "spamscope/mail_malformed_2.eml": "DSN from postmaster",
}
# Bulk mail in the folders of people's mail (sent to many, not written to us), and what its reason names.
BULK_MAIL = {
    "aws_ses/ses-doc-sns-content.eml": "Amazon SES",  # the SES guide's "Amazon SES Test" mail
    "spamassassin_nice/001.eml": "no List-Post",  # Ximian's announcement list (List-Id, Precedence: bulk)
    "spamscope/mail_test_5.eml": "no List-Post",  # a shop's newsletter (List-Unsubscribe, Precedence: bulk)
    "spamscope/mail_test_6.eml": "no-reply sender",  # a business network's newsletter from noreply@
}
# People's posts relayed by a discussion list (List-Id with List-Post, or an old list's Precedence: bulk/list).
LIST_POSTS = (
    "cpython/msg_33.txt", "flanker/apache-message-news-mime.eml", "flanker/from-encoding.eml",
    "flanker/message-external-body.eml", "spamassassin_cjk/gb2312.2.eml", "spamassassin_cjk/iso-2022-jp.1.eml",
    "spamassassin_cjk/iso-2022-jp.2.eml", "spamassassin_nice/002.eml", "spamassassin_nice/005.eml",
    "spamassassin_nice/base64.eml",
)


def corpus_files():
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCES.txt") if CORPUS.is_dir() else []


def name(path) -> str:
    return path.relative_to(CORPUS).as_posix()


def expected_kind(path) -> str | None:
    if path.parent.name == "flanker_bounce" and path.name.startswith("complaints__"):
        return "feedback_report"
    return MACHINE_FOLDERS.get(path.parent.name)


@pytest.fixture(scope="module")
def results():
    """file name -> (record as the command prints it, parsed email)"""
    files = corpus_files()
    records = list(parse_email_files([str(p) for p in files]))
    return {name(p): (record, parse_email(p.read_bytes())) for p, record in zip(files, records)}


def test_every_file_gets_a_disposition_and_no_exception(results):
    assert len(results) == len(corpus_files()) > 100
    kinds = collections.Counter(record["disposition"] for record, _ in results.values())
    print(f"\n{len(results)} files: {dict(kinds)}")
    assert set(kinds) <= {kind.value for kind in Kind}
    assert not [file for file, (record, _) in results.items() if "error" in record]


def test_the_command_line_reads_the_whole_corpus_in_one_run(results):
    files = corpus_files()
    done = subprocess.run([sys.executable, "-m", "chalicelib.cli", "parse-email", *map(str, files)], cwd=ROOT,
                          capture_output=True, timeout=300)
    assert done.returncode == 0 and b"Traceback" not in done.stderr
    lines = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [line["file"] for line in lines] == [str(p) for p in files]
    assert {line["file"]: line["disposition"] for line in lines} == {
        str(CORPUS / file): record["disposition"] for file, (record, _) in results.items()}


def test_machine_mail_is_recognised_in_each_folder(results):
    by_folder = collections.defaultdict(list)
    for file, (record, _) in results.items():
        path = CORPUS / file
        if expected_kind(path):
            by_folder[path.parent.name].append((file, record["disposition"] == expected_kind(path)))
    assert by_folder, "no machine-mail folders found"
    print()
    for folder, outcomes in sorted(by_folder.items()):
        missed = [file for file, ok in outcomes if not ok]
        rate = 1 - len(missed) / len(outcomes)
        print(f"{folder:20} {len(outcomes) - len(missed):3}/{len(outcomes):<3} recognised ({rate:.0%}) {missed or ''}")
        assert rate >= 0.95, f"{folder}: {missed}"


def test_bounces_name_the_bounced_message_when_they_carry_the_original(results):
    bounces = [(record, parsed) for record, parsed in results.values() if record["disposition"] == "bounce"]
    enclosed = [(record, parsed) for record, parsed in bounces if parsed.enclosed_message_id]
    assert all(record["bounced_message_id"] == parsed.enclosed_message_id for record, parsed in enclosed)
    named = [record for record, _ in bounces if record["bounced_message_id"]]
    print(f"\nbounces naming the bounced Message-ID: {len(named)}/{len(bounces)} "
          f"({len(enclosed)} from an enclosed original, the rest from headers quoted in the text)")


def test_mail_from_people_is_rarely_taken_for_machine_mail(results):
    people = {file: pair for file, pair in results.items()
              if file.split("/")[0] in PERSON_FOLDERS and file not in MACHINE_FIXTURES and file not in BULK_MAIL}
    misjudged = {file: record["disposition"] + ": " + record["reason"]
                 for file, (record, _) in people.items() if record["disposition"] in MACHINE_KINDS}
    rate = len(misjudged) / len(people)
    # What treating a weak signal alone as an auto-reply would have cost (why those signals are weak here).
    bulk = [f for f, (_, p) in people.items()
            if p.loop_headers.get("precedence", "").lower() in ("bulk", "list", "junk")]
    suppress = [f for f, (_, p) in people.items() if p.loop_headers.get("x_auto_response_suppress")]
    print(f"\nperson mail judged machine mail: {len(misjudged)}/{len(people)} ({rate:.1%}) {misjudged or ''}"
          f"\n  would have been misjudged if Precedence bulk/list/junk alone meant auto-reply: {len(bulk)}"
          f"\n  ... if X-Auto-Response-Suppress alone meant auto-reply: {len(suppress)}")
    for folder in PERSON_FOLDERS:
        in_folder = [file for file in people if file.startswith(folder + "/")]
        wrong = [file for file in in_folder if file in misjudged]
        print(f"  {folder:20} {len(wrong)}/{len(in_folder)} misjudged")
    assert rate <= 0.05, misjudged


@pytest.mark.parametrize("file, why", BULK_MAIL.items())
def test_newsletters_and_the_ses_test_mail_are_bulk(results, file, why):
    if file not in results:
        pytest.skip(f"{file} is not in the corpus")
    record, _ = results[file]
    assert record["disposition"] == "bulk" and why in record["reason"], record["reason"]


@pytest.mark.parametrize("file", LIST_POSTS)
def test_peoples_posts_through_a_mailing_list_stay_complaints(results, file):
    if file not in results:
        pytest.skip(f"{file} is not in the corpus")
    assert results[file][0]["disposition"] == "complaint"
