"""parse_email on small messages written here: charsets, HTML, quoted replies, attachments, broken input.

The builders at the top are shared with the other test_mail_* modules.
"""
from __future__ import annotations

import random
import struct
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.mail import parse_email
from chalicelib.mail.parse import decode_bytes, decode_header_value, strip_reply

PERSON = "Ada Lovelace <Ada@Example.COM>"


def raw_mail(body: bytes | str = b"Hello", *, headers: dict[str, str] | None = None,
             content_type: str = "text/plain; charset=utf-8", transfer: str | None = None) -> bytes:
    """A single-part message as raw bytes; the body is used exactly as given (str is UTF-8)."""
    fields = {"From": PERSON, "To": "complaints@shop.example", "Subject": "Parcel missing",
              "Message-ID": "<m1@example.com>", "Date": "Sun, 22 Nov 2026 10:00:00 +0000",
              "MIME-Version": "1.0", "Content-Type": content_type, **(headers or {})}
    if transfer:
        fields["Content-Transfer-Encoding"] = transfer
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items() if value is not None)
    return head.encode("utf-8") + b"\r\n" + (body.encode("utf-8") if isinstance(body, str) else body)


def mime_mail(text: str | None = "Hello", *, html: str | None = None, subject: str = "Parcel missing",
              headers: dict[str, str] | None = None) -> EmailMessage:
    """A multipart message built with the stdlib; add attachments to it, then call .as_bytes()."""
    message = EmailMessage()
    for name, value in {"From": PERSON, "To": "complaints@shop.example", "Subject": subject,
                        "Message-ID": "<m2@example.com>", **(headers or {})}.items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html") if text is not None else message.set_content(html, "html")
    return message


def tnef_blob(files: dict[str, bytes], body: bytes | None = None) -> bytes:
    """A minimal winmail.dat: TNEF signature, key, then attributes (level, id, type, length, data, checksum)."""
    def attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
        return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)

    blob = struct.pack("<IH", 0x223E9F78, 0x0001) + attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x10000))
    if body is not None:
        blob += attribute(1, 0x800C, 0x0002, body)
    for name, data in files.items():
        blob += attribute(2, 0x9002, 0x0006, b"\x01\x00" + b"\x00" * 12)  # rendering data starts an attachment
        blob += attribute(2, 0x8010, 0x0001, name.encode() + b"\x00")
        blob += attribute(2, 0x800F, 0x0006, data)
    return blob


# --- headers -----------------------------------------------------------------------------------------


def test_headers_are_read_and_decoded():
    raw = raw_mail(headers={
        "From": "=?utf-8?q?Zo=C3=AB_M=C3=BCller?= <Zoe@Example.org>", "To": "a@x.example, B <b@x.example>",
        "Subject": "=?gb2312?B?1NrP39bQzsQ=?= order 7", "In-Reply-To": "<our-1@shop.example>",
        "References": "<first@x.example>\r\n <our-1@shop.example>", "Auto-Submitted": "auto-replied",
        "Return-Path": "<>",
    })
    parsed = parse_email(raw)
    assert (parsed.from_name, parsed.from_address) == ("Zoë Müller", "zoe@example.org")
    assert parsed.to == ("a@x.example", "b@x.example")
    assert parsed.subject == "在线中文 order 7"
    assert parsed.message_id == "<m1@example.com>" and parsed.in_reply_to == "<our-1@shop.example>"
    assert parsed.references == ("<first@x.example>", "<our-1@shop.example>")  # newest last, as sent
    assert parsed.date.isoformat() == "2026-11-22T10:00:00+00:00"
    assert parsed.loop_headers["auto_submitted"] == "auto-replied" and parsed.return_path == ""
    assert parsed.has_headers and parsed.problems == ()


def test_raw_eight_bit_headers_use_the_body_charset():
    raw = raw_mail("Frösche".encode("latin-1"), content_type="text/plain; charset=iso-8859-1",
                   headers={"Subject": "PLACEHOLDER"}).replace(b"PLACEHOLDER", "Die Frösche".encode("latin-1"))
    assert parse_email(raw).subject == "Die Frösche"


# --- charsets ------------------------------------------------------------------------------------------

CJK_AND_CYRILLIC = [
    ("gb2312", "我的包裹丢了，请尽快退款。", "gb2312"),
    ("gb2312", "快递員说已送达，但我没收到。", "gbk"),  # a GBK character labelled gb2312: read as gb18030
    ("big5", "我的包裹遺失了，請盡快退款。", "big5"),
    ("iso-2022-jp", "荷物が届きません。返金してください。", "iso-2022-jp"),
    ("shift_jis", "荷物が届きません。返金してください。", "shift_jis"),
    ("euc-jp", "荷物が届きません。返金してください。", "euc-jp"),
    ("koi8-r", "Моя посылка потерялась, верните деньги.", "koi8-r"),
    ("utf-7", "Paket verloren – bitte Geld zurück € ✓", "utf-7"),
    ("utf-16", "Paket verloren – bitte Geld zurück € ✓", "utf-16"),
]


@pytest.mark.parametrize("declared, text, encoding", CJK_AND_CYRILLIC)
def test_declared_charsets_decode_including_common_mislabels(declared, text, encoding):
    parsed = parse_email(raw_mail(text.encode(encoding), content_type=f'text/plain; charset="{declared}"'))
    assert parsed.text == text
    assert parsed.charset


@pytest.mark.parametrize("transfer, encode", [("base64", "base64"), ("quoted-printable", "quopri")])
def test_transfer_encodings_are_undone(transfer, encode):
    import base64
    import quopri

    body = "Mein Paket ist nicht angekommen. Grüße".encode("utf-8")
    encoded = base64.encodebytes(body) if encode == "base64" else quopri.encodestring(body)
    assert parse_email(raw_mail(encoded, transfer=transfer)).text.startswith("Mein Paket ist nicht angekommen.")


def test_latin1_text_declared_as_utf8_is_detected():
    text = "Die Lieferung kam nicht an. Ich möchte mein Geld zurück, für die Bestellung über 40 €. Grüße aus Köln"
    parsed = parse_email(raw_mail(text.encode("cp1252"), content_type="text/plain; charset=utf-8"))
    assert parsed.full_text == text
    assert any("declared charset" in problem for problem in parsed.problems)


def test_utf8_declared_as_latin1_and_undeclared_eight_bit_are_read_as_utf8():
    text = "Réclamation : colis jamais reçu, « urgent »"
    assert parse_email(raw_mail(text.encode(), content_type="text/plain; charset=iso-8859-1")).text == text
    assert parse_email(raw_mail(text.encode(), content_type="text/plain")).text == text


def test_unknown_charset_label_falls_back_to_detection():
    parsed = parse_email(raw_mail("Paket fehlt".encode(), content_type="text/plain; charset=x-no-such-charset"))
    assert parsed.text == "Paket fehlt"
    assert any("unknown charset" in problem for problem in parsed.problems)


def test_decoding_helpers_never_raise():
    assert decode_bytes(bytes(range(256)), "utf-8")[0]
    assert decode_bytes(b"abc", "rot13") == ("abc", "us-ascii")  # not a text codec: detected instead
    assert decode_header_value("=?utf-8?B?broken***?=") and decode_header_value(None) == ""


# --- HTML, quoted replies, signatures ----------------------------------------------------------------------


def test_html_only_mail_becomes_readable_text():
    html = ("<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
            "<p>My parcel <b>never</b> arrived.</p><ul><li>Order 4411</li><li>Paid &euro;40</li></ul></body></html>")
    parsed = parse_email(mime_mail(None, html=html).as_bytes())
    assert parsed.html_only
    assert "My parcel never arrived." in parsed.text and "Order 4411" in parsed.text and "€40" in parsed.text
    assert "<" not in parsed.text and "alert" not in parsed.text and "color" not in parsed.text


def test_plain_text_wins_over_html_in_an_alternative():
    parsed = parse_email(mime_mail("Plain version", html="<p>HTML version</p>").as_bytes())
    assert (parsed.text, parsed.html_only) == ("Plain version", False)


def test_an_empty_plain_alternative_falls_back_to_the_html():
    parsed = parse_email(mime_mail("\n", html="<p>Only the HTML has text</p>").as_bytes())
    assert parsed.text == "Only the HTML has text"


GMAIL_REPLY = """Still nothing arrived, please refund me.

On Mon, 23 Nov 2026 at 09:12, Complaints <complaints@shop.example> wrote:
> We are sorry to hear that.
> [ref:CMP-20261122-7QF3K]
"""
OUTLOOK_REPLY = """The replacement is broken too.

-----Original Message-----
From: Complaints <complaints@shop.example>
Sent: Monday, November 23, 2026 9:12 AM
To: Ada <ada@example.com>
Subject: Your complaint CMP-20261122-7QF3K

We have sent a replacement.
"""
GERMAN_REPLY = """Das Paket ist immer noch nicht da.

Am 23.11.2026 um 09:12 schrieb Beschwerden <complaints@shop.example>:
> Es tut uns leid.
"""


@pytest.mark.parametrize("body, expected", [
    (GMAIL_REPLY, "Still nothing arrived, please refund me."),
    (OUTLOOK_REPLY, "The replacement is broken too."),
    (GERMAN_REPLY, "Das Paket ist immer noch nicht da."),
    ("Item is scratched.\n\n-- \nAda Lovelace\nAnalytical Engines Ltd", "Item is scratched."),
    ("Item is scratched.\n\nSent from my iPhone", "Item is scratched."),
    ("I agree.\n> you said X\n> and Y\nAnd one more thing.", "I agree.\nAnd one more thing."),
    ("Still broken:\n- the lid\n- the hinge", "Still broken:\n- the lid\n- the hinge"),  # lists are kept
])
def test_quoted_replies_and_signatures_are_stripped_from_text_only(body, expected):
    parsed = parse_email(raw_mail(body))
    assert parsed.text == expected
    assert parsed.full_text == body.strip()


def test_a_bare_forward_keeps_the_forwarded_text():
    body = "---------- Forwarded message ---------\nFrom: Shop <no-reply@shop.example>\nDate: Mon\n" \
           "Subject: Order 4411\nTo: Ada <ada@example.com>\n\nYour order has shipped."
    assert "Your order has shipped." in strip_reply(body)


def test_reply_stripping_scans_only_the_start_of_a_long_text():
    long_text = "A long complaint. " * 400 + "\n\nOn Mon, 23 Nov 2026, Shop <s@shop.example> wrote:\n> old"
    assert strip_reply(long_text).startswith("A long complaint.") and len(strip_reply(long_text)) > 7000


# --- attachments -------------------------------------------------------------------------------------------


def test_attachments_are_listed_and_inline_images_skipped():
    message = mime_mail("See the photo.", html='<p>See <img src="cid:logo@shop"></p>')
    message.get_payload()[1].add_related(b"\x89PNG-logo", "image", "png", cid="<logo@shop>")
    message.add_attachment(b"%PDF-1.4 receipt", maintype="application", subtype="pdf", filename="receipt.pdf")
    message.add_attachment(b"\xff\xd8photo", maintype="image", subtype="jpeg", filename="damage.jpg")
    message.add_attachment(b"\xff\xd8photo 2", maintype="image", subtype="jpeg", filename="damage.jpg")
    parsed = parse_email(message.as_bytes(), payload_limit=10)
    assert [(a.filename, a.content_type, a.size) for a in parsed.attachments] == [
        ("receipt.pdf", "application/pdf", 16), ("damage.jpg", "image/jpeg", 7), ("damage (2).jpg", "image/jpeg", 9)]
    assert dict(parsed.attachment_payloads) == {"damage.jpg": b"\xff\xd8photo", "damage (2).jpg": b"\xff\xd8photo 2"}
    assert parsed.text == "See the photo."


def test_attachment_names_are_decoded_and_made_safe():
    message = mime_mail("x")
    message.add_attachment(b"1", maintype="text", subtype="plain", filename="Beschwerde März.txt")  # RFC 2231
    message.add_attachment(b"2", maintype="application", subtype="octet-stream", filename="../../etc/passwd")
    parsed = parse_email(message.as_bytes())
    assert [a.filename for a in parsed.attachments] == ["Beschwerde März.txt", "passwd"]


def test_a_forwarded_message_is_one_eml_attachment_and_gives_the_text_when_there_is_no_other():
    inner = mime_mail("The original complaint text.", subject="Broken kettle")
    outer = EmailMessage()
    outer["From"], outer["Subject"] = PERSON, "Fwd: Broken kettle"
    outer.add_attachment(inner)
    parsed = parse_email(outer.as_bytes())
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [("Broken kettle.eml", "message/rfc822")]
    assert parsed.text == "The original complaint text." and parsed.enclosed_message_id == "<m2@example.com>"


def test_tnef_attachments_and_body_are_read():
    message = mime_mail(None)
    message.set_content("")
    message.add_attachment(tnef_blob({"invoice.pdf": b"%PDF-1", "notes.txt": b"abc"}, body=b"Body from Outlook"),
                           maintype="application", subtype="ms-tnef", filename="winmail.dat")
    parsed = parse_email(message.as_bytes())
    assert [(a.filename, a.content_type, a.size) for a in parsed.attachments] == [
        ("invoice.pdf", "application/pdf", 6), ("notes.txt", "text/plain", 3)]
    assert parsed.text == "Body from Outlook"


def test_a_bare_winmail_dat_and_a_broken_one_do_not_raise():
    assert [a.filename for a in parse_email(tnef_blob({"a.txt": b"x"})).attachments] == ["a.txt"]
    message = mime_mail("See attachment")
    message.add_attachment(b"not tnef at all", maintype="application", subtype="ms-tnef", filename="winmail.dat")
    parsed = parse_email(message.as_bytes())
    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]
    assert any("winmail.dat" in problem for problem in parsed.problems)


def test_a_ten_megabyte_attachment_is_measured_not_kept():
    message = mime_mail("Video of the damage attached.")
    payload = random.Random(7).randbytes(10 * 1024 * 1024)
    message.add_attachment(payload, maintype="video", subtype="mp4", filename="damage.mp4")
    parsed = parse_email(message.as_bytes())
    assert [(a.filename, a.size) for a in parsed.attachments] == [("damage.mp4", 10 * 1024 * 1024)]
    assert dict(parsed.attachment_payloads) == {}
    assert parse_email(message.as_bytes(), payload_limit=11 * 1024 * 1024).attachment_payloads["damage.mp4"] == payload


# --- broken input ------------------------------------------------------------------------------------------


def test_truncated_mime_is_read_as_far_as_it_goes():
    message = mime_mail("The first part survived.")
    message.add_attachment(b"x" * 3000, maintype="application", subtype="pdf", filename="cut.pdf")
    raw = message.as_bytes()
    parsed = parse_email(raw[: len(raw) // 2])
    assert parsed.text == "The first part survived."
    assert any("boundary not found" in problem for problem in parsed.problems)


@pytest.mark.parametrize("raw", [
    b"",
    b"   \r\n",
    random.Random(1).randbytes(4096),
    b"\x00" * 100,
    b"From: \xff\xfe\r\nSubject: =?x-unknown?B?@@@?=\r\nContent-Type: multipart/mixed\r\n\r\n--",
    b"Content-Type: multipart/mixed; boundary=a\r\n\r\n"
    + b"--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n" * 300,  # deep nesting
    b"Content-Type: text/plain; charset*=''\r\nContent-Disposition: attachment; filename*=x''%%%\r\n\r\nbody",
    b"Subject: only headers",
])
def test_any_bytes_give_a_parsed_email_and_never_an_exception(raw):
    parsed = parse_email(raw)
    assert isinstance(parsed.problems, tuple)
    assert not [p for p in parsed.problems if p.startswith("could not parse")]


def test_empty_and_garbage_input_report_their_problems():
    assert parse_email(b"").problems == ("empty input",)
    garbage = parse_email(random.Random(1).randbytes(4096))
    assert not garbage.has_headers and garbage.text == "" and garbage.problems


def _sample_message() -> bytes:
    message = mime_mail("Body text", html="<p>Body <b>html</b></p>", headers={"In-Reply-To": "<a@b>"})
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="r.pdf")
    message.add_attachment(tnef_blob({"x.txt": b"x"}), maintype="application", subtype="ms-tnef")
    return message.as_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_messages_never_raise(data):
    raw = bytearray(_sample_message())
    for _ in range(data.draw(st.integers(1, 8))):  # cut, overwrite or insert bytes anywhere
        at = data.draw(st.integers(0, len(raw)))
        action = data.draw(st.sampled_from(["cut", "overwrite", "insert"]))
        chunk = data.draw(st.binary(min_size=1, max_size=40))
        if action == "cut":
            del raw[at:at + len(chunk)]
        elif action == "overwrite":
            raw[at:at + len(chunk)] = chunk
        else:
            raw[at:at] = chunk
    parsed = parse_email(bytes(raw))
    assert isinstance(parsed.text, str) and isinstance(parsed.attachments, tuple)
    assert not [p for p in parsed.problems if p.startswith("could not parse")]  # the last-resort guard was not needed
