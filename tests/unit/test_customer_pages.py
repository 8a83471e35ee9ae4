"""The customer pages (complaint form, submitted, status, error) and the survey pages in English and Chinese: the
html lang, translated texts, the language switch, escaped values, error messages that link to their fields."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from chalicelib.domain.surveys import AnswerResult
from chalicelib.web import pages, survey_pages
from chalicelib.web.schemas import ErrorResponse, PublicEvent, PublicStatus, SubmissionAccepted
from tests.unit.test_catalogs import CATALOG

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
REF = "CMP-20261122-7QF3K"
AT = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)


@pytest.fixture(autouse=True, scope="module")
def compiled_catalog():
    if not (CATALOG / "messages.mo").exists():
        pytest.fail("make compiles the catalogs (the .mo files are not committed)")


@pytest.fixture(autouse=True)
def shipped_categories(monkeypatch):
    """The form offers the categories of the shipped configuration (the service reads the one in force)."""
    from chalicelib.sla.config import default_config

    monkeypatch.setattr(pages, "offered_categories", default_config().form_categories)


def html_lang(page: str) -> str:
    return re.match(r'<!doctype html><html lang="([^"]+)">', page).group(1)


def ids(page: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page))


def test_the_form_in_english_and_chinese():
    english, chinese = pages.complaint_form(language="en"), pages.complaint_form(language="zh")
    assert html_lang(english) == "en" and html_lang(chinese) == "zh-Hans"
    assert "<h1>Make a complaint</h1>" in english and "<h1>我要投诉</h1>" in chinese
    assert '<option value="billing">Billing</option>' in english and '<option value="billing">账单</option>' in chinese
    for page in (english, chinese):  # the same form whatever the language
        assert {"name", "email", "phone", "subject", "description", "category", "consent"} <= ids(page)
        assert 'action="complaints"' in page and "<script" not in page
    assert 'href="./?lang=zh" hreflang="zh-Hans" lang="zh-Hans">中文</a>' in english
    assert 'href="./?lang=en" hreflang="en" lang="en">EN</a>' in chinese


def test_the_form_takes_its_categories_and_keeps_the_chosen_language():
    page = pages.complaint_form({"language": "zh", "category": "b2"}, categories=[("b2", "账单 <b>"), ("x", "其他")],
                                language="zh")
    assert '<option value="b2" selected>账单 &lt;b&gt;</option>' in page and '<option value="x">其他</option>' in page
    assert "billing" not in page
    assert '<input type="hidden" name="language" value="zh">' in page
    assert 'name="language"' not in pages.complaint_form()  # no language chosen: the complaint's is the browser's


def test_the_form_with_errors_keeps_the_values_escaped_and_links_each_message_to_its_field():
    errors = {"name": "Field required", "email": "An email address must have an @-sign.",
              "subject": "String should have at most 200 characters", "consent": "Field required"}
    page = pages.complaint_form({"email": HOSTILE, "description": HOSTILE}, errors, language="en")
    assert ESCAPED in page and HOSTILE not in page
    assert f'value="{ESCAPED}"' in page and f">{ESCAPED}</textarea>" in page
    summary = page.split('role="alert"')[1].split("</div>")[0]
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert links == [("name", "Enter your name"),
                     ("email", "Enter an e-mail address in the right format, like name@example.com"),
                     ("subject", "Use 200 characters or fewer"),
                     ("consent", "Tick the box to agree that we store and process your complaint")]
    assert {anchor for anchor, _ in links} <= ids(page)
    assert 'aria-describedby="email-hint email-error" aria-invalid="true"' in page
    assert 'id="consent" name="consent" value="true" required aria-describedby="consent-error"' in page

    chinese = pages.complaint_form({}, {"body": pages.NO_CONTACT, "language": "bad"}, language="zh")
    assert '<a href="#email">请填写电子邮件地址或电话号码，以便我们回复您</a>' in chinese
    assert "<li>bad</li>" in chinese  # a field not on the page: listed, without a link


def test_the_page_after_sending():
    accepted = SubmissionAccepted(reference=REF, status="received", access_token="t0k",
                                  status_url=f"https://complaints.example/complaints/{REF}?token=t0k")
    english, chinese = pages.submission_page(accepted), pages.submission_page(accepted, "zh")
    assert html_lang(english) == "en" and "<h1>Thank you: we have received your complaint</h1>" in english
    assert html_lang(chinese) == "zh-Hans" and "<h1>谢谢，我们已收到您的投诉</h1>" in chinese
    assert f'您的投诉编号是 <span class="ref">{REF}</span>。' in chinese
    assert f'href="https://complaints.example/complaints/{REF}?token=t0k&amp;lang=zh"' in chinese
    assert 'hreflang="' not in chinese  # a POST's answer: no language switch to a page that cannot be fetched


def test_the_status_page():
    status = PublicStatus(reference=REF, status="in_progress", subject=HOSTILE, history=[
        PublicEvent(at=AT, type="acknowledge", message="An agent has picked up your complaint."),
        PublicEvent(at=AT, type="respond", message=HOSTILE)])
    english, chinese = pages.status_page(status, "en", "t0k&"), pages.status_page(status, "zh", "t0k&")
    assert html_lang(english) == "en" and f'<h1>Complaint <span class="ref">{REF}</span></h1>' in english
    assert html_lang(chinese) == "zh-Hans" and f'<h1>投诉 <span class="ref">{REF}</span></h1>' in chinese
    assert "<strong>状态：</strong> 处理中" in chinese and "客服已开始处理您的投诉。" in chinese
    for page in (english, chinese):
        assert HOSTILE not in page and page.count(ESCAPED) == 2  # the subject, and what an agent wrote
        assert 'href="?token=t0k%26&amp;lang=zh"' in page  # the switch keeps the token
    assert "<li>暂无记录。</li>" in pages.status_page(PublicStatus(reference=REF, status="received", history=[]), "zh")


def test_the_error_page():
    missing = ErrorResponse(error="not_found", message=HOSTILE)
    english, chinese = pages.error_page(404, missing), pages.error_page(404, missing, language="zh")
    assert "<h1>We could not find this page</h1>" in english and ESCAPED in english and HOSTILE not in english
    assert html_lang(chinese) == "zh-Hans" and "<h1>找不到此页面</h1>" in chinese
    invalid = ErrorResponse(error="validation_failed", message="invalid", fields={"name": "Field required"})
    form = pages.error_page(400, invalid, {"language": "zh", "name": ""}, "zh")
    assert "<h1>我要投诉</h1>" in form and '<a href="#name">请填写您的姓名</a>' in form


@pytest.mark.parametrize("asked, form, accept, expected", [
    ("zh", None, "en-GB,en;q=0.9", "zh"),
    (None, {"language": "zh"}, "en", "zh"),
    ("fr", None, "zh-CN,zh;q=0.9,en;q=0.5", "zh"),
    (None, None, "de-DE,de;q=0.9", "en"),
])
def test_the_page_language(asked, form, accept, expected):
    request = SimpleNamespace(query_params={"lang": asked} if asked else None, headers={"accept-language": accept})
    assert pages.page_language(request, form) == expected


def test_the_survey_form():
    english, chinese = survey_pages.survey_form(HOSTILE), survey_pages.survey_form(REF, language="zh")
    assert html_lang(english) == "en" and "<h1>How did we do?</h1>" in english
    assert ESCAPED in english and HOSTILE not in english
    assert html_lang(chinese) == "zh-Hans" and "<h1>我们做得怎么样？</h1>" in chinese
    assert "5: 非常满意</label>" in chinese and '<option value="slow">处理时间太长</option>' in chinese
    assert 'href="?lang=en"' in chinese


def test_the_survey_form_with_errors():
    errors = {"reason": "please tell us what went wrong (a reason is required for a score of 1 or 2)"}
    page = survey_pages.survey_form(REF, {"score": "2", "comment": HOSTILE, "not_solved": "on"}, errors, "zh")
    assert '<a href="#reason">请告诉我们哪里做得不好：评分为 1 或 2 时必须选择原因</a>' in page
    assert 'value="2" checked' in page and 'name="not_solved" value="on" checked' in page
    assert f">{ESCAPED}</textarea>" in page
    assert 'aria-describedby="reason-hint reason-error" aria-invalid="true"' in page
    score = survey_pages.survey_form(REF, {}, {"score": "score must be a whole number from 1 to 5"})
    assert '<a href="#score-5">Choose how satisfied you are, from 1 to 5</a>' in score and "score-5" in ids(score)


def test_the_survey_thanks_and_link_problem_pages():
    closed = AnswerResult(reference=HOSTILE, score=1, reopen="closed", alerted=True)
    english = survey_pages.thanks_page(closed, "https://complaints.example/")
    chinese = survey_pages.thanks_page(closed, "https://complaints.example/", "zh")
    assert "<h1>Thank you for your answer</h1>" in english and "<h1>感谢您的回答</h1>" in chinese
    for page in (english, chinese):
        assert HOSTILE not in page and page.count(ESCAPED) == 2
        assert '<a href="https://complaints.example/">' in page
    assert "组长会查看您的回答。" in chinese
    used = survey_pages.link_problem_page("used", "https://complaints.example/", "zh")
    assert html_lang(used) == "zh-Hans" and "<h1>此调查已经回答过了</h1>" in used
    assert "<h1>This survey link is not valid</h1>" in survey_pages.link_problem_page("?", "/")
