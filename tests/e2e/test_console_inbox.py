"""The inbox in Debian's Chromium, over real HTTP: an agent's views with their counts, a filter, search by e-mail and
by reference, the next page, bulk take, mark spam, a release, a bulk close of the reviewed, one refused row by row; a
manager's `all` view and a refused assignment; an agent refused `all`; the Chinese inbox; axe on every view."""
from __future__ import annotations

import dataclasses
import os
import shutil
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import pytest

from chalicelib.domain.lifecycle import Actor, Command
from chalicelib.domain.model import Channel, Sender
from chalicelib.wiring import services
from tests.e2e.browser import ARTIFACTS, console_site, scan, sign_in_as
from tests.fakes import make_message

pytest.importorskip("playwright")
pytestmark = pytest.mark.xdist_group("console-inbox")  # one site, its complaints changed by the tests in order
SECRET = "inbox-test-secret"
PASSWORD = "Inbox-Pass-2026!"
SHOTS = Path(os.environ.get("INBOX_SHOTS", "/tmp/inbox-shots"))
NOW = partial(datetime.now, timezone.utc)
TOPICS = ("The store manager was rude to me", "Your returns policy is unfair", "Nobody answers the phone",
          "The app keeps logging me out", "Staff ignored my question", "My loyalty points vanished")


def submit(n: int, category: str | None = "general", channel: Channel = Channel.WEB, sender: Sender | None = None):
    """A complaint through the intake pipeline, as the worker stores it (routed by the directory)."""
    topic = TOPICS[n % len(TOPICS)]
    message = make_message(f"{topic}. This is the {n}th time it happened, at the branch on street number {n * 7}.",
                           subject=f"{topic} ({n})", requested_category=category, channel=channel, received_at=NOW(),
                           sender=sender or Sender(name=f"Customer {n}", email=f"customer{n}@example.com",
                                                  phone=f"+4420794609{n:02d}"))
    return services.pipeline.process(message).reference


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with console_site(tmp_path_factory.mktemp("inbox"), SECRET, PASSWORD, ("agent", "manager")) as harness:
        refs = {"mine": [submit(n) for n in range(27)]}  # customer-care: the agent is its roster
        refs["policy"] = [submit(n, "policy") for n in range(27, 29)]
        services.staff.set_availability("agent", True)  # away: routing passes them by
        refs["unassigned"] = [submit(n) for n in range(30, 33)]
        services.staff.set_availability("agent", False)
        refs["billing"] = submit(40, "billing")  # another team's (its configured agents)
        refs["triage"] = submit(41, None)  # no category: the triage queue
        zoe = Sender(name="Zoe Zhang", email="zoe@example.com", phone="+442079460999")
        refs["zoe"] = submit(42, channel=Channel.EMAIL, sender=zoe)
        services.pipeline.process(make_message("Any news about this? I am still waiting.", sender=zoe,
                                               thread_reference=refs["zoe"], channel=Channel.EMAIL, received_at=NOW()))
        services.complaint_service.perform(refs["mine"][0], Command("wait_on_customer"), Actor("agent", "agent"))
        harness["refs"] = refs
        yield harness
    if ARTIFACTS.exists():  # the screenshots scan() took, where a person looks at them
        SHOTS.mkdir(parents=True, exist_ok=True)
        for shot in ARTIFACTS.glob("inbox*.png"):
            shutil.copy(shot, SHOTS / shot.name)


def as_user(site, name: str):
    return sign_in_as(site, name, PASSWORD)


def counts(page) -> dict[str, str]:
    page.wait_for_load_state()  # a click that navigates returns once the new page commits, before it is parsed
    links = page.locator("ul.views a")
    return {links.nth(i).get_attribute("href").rsplit("=", 1)[1]: links.nth(i).locator(".count").inner_text()
            for i in range(links.count())}


def shown(page) -> list[str]:
    page.wait_for_load_state()
    return page.locator("table.inbox a.ref").all_inner_texts()


def test_an_agents_views_counts_filter_search_and_next_page(site):
    page, refs = as_user(site, "agent"), site["refs"]
    page.click("main a:has-text('Open your inbox')")
    assert page.locator("h1").inner_text() == "Inbox"
    seen = counts(page)
    assert "all" not in seen  # only managers and admins have it
    assert {k: v for k, v in seen.items() if k != "due"} == {  # (what is due soon depends on the hour)
        "mine": "25+", "unassigned": "3", "triage": "1", "waiting": "1", "review": "0", "duplicates": "0"}
    first = shown(page)
    scan(site, "inbox-mine")
    page.click("text=Next page")
    second = shown(page)
    mine = {*refs["mine"], *refs["policy"], refs["zoe"], refs["triage"]}  # the agent is customer-care's roster
    assert len(first) == 25 and not set(first) & set(second) and {*first, *second} == mine
    assert page.locator("text=First page").count() == 1

    page.click("header a:has-text('Inbox')")
    page.focus("summary:has-text('Filters')")  # the filters open and apply from the keyboard
    page.keyboard.press("Enter")
    page.focus("#f-category")
    page.keyboard.type("Policy")
    page.focus("details button:has-text('Apply')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert sorted(shown(page)) == sorted(refs["policy"])
    assert "Filtered" in page.locator("main").inner_text()
    scan(site, "inbox-filtered")

    for view in ("unassigned", "triage", "due", "waiting", "review", "duplicates"):
        page.click(f"ul.views a[href$='view={view}']")
        assert page.locator("ul.views a[aria-current=page]").get_attribute("href").endswith(view)
        scan(site, f"inbox-{view}")
    page.click("ul.views a[href$='view=triage']")
    assert shown(page) == [refs["triage"]]
    page.click("ul.views a[href$='view=waiting']")
    assert shown(page) == [refs["mine"][0]] and "Paused" in page.locator("table").inner_text()

    page.fill("#q", "zoe@example.com")
    page.click("form.search button")
    assert shown(page) == [refs["zoe"]]
    row = page.locator("table.inbox tbody tr").first.inner_text()
    assert "Zoe Zhang" in row and "+442079460999" in row and "Customer wrote since the last reply" in row
    scan(site, "inbox-search")
    page.fill("#q", refs["billing"].lower())
    page.click("form.search button")
    assert page.url.endswith(f"/console/complaints/{refs['billing']}")  # the complaint's page opens


def apply_to(page, references, action, reason=None):
    for reference in references:
        page.check(f"#pick-{reference}")
    page.select_option("#action", action)
    if reason:
        page.fill("#reason", reason)
    page.click("button:has-text('Apply to the selected')")
    return page.locator("[role=status]").inner_text()


def test_bulk_take_mark_spam_release_and_close_with_a_refusal(site):
    page, refs = as_user(site, "agent"), site["refs"]
    page.goto(f"{site['origin']}/console/inbox?view=unassigned")
    assert sorted(shown(page)) == sorted(refs["unassigned"])
    taken = refs["unassigned"][:2]
    page.focus(f"#pick-{taken[0]}")  # a row is selected from the keyboard too
    page.keyboard.press("Space")
    assert page.is_checked(f"#pick-{taken[0]}")
    page.uncheck(f"#pick-{taken[0]}")
    assert "2 done, 0 refused" in apply_to(page, taken, "take")
    assert counts(page)["unassigned"] == "1" and shown(page) == refs["unassigned"][2:]
    assert all(services.repository.get(r).assignee == "agent" for r in taken)
    scan(site, "inbox-bulk-done")

    for n, reference, action in ((30, taken[0], "mark_spam"), (31, taken[1], "mark_invalid")):
        page.fill("#q", f"customer{n}@example.com")
        page.click("form.search button")
        assert "1 done, 0 refused" in apply_to(page, [reference], action, "Sells watches.")
    assert services.repository.get(taken[0]).screening_reason == "marked spam by agent: Sells watches."

    page.click("ul.views a[href$='view=review']")
    assert sorted(shown(page)) == sorted(taken) and counts(page)["review"] == "2"
    assert "1 done, 0 refused" in apply_to(page, taken[:1], "release")  # it was a real one after all
    assert services.repository.get(taken[0]).status.value == "new"
    page.goto(f"{site['origin']}/console/inbox?view=review")
    page.check(f"#pick-{taken[1]}")
    outcome = apply_to(page, [], "close")  # the invalid one, reviewed: closed
    assert "1 done, 0 refused" in outcome and services.repository.get(taken[1]).status.value == "closed"
    page.fill("#q", "customer30@example.com")
    page.click("form.search button")
    outcome = apply_to(page, taken[:1], "close")  # a new complaint cannot be closed: refused in the machine's words
    assert "0 done, 1 refused" in outcome and "cannot close a complaint that is new" in outcome
    scan(site, "inbox-bulk-refused")

    page.goto(f"{site['origin']}/console/inbox?view=all")
    assert page.locator("h1").inner_text() == "Not allowed"


def test_a_manager_sees_every_team_assigns_and_is_refused_outside_the_team(site):
    page, refs = as_user(site, "manager"), site["refs"]
    page.click("header a:has-text('Inbox')")
    assert counts(page)["mine"] == "0" and counts(page)["all"] == "25+"
    page.click("ul.views a[href$='view=all']")
    scan(site, "inbox-all")
    page.goto(f"{site['origin']}/console/inbox?view=all&team=billing")
    assert shown(page) == [refs["billing"]]
    page.check(f"#pick-{refs['billing']}")
    page.select_option("#assign-to", "agent")
    outcome = apply_to(page, [], "assign")
    assert "0 done, 1 refused" in outcome and "'agent' is not an agent of team billing" in outcome

    page.click("ul.views a[href$='view=unassigned']")  # a manager in no team looks after every team
    assert refs["unassigned"][2] in shown(page)
    page.check(f"#pick-{refs['unassigned'][2]}")
    page.select_option("#assign-to", "agent")
    assert "1 done, 0 refused" in apply_to(page, [], "assign")
    assert services.repository.get(refs["unassigned"][2]).assignee == "agent"


def test_the_chinese_inbox(site):
    agent = services.staff.store.get("agent")
    services.staff.update(dataclasses.replace(agent, languages=("zh",)), agent.version)
    try:
        page = as_user(site, "agent")
        page.goto(f"{site['origin']}/console/inbox")
        assert page.locator("h1").inner_text() == "收件箱"
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        scan(site, "inbox-zh")
        page.goto(f"{site['origin']}/console/inbox?view=review")
        scan(site, "inbox-review-zh")
    finally:
        agent = services.staff.store.get("agent")
        services.staff.update(dataclasses.replace(agent, languages=("en",)), agent.version)
